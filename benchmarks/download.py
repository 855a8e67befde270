"""Streaming download of a 1 GiB video: peak memory growth and throughput vs raw httpx.

    python benchmarks/download.py               # 1 GiB, 3 runs each
    python benchmarks/download.py --mib 256 --runs 5

A loopback HTTP server (a separate process, ``sendfile`` from a sparse file that starts
with MP4 ``ftyp``, ``moov`` and ``mdat`` boxes, so the box check passes) serves the video. Each download runs
in a fresh child process that samples its own RSS every 2 ms from a thread and reports
the peak growth over its RSS just before the transfer (and ``ru_maxrss``, which also
catches peaks between samples). Compared:

- raw httpx: ``AsyncClient.stream`` + ``aiter_raw()`` written to a file — the floor;
- hailuo_nb: ``hailuo_nb.gateway.download.download`` with the engine's video client
  (temp file, Range resume support, MP4 check, atomic rename).

Targets: peak RSS growth < 32 MiB; throughput >= 0.8 x raw httpx.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import _common  # noqa: F401  (puts the checkout on sys.path)
from _common import header, table, verdict

MiB = 1 << 20
FTYP = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"  # a 32-byte ftyp box
MOOV = b"\x00\x00\x00\x08moov"  # an empty moov box: download() checks that the boxes are whole


def mdat_header(size: int) -> bytes:
    """A 64-bit-size mdat header for the ``size`` bytes that follow ftyp + moov."""
    return (1).to_bytes(4, "big") + b"mdat" + size.to_bytes(8, "big")


# -- the server (a child process) ----------------------------------------------------------

def serve(folder: Path) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            path = folder / self.path.lstrip("/")
            if not path.is_file():
                self.send_error(404)
                return
            size = path.stat().st_size
            start = 0
            value = self.headers.get("Range", "")
            if value.startswith("bytes=") and value.endswith("-"):
                start = int(value[6:-1])
            self.send_response(206 if start else 200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(size - start))
            self.send_header("Accept-Ranges", "bytes")
            if start:
                self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
            self.end_headers()
            with path.open("rb") as f:
                self.connection.sendfile(f, start, size - start)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


# -- one download (a child process) -----------------------------------------------------------

def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def client(method: str, url: str, dest: Path) -> dict[str, float]:
    import httpx

    from hailuo_nb.gateway.client import new_http_client
    from hailuo_nb.gateway.download import download

    async def raw() -> None:
        async with httpx.AsyncClient() as http, http.stream("GET", url) as response:
            with dest.open("wb") as out:
                async for chunk in response.aiter_raw():
                    out.write(chunk)

    async def ours() -> None:
        # the engine's video client (Engine.video_http): no Authorization header, our timeouts
        async with new_http_client(timeout=httpx.Timeout(60.0, connect=10.0)) as http:
            await download(http, url, dest)

    run = {"raw": raw, "hailuo": ours}[method]
    asyncio.run(asyncio.sleep(0))  # warm the event loop machinery up before the baseline
    peak, stop = [0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], rss())
            time.sleep(0.002)

    before = rss()
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    asyncio.run(run())
    seconds = time.perf_counter() - t0
    stop.set()
    sampler.join()
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    size = dest.stat().st_size
    dest.unlink()
    return {"seconds": seconds, "bytes": size, "growth": max(peak[0] - before, 0),
            "maxrss_growth": max(maxrss - max(before, maxrss_before), 0)}


# -- the driver ------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mib", type=int, default=1024, help="video size in MiB")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--client", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve:
        serve(args.serve)
        return 0
    if args.client:
        method, url, dest = args.client
        print(json.dumps(client(method, url, Path(dest))))
        return 0

    header(f"Download: a {args.mib} MiB video over loopback")
    with tempfile.TemporaryDirectory(prefix="hailuo-bench-dl-") as tmp:
        folder = Path(tmp)
        video = folder / "serve" / "video.mp4"
        video.parent.mkdir()
        with video.open("wb") as f:  # sparse: reads as zeros, costs no disk
            f.write(FTYP + MOOV + mdat_header(args.mib * MiB - len(FTYP) - len(MOOV)))
            f.truncate(args.mib * MiB)
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(video.parent)],
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None
            url = f"http://127.0.0.1:{server.stdout.readline().strip()}/video.mp4"
            results: dict[str, list[dict[str, float]]] = {"raw": [], "hailuo": []}
            for _ in range(args.runs):
                for method in results:  # interleaved, so drift hits both alike
                    dest = folder / f"{method}.mp4"
                    out = subprocess.run([sys.executable, __file__, "--client", method, url, str(dest)],
                                         capture_output=True, text=True, check=True)
                    result = json.loads(out.stdout.strip().splitlines()[-1])
                    assert result["bytes"] == args.mib * MiB, result
                    results[method].append(result)
        finally:
            server.terminate()
            server.wait()

    def mbps(r: dict[str, float]) -> float:
        return r["bytes"] / MiB / r["seconds"]

    speed = {m: statistics.median(mbps(r) for r in rs) for m, rs in results.items()}
    growth = {m: max(r["growth"] for r in rs) / MiB for m, rs in results.items()}
    maxrss = {m: max(r["maxrss_growth"] for r in rs) / MiB for m, rs in results.items()}
    names = {"raw": "raw httpx stream (aiter_raw → file)", "hailuo": "hailuo_nb download()"}
    rows = [[names[m], speed[m], speed[m] / speed["raw"], growth[m], maxrss[m]] for m in results]
    print(table(["method", "MiB/s (median)", "× raw", "peak RSS growth (MiB, sampled)",
                 "ru_maxrss growth (MiB)"], rows,
                f"{args.runs} runs each, interleaved; each in a fresh process"))
    worst = max(growth["hailuo"], maxrss["hailuo"])
    ratio = speed["hailuo"] / speed["raw"]
    print("targets:")
    print(f"- peak RSS growth < 32 MiB: {worst:.1f} MiB  {verdict(worst < 32)}")
    print(f"- throughput >= 0.8 x raw httpx: {ratio:.2f} x  {verdict(ratio >= 0.8)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

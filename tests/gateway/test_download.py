"""Streaming downloads: resume, refresh, proof of a whole MP4, atomic rename, disk full.

Unit tests use httpx.MockTransport; the integrity tests talk HTTP to a loopback server
(stdlib http.server in a thread) that cuts, lies about lengths and ignores Range.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from hailuo_nb.errors import GatewayError, StorageError
from hailuo_nb.gateway.client import new_http_client
from hailuo_nb.gateway.download import destination, download, mp4_layout, video_file_name
from hailuo_nb.gateway.retry import RetryPolicy
from hailuo_nb.sim.video import RenderSpec, render_mp4

FAST = RetryPolicy(attempts=4, base=0.01, cap=0.05)
#: A real (small) H.264 MP4 from the simulator's renderer: ftyp, moov, free, mdat.
VIDEO = render_mp4(RenderSpec("download test", 1, 64, 48, fps=4))


def serve(handler):
    """Run download() against ``handler``; returns (path or exception, requests seen)."""
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request, len(seen))

    async def go(dest, refresh=None):
        async with httpx.AsyncClient(transport=httpx.MockTransport(record)) as http:
            return await download(http, "https://videos.test/v.mp4", dest, refresh=refresh)

    def run(dest, refresh=None):
        try:
            return asyncio.run(go(dest, refresh)), seen
        except Exception as exc:  # noqa: BLE001 - returned for assertions
            return exc, seen

    return run


def ranged(request: httpx.Request, body: bytes, cut: int | None = None) -> httpx.Response:
    value = request.headers.get("Range")
    start = int(value[6:-1]) if value else 0
    part = body[start:]
    headers = {"Content-Length": str(len(part))}
    if start:
        headers["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
    stream = part[:cut] if cut is not None else part
    # a stream, not content=: a response given its content up front cannot be streamed raw
    return httpx.Response(206 if start else 200, headers=headers, stream=httpx.ByteStream(stream))


def test_streams_to_the_destination_atomically(tmp_path):
    dest = tmp_path / "out" / "task.mp4"
    result, seen = serve(lambda req, n: ranged(req, VIDEO))(dest)
    assert result == dest and dest.read_bytes() == VIDEO
    assert [p.name for p in dest.parent.iterdir()] == ["task.mp4"]  # no .part left behind
    assert "authorization" not in seen[0].headers


def test_a_truncated_transfer_resumes_with_range(tmp_path):
    dest = tmp_path / "task.mp4"

    def handler(req, n):
        # the first reply promises everything but stops halfway (connection dropped)
        return ranged(req, VIDEO, cut=len(VIDEO) // 2 if n == 1 else None)

    result, seen = serve(handler)(dest)
    assert result == dest and dest.read_bytes() == VIDEO
    assert len(seen) == 2 and seen[1].headers["Range"] == f"bytes={len(VIDEO) // 2}-"


def test_an_expired_url_is_refreshed(tmp_path):
    dest = tmp_path / "task.mp4"
    calls = []

    async def refresh():
        calls.append(1)
        return "https://videos.test/fresh.mp4"

    def handler(req, n):
        if n == 1:
            return httpx.Response(403, stream=httpx.ByteStream(b"Request has expired"))
        return ranged(req, VIDEO)

    result, seen = serve(handler)(dest, refresh)
    assert result == dest and calls == [1]
    assert str(seen[1].url) == "https://videos.test/fresh.mp4"


def test_a_file_that_is_not_an_mp4_is_refused_and_removed(tmp_path):
    dest = tmp_path / "task.mp4"
    page = httpx.ByteStream(b"<html>sign in</html>")
    result, _ = serve(lambda req, n: httpx.Response(200, stream=page))(dest)
    assert isinstance(result, GatewayError) and "not an MP4" in str(result)
    assert list(tmp_path.iterdir()) == []


def test_file_names_stay_inside_the_folder(tmp_path):
    assert video_file_name("106916112212032") == "106916112212032.mp4"
    for task_id in ("../../etc/passwd", "a/b", "...", "x" * 500):
        name = video_file_name(task_id)
        assert name.endswith(".mp4") and "/" not in name and not name.startswith(".")
        assert destination(tmp_path, task_id).parent == tmp_path.resolve()


# -- the box check -----------------------------------------------------------------------------

def layout(data: bytes):
    return mp4_layout(io.BytesIO(data), len(data))


def test_a_whole_mp4_passes_the_box_check():
    found = layout(VIDEO)
    assert found.whole and found.types[0] == "ftyp" and {"moov", "mdat"} <= set(found.types)


def test_no_truncation_of_a_real_mp4_passes_the_box_check():
    # every byte offset: a cut inside a header, inside a box, or exactly between two boxes
    passed = [n for n in range(len(VIDEO)) if layout(VIDEO[:n]).whole]
    assert passed == []


def test_box_sizes_64_bit_and_to_the_end():
    ftyp = b"\x00\x00\x00\x10ftypisom\x00\x00\x02\x00"
    moov = b"\x00\x00\x00\x08moov"
    payload = b"\xab" * 100
    large = (1).to_bytes(4, "big") + b"mdat" + (16 + len(payload)).to_bytes(8, "big") + payload
    assert layout(ftyp + moov + large).whole
    assert not layout(ftyp + moov + large[:-1]).whole
    assert not layout(ftyp + moov + large[:12]).whole  # the largesize itself cut
    to_end = b"\x00\x00\x00\x00mdat" + payload
    assert layout(ftyp + moov + to_end).whole
    assert not layout(ftyp + moov + large + b"\x00\x00").whole  # trailing bytes: a cut header
    assert layout(ftyp + b"\x00\x00\x00\x04moov").problem  # a size below the header's own


# -- a loopback video host that misbehaves on request ------------------------------------------

@dataclass
class Behaviour:
    """How the host answers request number n (1-based) with Range start ``start``."""

    #: bytes to send before hanging up (None: all)
    cut: Callable[[int, int], int | None] = lambda n, start: None
    #: the Content-Length to announce (None: omit it and close the connection at the end)
    length: Callable[[int, int, int], int | None] = lambda n, start, real: real
    honours_range: bool = True


@dataclass
class Host:
    behaviours: dict[str, Behaviour]
    log: list[tuple[str, str | None, int]] = field(default_factory=list)
    url: str = ""
    body: bytes = VIDEO


@pytest.fixture
def host() -> Iterator[Host]:
    state = Host({})
    counts: dict[str, int] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            name = self.path.strip("/")
            behaviour = state.behaviours[name]
            counts[name] = n = counts.get(name, 0) + 1
            value = self.headers.get("Range")
            video = state.body
            start = int(value[6:-1]) if value and behaviour.honours_range else 0
            if start >= len(video):
                self._reply(name, value, 416, {"Content-Range": f"bytes */{len(video)}", "Content-Length": "0"})
                return
            body = video[start:]
            headers = {"Content-Type": "video/mp4"}
            if start:
                headers["Content-Range"] = f"bytes {start}-{len(video) - 1}/{len(video)}"
            length = behaviour.length(n, start, len(body))
            if length is None:
                headers["Connection"] = "close"
                self.close_connection = True
            else:
                headers["Content-Length"] = str(length)
            cut = behaviour.cut(n, start)
            self._reply(name, value, 206 if start else 200, headers)
            self.wfile.write(body[:cut] if cut is not None else body)
            if cut is not None or (length is not None and length != len(body)):
                self.close_connection = True  # hang up: the client sees what it sees

        def _reply(self, name: str, value: str | None, status: int, headers: dict[str, str]) -> None:
            state.log.append((name, value, status))
            self.send_response(status)
            for key, val in headers.items():
                self.send_header(key, val)
            self.end_headers()

        def handle(self) -> None:
            with contextlib.suppress(ConnectionError):  # the client hung up on a lying reply
                super().handle()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def fetch(host: Host, name: str, behaviour: Behaviour, dest: Path) -> Path | Exception:
    host.behaviours[name] = behaviour

    async def go() -> Path:
        async with new_http_client() as http:
            return await download(http, f"{host.url}/{name}", dest, policy=FAST)

    try:
        return asyncio.run(go())
    except Exception as exc:  # noqa: BLE001 - returned for assertions
        return exc


HALF = len(VIDEO) * 49 // 100
MID_MOOV = VIDEO.index(b"moov") + 40  # inside the moov box


def first_only(cut: int) -> Callable[[int, int], int | None]:
    return lambda n, start: cut if n == 1 else None


CASES = {
    # name: (behaviour, requests expected, the Range of the 2nd request)
    "complete": (Behaviour(), 1, None),
    "no-length-cut-at-49%": (Behaviour(cut=first_only(HALF), length=lambda n, s, real: None), 2, HALF),
    "cut-mid-box-then-range-works": (Behaviour(cut=first_only(MID_MOOV)), 2, MID_MOOV),
    "length-too-long": (Behaviour(length=lambda n, s, real: real + 500 if n == 1 else real), 2, len(VIDEO)),
    "length-too-short": (Behaviour(length=lambda n, s, real: real * 6 // 10 if n == 1 else real), 2,
                         len(VIDEO) * 6 // 10),
    "ignores-range": (Behaviour(cut=first_only(HALF), honours_range=False), 2, HALF),
}


@pytest.mark.parametrize("name", CASES)
def test_a_misbehaving_host_still_yields_the_whole_file(host, tmp_path, name):
    behaviour, requests, second_range = CASES[name]
    dest = tmp_path / "v.mp4"
    result = fetch(host, name, behaviour, dest)
    assert result == dest, result
    assert dest.read_bytes() == VIDEO
    assert [p.name for p in tmp_path.iterdir()] == ["v.mp4"]
    assert len(host.log) == requests, host.log
    if second_range is not None:
        assert host.log[1][1] == f"bytes={second_range}-"


NEVER_WHOLE = {
    "always-cut-without-length": Behaviour(cut=lambda n, s: HALF - s if s < HALF else None,
                                           length=lambda n, s, real: None, honours_range=False),
    "always-announces-too-much": Behaviour(length=lambda n, s, real: real + 500, honours_range=False),
    "always-announces-too-little": Behaviour(length=lambda n, s, real: real * 6 // 10, honours_range=False),
}


@pytest.mark.parametrize("name", NEVER_WHOLE)
def test_a_file_never_proven_whole_is_never_saved(host, tmp_path, name):
    dest = tmp_path / "v.mp4"
    result = fetch(host, name, NEVER_WHOLE[name], dest)
    assert isinstance(result, GatewayError) and "no file was saved" in str(result), result
    assert list(tmp_path.iterdir()) == []
    assert len(host.log) > 1  # it did retry


def test_a_transfer_cut_early_resumes_instead_of_restarting(host, tmp_path):
    """Bytes go to disk as they arrive: a small file cut after 1 KB resumes from there."""
    result = fetch(host, "cut", Behaviour(cut=first_only(1000)), tmp_path / "v.mp4")
    assert result == tmp_path / "v.mp4"
    assert host.log[1][1] == "bytes=1000-"


# -- disk full ----------------------------------------------------------------------------------

@pytest.fixture
def tiny_disk(tmp_path) -> Iterator[Path]:
    """A real 64 KiB tmpfs (needs root and mount rights; skipped otherwise)."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or 'mount failed'})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.parametrize("announced", [True, False])
def test_disk_full_names_the_folder_and_the_space_and_leaves_nothing(host, tiny_disk, announced):
    host.body = big = VIDEO * 60  # ~116 KB: more than the 64 KiB disk holds
    assert len(big) > 64 * 1024

    def length(n: int, start: int, real: int) -> int | None:
        return real if announced else None

    result = fetch(host, "big", Behaviour(length=length), tiny_disk / "v.mp4")
    assert isinstance(result, StorageError), result
    text = str(result)
    assert str(tiny_disk) in text and "no space left" in text
    if announced:
        assert f"{len(big) / 1000:.1f} KB" in text
    else:
        assert "written so far" in text
    assert result.folder == tiny_disk
    assert os.listdir(tiny_disk) == []
    assert len(host.log) == 1  # a full disk is not retried


def test_an_unusable_video_folder_is_a_storage_error(tmp_path):
    blocker = tmp_path / "videos"
    blocker.write_text("a file where the folder should be")
    result, seen = serve(lambda req, n: ranged(req, VIDEO))(blocker / "task.mp4")
    assert isinstance(result, StorageError) and str(blocker) in str(result) and "HAILUO_OUTPUT_DIR" in str(result)
    assert seen == []  # nothing was fetched

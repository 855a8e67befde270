"""Run the simulator standalone: `python -m hailuo_nb.sim [options]` until Ctrl-C.

Examples:
    python -m hailuo_nb.sim --port 8765 --seconds 10 --rate-limit 2
        --variant runapi.id_field=task_id --fault rate_limit:submit:3

`--variant PROTOCOL.OPTION=VALUE` (true/false/none and integers are converted);
`--fault NAME[:KIND[:COUNT[:PROTOCOL]]][:PARAM=VALUE...]` (`any` or an empty field for
any kind or protocol, COUNT -1 for forever), e.g. `server_error:poll:2::status=503`.
"""

from __future__ import annotations

import argparse
import threading
from typing import Any

from .protocols import PROTOCOL_NAMES
from .server import SimServer


def parse_value(text: str) -> Any:
    """'true' -> True, 'none' -> None, '3' -> 3, '0.5' -> 0.5, else the string."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_variant(text: str) -> tuple[str, str, Any]:
    """'runapi.id_field=task_id' -> ('runapi', 'id_field', 'task_id')."""
    target, sep, value = text.partition("=")
    protocol, dot, option = target.partition(".")
    if not sep or not dot:
        raise argparse.ArgumentTypeError(f"expected PROTOCOL.OPTION=VALUE, got {text!r}")
    return protocol, option, parse_value(value)


def parse_fault(text: str) -> dict[str, Any]:
    """'rate_limit:submit:3' -> inject() keyword arguments."""
    parts = text.split(":")
    params = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
    positional = [p for p in parts[1:] if "=" not in p] + ["", "", ""]
    kind, count, protocol = positional[:3]
    return {"fault": parts[0], "kind": None if kind in ("", "any") else kind,
            "count": int(count) if count else 1,
            "protocol": None if protocol in ("", "any") else protocol,
            **{k: parse_value(v) for k, v in params.items()}}


def env_lines(srv: SimServer) -> list[str]:
    """One `export ...` line per protocol."""
    return ["export " + " ".join(f"{k}={v}" for k, v in srv.env(p).items())
            for p in PROTOCOL_NAMES]


def main(argv: list[str] | None = None) -> int:
    """Start the simulator, print how to point hailuo_nb at it, serve until Ctrl-C."""
    ap = argparse.ArgumentParser(prog="python -m hailuo_nb.sim", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765, help="API port (0 = any free port)")
    ap.add_argument("--video-port", type=int, default=0, help="video origin port (0 = any)")
    ap.add_argument("--seconds", type=float, default=10.0, help="job length in seconds")
    ap.add_argument("--api-key", default="hailuo-sim-key")
    ap.add_argument("--url-ttl", type=float, default=3600.0, help="video URL lifetime (s)")
    ap.add_argument("--rate-limit", type=float, default=None, help="API requests per second")
    ap.add_argument("--variant", action="append", default=[], type=parse_variant,
                    help="PROTOCOL.OPTION=VALUE, repeatable")
    ap.add_argument("--fault", action="append", default=[], type=parse_fault,
                    help="NAME[:KIND[:COUNT[:PROTOCOL]]][:PARAM=VALUE], repeatable")
    ap.add_argument("--https", action="store_true",
                    help="serve videos over https with a self-signed certificate")
    ap.add_argument("--queue-fraction", type=float, default=0.2,
                    help="share of a job spent queued before it runs")
    args = ap.parse_args(argv)
    srv = SimServer(job_seconds=args.seconds, api_key=args.api_key, host=args.host,
                    port=args.port, video_port=args.video_port, url_ttl=args.url_ttl,
                    rate_limit_rps=args.rate_limit, https=args.https)
    try:
        for protocol, option, value in args.variant:
            srv.set_variant(protocol, **{option: value})
        for fault in args.fault:
            srv.inject(**fault)
        srv.queue_fraction = args.queue_fraction
    except ValueError as exc:
        ap.error(str(exc))
    try:
        srv.start()
    except RuntimeError as exc:  # --https without any certificate tool
        ap.error(str(exc))
    try:  # print inside the try: a Ctrl-C right after the last line must still stop cleanly
        print(f"hailuo_nb simulator: API {srv.base_url}, videos {srv.video_base_url}, "
              f"jobs take {srv.job_seconds:g} s. Point hailuo_nb at it with one of:", flush=True)
        for line in env_lines(srv):
            print(line, flush=True)
        if srv.tls_cert_path:
            print(f"Video origin certificate (trust it as a CA): {srv.tls_cert_path}",
                  flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Tiny hostile loopback servers, written independently of hailuo_nb.sim.

- :class:`HostileGateway` speaks the Runbase protocol (``POST /api/v1/runs``,
  ``GET /api/v1/runs/{id}``) but misbehaves on request: it echoes the caller's
  Authorization header in its error messages, returns task ids such as
  ``../../etc/passwd``, puts HTML in error messages, and points at any video URL.
- :class:`Recorder` serves a small MP4 (``/v.mp4``), redirects (``/to?url=...``), and
  records every request's headers, so a test can see what reached which host.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


def tiny_mp4() -> bytes:
    """A real (tiny) H.264 MP4, made here with PyAV."""
    import av
    import numpy as np

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=8)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(8):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 30, dtype=np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


class _Server:
    """A ThreadingHTTPServer on a free loopback port, answering with ``self.handle``."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        outer = self
        self.seen: list[dict[str, Any]] = []
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                record = {"method": self.command, "path": self.path,
                          "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                with outer._lock:
                    outer.seen.append(record)
                status, headers, payload = outer.handle(record)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_HEAD = _any

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.host = host
        self.port = self.httpd.server_address[1]
        # polled every 50 ms for shutdown (the default 0.5 s is paid by every test's teardown)
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def handle(self, record: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        raise NotImplementedError

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _json(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


class Recorder(_Server):
    """A video host: ``/v.mp4`` (the MP4), ``/to?url=U`` (302 to U); records every request."""

    def __init__(self, video: bytes, host: str = "127.0.0.1", disposition: str = "") -> None:
        self.video = video
        self.disposition = disposition  # a Content-Disposition file name to offer (hostile ones too)
        super().__init__(host)

    def handle(self, record: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(record["path"])
        if parts.path == "/to":
            return 302, {"Location": parse_qs(parts.query)["url"][0]}, b""
        if parts.path.endswith(".mp4"):
            headers = {"Content-Type": "video/mp4"}
            if self.disposition:
                headers["Content-Disposition"] = f'attachment; filename="{self.disposition}"'
            return 200, headers, self.video
        return 404, {"Content-Type": "text/plain"}, b"not found"


class HostileGateway(_Server):
    """Runbase-shaped gateway whose behaviour the test sets per submission.

    ``plan`` is a list of dicts, one per submission, consumed in order; keys:
    ``submit`` (``(status, body)`` or a callable of the auth header), ``task_id``,
    ``fail`` (a failure message: the task fails on its first poll), ``video_url``,
    ``status`` (the status word of a successful poll, default ``succeeded``).
    """

    def __init__(self, video_url: str = "") -> None:
        super().__init__()
        self.video_url = video_url
        self.plan: list[dict[str, Any]] = []
        self.current: dict[str, Any] = {}

    def handle(self, record: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        auth = record["headers"].get("authorization", "")
        if record["method"] == "POST":
            self.current = self.plan.pop(0) if self.plan else {}
            submit = self.current.get("submit")
            if callable(submit):
                submit = submit(auth)
            if submit is not None:
                status, body = submit
                return _json(status, body)
            task_id = self.current.get("task_id", "run_hostile1")
            return _json(200, {"id": task_id, "status": "queued", "output": None})
        # any GET is a poll of the current task (hostile ids may have rewritten the path)
        task_id = self.current.get("task_id", "run_hostile1")
        fail: str | Callable[[str], str] | None = self.current.get("fail")
        if fail is not None:
            message = fail(auth) if callable(fail) else fail
            return _json(200, {"id": task_id, "status": "failed", "error": message})
        url = self.current.get("video_url", self.video_url)
        return _json(200, {"id": task_id, "status": self.current.get("status", "succeeded"),
                           "output": {"urls": [url]}})

    def env(self, key: str) -> dict[str, str]:
        return {"RUNBASE_API_KEY": key, "RUNBASE_BASE_URL": self.url}

"""An independently written Runbase gateway with its own fault injection (the matrix's "held-out" server).

Written from docs/protocols.md §3 alone, sharing no code with ``hailuo_nb.sim``: plain
``http.server`` (HTTP/1.0, one connection per request), its own task clock, its own video
host with expiring tokens that refuses Authorization headers. It offers the subset of the
simulator's test interface the fault matrix uses (``inject``, ``count``, ``requests``,
``accepted_submissions``, ``faults``, ``clear_faults``, ``env``, ``job_seconds``), so the
same scenarios run against it and must give the same outcomes.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .gateways import tiny_mp4

PROTOCOL = "runbase"
KINDS = {
    "rate_limit": {"submit", "poll", "download"}, "server_error": {"submit", "poll", "download"},
    "reset": {"submit", "poll", "download"}, "lost_reply": {"submit", "poll", "download"},
    "slow": {"submit", "poll", "download"}, "malformed_json": {"submit", "poll"},
    "unknown_status": {"poll"}, "remote_failure": {"poll"}, "content_policy": {"submit", "poll"},
    "expired_url": {"download"}, "truncated": {"download"},
}


@dataclass
class TwinFault:
    name: str
    kind: str
    count: int
    params: dict[str, Any]
    protocol: str = PROTOCOL
    hits: int = 0


@dataclass
class TwinTask:
    id: str
    prompt: str
    job_seconds: float
    started: float = field(default_factory=time.monotonic)
    failure: str | None = None
    client_task_id: str | None = None

    def status(self) -> str:
        if self.failure is not None:
            return "failed"
        elapsed = time.monotonic() - self.started
        if elapsed >= self.job_seconds:
            return "succeeded"
        return "queued" if elapsed < 0.2 * self.job_seconds else "running"


@dataclass(frozen=True)
class TwinRecord:
    protocol: str
    kind: str
    method: str
    path: str
    status: int | None
    has_authorization: bool
    time: float
    fault: str | None


class _Reset(Exception):
    """Close the connection without a reply."""


class TwinRunbase:
    """The independent Runbase gateway plus its video host."""

    served_protocols = (PROTOCOL,)

    def __init__(self, api_key: str, job_seconds: float = 0.3, url_ttl: float = 600.0) -> None:
        self.api_key, self.job_seconds, self.url_ttl = api_key, job_seconds, url_ttl
        self._lock = threading.Lock()
        self._tasks: dict[str, TwinTask] = {}
        self._tokens: dict[str, tuple[str, float]] = {}
        self._faults: list[TwinFault] = []
        self._log: list[TwinRecord] = []
        self.video = tiny_mp4()
        self._api = self._serve(self._api_reply)
        self._videos = self._serve(self._video_reply)

    # -- the test interface (as the simulator's) ---------------------------------------------------
    def env(self, protocol: str) -> dict[str, str]:
        assert protocol == PROTOCOL
        return {"HAILUO_PROVIDER": PROTOCOL, "RUNBASE_API_KEY": self.api_key,
                "RUNBASE_BASE_URL": f"http://127.0.0.1:{self._api.server_address[1]}"}

    def inject(self, fault: str, protocol: str | None = None, kind: str | None = None, count: int = 1,
               **params: Any) -> TwinFault:
        if fault not in KINDS or kind not in KINDS[fault] or protocol not in (None, PROTOCOL):
            raise ValueError(f"the twin has no fault {fault!r} for {protocol}/{kind}")
        made = TwinFault(fault, kind, count, params)
        with self._lock:
            self._faults.append(made)
        return made

    @property
    def faults(self) -> list[TwinFault]:
        with self._lock:
            return list(self._faults)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def requests(self) -> list[TwinRecord]:
        with self._lock:
            return list(self._log)

    def count(self, kind: str | None = None, protocol: str | None = None) -> int:
        return sum(1 for r in self.requests if kind in (None, r.kind) and protocol in (None, r.protocol))

    def accepted_submissions(self, protocol: str | None = None) -> list[TwinTask]:
        with self._lock:
            return list(self._tasks.values())

    def stop(self) -> None:
        for httpd in (self._api, self._videos):
            httpd.shutdown()
            httpd.server_close()

    # -- plumbing ------------------------------------------------------------------------------
    def _serve(self, reply: Any) -> ThreadingHTTPServer:
        twin = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    kind, fault, status, headers, payload, cut = reply(self.command, self.path,
                                                                       self.headers, body)
                except _Reset as reset:
                    kind, fault = reset.args
                    twin._record(kind, self, None, fault)
                    self.close_connection = True
                    return
                twin._record(kind, self, status, fault)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload[: len(payload) // 2] if cut else payload)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
                    pass
                if cut:
                    self.close_connection = True

            do_GET = do_POST = _any

            def log_message(self, *args: Any) -> None:
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return httpd

    def _record(self, kind: str, handler: BaseHTTPRequestHandler, status: int | None,
                fault: str | None) -> None:
        record = TwinRecord(PROTOCOL, kind, handler.command, handler.path, status,
                            "Authorization" in handler.headers, time.time(), fault)
        with self._lock:
            self._log.append(record)

    def _take(self, kind: str) -> TwinFault | None:
        with self._lock:
            for fault in self._faults:
                if fault.kind == kind:
                    fault.hits += 1
                    if fault.count >= 0 and fault.hits >= fault.count:
                        self._faults.remove(fault)
                    return fault
        return None

    @staticmethod
    def _json(status: int, body: Any,
              headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(body).encode()

    def _api_reply(self, method: str, path: str, headers: Any, body: bytes) -> tuple:
        kind = "submit" if method == "POST" and path == "/api/v1/runs" else "poll"
        fault = self._take(kind)
        name = fault.name if fault else None
        if name == "slow":
            time.sleep(float(fault.params.get("delay", 2)))  # type: ignore[union-attr]
        if name == "reset":
            raise _Reset(kind, name)
        if name == "rate_limit":
            wait = float(fault.params.get("retry_after", 1))  # type: ignore[union-attr]
            return (kind, name, *self._json(429, {"error": "rate limited", "code": "rate_limited"},
                                            {"Retry-After": str(max(1, round(wait)))}), False)
        if name == "server_error":
            status = int(fault.params.get("status", 500))  # type: ignore[union-attr]
            error = {"error": "internal error", "code": "server_error"}
            return (kind, name, *self._json(status, error), False)
        if name == "malformed_json":
            return kind, name, 200, {"Content-Type": "application/json"}, b'{"id": "rb_', False
        if headers.get("Authorization") != f"Bearer {self.api_key}":
            return (kind, name, *self._json(401, {"error": "unauthorized", "code": "unauthorized"}), False)
        if kind == "submit":
            if name == "content_policy":
                message = fault.params.get("message", "content policy")  # type: ignore[union-attr]
                return (kind, name, *self._json(400, {"error": message, "code": "content_policy"}), False)
            prompt = (json.loads(body or b"{}").get("input") or {}).get("prompt", "")
            task = TwinTask("rb_" + secrets.token_hex(6), prompt, self.job_seconds)
            with self._lock:
                self._tasks[task.id] = task
            if name == "lost_reply":
                raise _Reset(kind, name)
            return (kind, name, *self._json(201, {"id": task.id, "status": "queued", "output": None}), False)
        with self._lock:
            task = self._tasks.get(path.rsplit("/", 1)[-1])
        if task is None:
            return (kind, name, *self._json(404, {"error": "not found", "code": "not_found"}), False)
        if name in ("remote_failure", "content_policy") and task.status() in ("queued", "running"):
            task.failure = str(fault.params.get("message", "failed"))  # type: ignore[union-attr]
        status = task.status()
        reply: dict[str, Any] = {"id": task.id, "status": status, "output": None}
        if name == "unknown_status":
            reply["status"] = fault.params.get("word", "Thinking")  # type: ignore[union-attr]
        elif status == "failed":
            reply["error"] = task.failure
        elif status == "succeeded":
            token = secrets.token_hex(8)
            with self._lock:
                self._tokens[token] = (task.id, time.monotonic())
            reply["output"] = {"urls": [f"http://127.0.0.1:{self._videos.server_address[1]}/v/{token}.mp4"]}
        if name == "lost_reply":
            raise _Reset(kind, name)
        return (kind, name, *self._json(200, reply), False)

    def _video_reply(self, method: str, path: str, headers: Any, body: bytes) -> tuple:
        kind = "download"
        if "Authorization" in headers:
            return kind, None, 403, {"Content-Type": "text/plain"}, b"no Authorization here", False
        fault = self._take(kind)
        name = fault.name if fault else None
        if name == "slow":
            time.sleep(float(fault.params.get("delay", 2)))  # type: ignore[union-attr]
        if name in ("reset", "lost_reply"):
            raise _Reset(kind, name)
        if name == "rate_limit":
            return kind, name, 429, {"Retry-After": "1"}, b"slow down", False
        if name == "server_error":
            return kind, name, int(fault.params.get("status", 500)), {}, b"oops", False  # type: ignore[union-attr]
        token = path.rsplit("/", 1)[-1].removesuffix(".mp4")
        with self._lock:
            issued = self._tokens.get(token)
        if issued is None:
            return kind, name, 404, {}, b"not found", False
        if name == "expired_url" or time.monotonic() - issued[1] > self.url_ttl:
            return kind, name, 403, {"Content-Type": "text/plain"}, b"Request has expired", False
        range_header = headers.get("Range")
        if range_header and range_header.startswith("bytes="):
            start = int(range_header[6:].split("-")[0])
            if start >= len(self.video):
                return kind, name, 416, {"Content-Range": f"bytes */{len(self.video)}"}, b"", False
            part, size = self.video[start:], len(self.video)
            ranged = {"Content-Type": "video/mp4", "Content-Range": f"bytes {start}-{size - 1}/{size}"}
            return kind, name, 206, ranged, part, name == "truncated"
        return kind, name, 200, {"Content-Type": "video/mp4"}, self.video, name == "truncated"

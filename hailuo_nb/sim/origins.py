"""The two origins' request pipelines, and the request log they share.

API origin, per request: route -> draw a fault -> faults that replace the reply ->
rate-limit bucket -> `Authorization: Bearer <key>` -> protocol handler -> faults that
act after it (`lost_reply`). Video origin: refuse any Authorization header (403), draw a
fault, refuse expired links (403), serve with Range (206) and HEAD support.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from dataclasses import dataclass

from .core import POLICY_MESSAGE, Call, SimCore
from .faults import FaultBook
from .httpio import Reply, Request, parse_range
from .protocols import BaseProtocol
from .protocols.base import Handler
from .protocols.runapi_files import receive
from .ratelimit import TokenBucket

BROKEN_JSON = b'{"status": "ok", "data": {"id": '


@dataclass(frozen=True)
class RequestRecord:
    """One request as the simulator saw it (never its headers, so never the key)."""

    protocol: str | None
    kind: str | None
    method: str
    path: str
    status: int | None  # None: the connection was closed without a reply
    has_authorization: bool
    time: float
    fault: str | None


class RequestLog:
    """Thread-safe, bounded list of `RequestRecord`s."""

    def __init__(self, maxlen: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._records: deque[RequestRecord] = deque(maxlen=maxlen)

    def add(self, call: Call, reply: Reply) -> None:
        """Record the request and the reply it got."""
        req = call.request
        record = RequestRecord(call.protocol, call.kind, req.method, req.target,
                               None if reply.reset else reply.status,
                               "authorization" in req.headers, time.time(),
                               call.fault.name if call.fault else None)
        with self._lock:
            self._records.append(record)

    def snapshot(self) -> list[RequestRecord]:
        """A copy of the records so far."""
        with self._lock:
            return list(self._records)


def retry_headers(reply: Reply, seconds: float) -> Reply:
    """Add Retry-After (whole seconds, rounded up) and the precise value to a JSON body."""
    reply.headers["Retry-After"] = str(max(1, math.ceil(seconds)))
    if reply.body.startswith(b"{"):
        reply.body = reply.body[:-1] + f', "retry_after": {round(seconds, 3)}}}'.encode()
    return reply


def wire_fault(call: Call) -> Reply | None:
    """Faults that look the same on every origin and protocol (None: not one of them)."""
    fault = call.fault
    if fault is None:
        return None
    if fault.name == "slow":
        time.sleep(float(fault.param("delay", 2.0)))
    elif fault.name == "reset":
        return Reply(reset=True)
    return None


class ApiOrigin:
    """Routes API requests to the protocols and applies auth, limits and faults."""

    def __init__(self, core: SimCore, protocols: dict[str, BaseProtocol], faults: FaultBook,
                 log: RequestLog) -> None:
        self.core, self.protocols, self.faults, self.log = core, protocols, faults, log
        self.bucket: TokenBucket | None = None

    def route(self, req: Request) -> tuple[BaseProtocol, str, Handler, dict[str, str]] | None:
        """(protocol, kind, handler, path groups) for a request, or None."""
        for proto in self.protocols.values():
            found = proto.match(req.method, req.path)
            if found:
                return proto, *found
        return None

    def __call__(self, req: Request) -> Reply:
        """Answer one request and log it."""
        found = self.route(req)
        if found is None:
            call = Call(req, None, None)
            reply = Reply.json({"error": {"message": f"no route for {req.method} {req.path}"}},
                               404)
        else:
            proto, kind, handler, match = found
            call = Call(req, proto.name, kind, match, self.faults.take(proto.name, kind))
            reply = self.reply(proto, call, handler)
        self.log.add(call, reply)
        return reply

    def reply(self, proto: BaseProtocol, call: Call, handler: Handler) -> Reply:
        """The reply for a routed request, faults applied."""
        reply = self.handle(proto, call, handler)
        if not reply.reset:
            proto.finish(call, reply)
        return reply

    def handle(self, proto: BaseProtocol, call: Call, handler: Handler) -> Reply:
        """Faults, rate limit, key check, then the protocol's handler."""
        early = wire_fault(call) or self.fault_reply(proto, call)
        if early is not None:
            return early
        if self.bucket is not None:
            wait = self.bucket.take()
            if wait > 0:
                return retry_headers(proto.refuse(call, "rate_limit", "rate limit exceeded"),
                                     wait)
        refused = self.check_key(proto, call)
        if refused is not None:
            return refused
        try:
            reply = handler(self.core, call)
        except Exception as exc:  # a simulator bug should look like a 500, not a hang
            reply = proto.refuse(call, "server", f"internal error: {type(exc).__name__}: {exc}")
        if call.fault_is("lost_reply"):
            reply.reset = True
        return reply

    def check_key(self, proto: BaseProtocol, call: Call) -> Reply | None:
        """The protocol's bad-key reply, or None when the key is right."""
        header = proto.authorization(call)
        if not header:
            return proto.refuse(call, "auth", "missing api key: send Authorization: Bearer <key>")
        if not re.fullmatch(r"Bearer [\x21-\x7e]+", header):
            return proto.refuse(call, "auth_malformed", "malformed Authorization header")
        if header[len("Bearer "):] != self.core.api_key:
            return proto.refuse(call, "auth", "invalid api key")
        return None

    def fault_reply(self, proto: BaseProtocol, call: Call) -> Reply | None:
        """The reply a pre-handler fault substitutes, or None."""
        fault = call.fault
        if fault is None:
            return None
        name = fault.name
        if name == "rate_limit":
            seconds = float(fault.param("retry_after", 1))
            return retry_headers(proto.refuse(call, "rate_limit", "rate limit exceeded", 429),
                                 seconds)
        if name == "minimax_rate_limit":
            return proto.refuse(call, "rate_limit", "rate limit exceeded(RPM)", 200)
        if name == "server_error":
            status = int(fault.param("status", 500))
            return proto.refuse(call, "server", f"upstream error {status}", status)
        if name == "malformed_json":
            return Reply(200, BROKEN_JSON, {"Content-Type": "application/json"})
        if name == "auth":
            return proto.refuse(call, "auth", "invalid api key")
        if name == "credits":
            return proto.refuse(call, "credits", "insufficient credits")
        if name == "content_policy" and call.kind == "submit":
            return proto.refuse(call, "policy", str(fault.param("message", POLICY_MESSAGE)))
        return None


class VideoOrigin:
    """Serves `/videos/<token>.mp4` and `/files/<token>` without any auth."""

    def __init__(self, core: SimCore, faults: FaultBook, log: RequestLog) -> None:
        self.core, self.faults, self.log = core, faults, log

    def __call__(self, req: Request) -> Reply:
        """Answer one request and log it."""
        call = Call(req, None, "upload" if req.method == "PUT" else "download")
        reply = self.upload(call) if req.method == "PUT" else self.reply(call)
        self.log.add(call, reply)
        return reply

    def reply(self, call: Call) -> Reply:
        """The reply for a routed request, faults applied."""
        req = call.request
        video = re.fullmatch(r"/videos/([\w-]+)\.mp4", req.path)
        upload = re.fullmatch(r"/files/([\w-]+)", req.path)
        link = self.core.media.link(video.group(1)) if video else None
        task = self.core.tasks.get(link.task_id) if link else None
        stored = self.core.media.file(upload.group(1)) if upload else None
        call.protocol = task.protocol if task else stored.protocol if stored else None
        if req.method not in ("GET", "HEAD"):
            return Reply.text("method not allowed", 405, {"Allow": "GET, HEAD"})
        if "authorization" in req.headers:
            # Like a pre-signed storage URL: a second credential is an error.
            return Reply.text("requests to this host must not carry an Authorization header",
                              403)
        if task is None and stored is None:
            return Reply.text("not found", 404)
        call.fault = self.faults.take(call.protocol, "download")
        early = wire_fault(call) or self.fault_reply(call)
        if early is not None:
            return early
        issued = link.issued if link else stored.issued if stored else 0.0
        if time.monotonic() - issued > self.core.url_ttl:
            return Reply.text("Request has expired", 403)
        if task is not None:
            try:
                body, ctype = self.core.video_bytes(task), "video/mp4"
            except Exception as exc:  # a failed render is a 500 for this request only
                return Reply.text(f"render failed: {type(exc).__name__}: {exc}", 500)
        else:
            assert stored is not None
            body, ctype = stored.data, stored.content_type
        reply = ranged(req, body, ctype)
        reply.truncate = call.fault_is("truncated")
        return reply

    def upload(self, call: Call) -> Reply:
        """PUT of a direct upload prepared by RunAPI's `files/prepare`."""
        req = call.request
        found = re.fullmatch(r"/uploads/([\w-]+)", req.path)
        pending = self.core.media.pending(token=found.group(1)) if found else None
        if pending is None:
            return Reply.text("not found", 404)
        call.protocol = pending.protocol
        if "authorization" in req.headers:
            return Reply.text("requests to this host must not carry an Authorization header",
                              403)
        call.fault = self.faults.take(call.protocol, "upload")
        early = wire_fault(call) or self.fault_reply(call)
        if early is not None:
            return early
        reply = receive(req, pending, self.core.url_ttl)
        if call.fault_is("lost_reply"):
            reply.reset = True
        return reply

    @staticmethod
    def fault_reply(call: Call) -> Reply | None:
        """The reply a fault substitutes on the video origin, or None."""
        fault = call.fault
        if fault is None:
            return None
        if fault.name == "rate_limit":
            return retry_headers(Reply.text("slow down", 429), float(fault.param("retry_after", 1)))
        if fault.name == "server_error":
            status = int(fault.param("status", 500))
            return Reply.text(f"upstream error {status}", status)
        if fault.name == "lost_reply" and call.kind == "download":
            return Reply(reset=True)
        if fault.name == "expired_url":
            return Reply.text("Request has expired", 403)
        return None


def ranged(req: Request, body: bytes, ctype: str) -> Reply:
    """200 or 206 for a GET/HEAD, honouring a single-range `Range` header."""
    headers = {"Content-Type": ctype, "Accept-Ranges": "bytes", "Cache-Control": "private"}
    value = req.header("range")
    if value:
        try:
            span = parse_range(value, len(body))
        except ValueError:
            return Reply(200, body, headers)
        if span is None:
            headers["Content-Range"] = f"bytes */{len(body)}"
            return Reply(416, b"", headers)
        start, end = span
        headers["Content-Range"] = f"bytes {start}-{end}/{len(body)}"
        return Reply(206, body[start : end + 1], headers)
    return Reply(200, body, headers)

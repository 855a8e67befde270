"""Receiving MiniMax-style ``callback_url`` POSTs, so completion is noticed without polling.

How to use it. Give ``generate(..., callback_url="https://you.example/hailuo")`` the public
URL of a listener this process runs, and say where that listener binds with
``HAILUO_CALLBACK_LISTEN=host:port`` (or ``generate(..., callback_listen="host:port")``):
e.g. ``127.0.0.1:8787`` behind a tunnel or reverse proxy that forwards the public URL to
it, or ``0.0.0.0:8787`` on a reachable machine. Any path is accepted. Without a listen
address, ``callback_url`` is only passed on to the gateway and polling goes on as usual.

What the listener does. It runs on the engine loop (``asyncio.start_server``, a minimal
HTTP/1.1 reader: POST with a ``Content-Length`` body, JSON reply, connection closed) and
starts with the first generation that asks for callbacks, before its submission (the
handshake comes right after the create call):

- ``{"challenge": X}`` → ``{"challenge": X}`` at once (MiniMax validates the URL with it,
  within 3 s; docs/protocols.md §1.5);
- ``{"task_id": …, "status": "processing" | "success" | "failed", …}`` → ``{"status":
  "success"}``, and the status is routed to the :class:`~hailuo_nb.gateway.runner.Runner`
  waiting for that task. A status for an unknown task id is remembered for
  :data:`REMEMBER_SECONDS` (it can arrive before the submit reply has been processed);
- anything else → 400 ``{"error": "bad request"}``. Nothing of a body is echoed except
  the challenge, and bodies are never logged above DEBUG.

Callbacks are unauthenticated and may be lost, so they are only a hint: the runner still
polls, rarely (``runner.FALLBACK_INTERVAL``), and on a ``success``/``failed`` callback it
makes one confirming poll through the provider; the video URL always comes from the
provider's API, never from a callback body.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("hailuo_nb")

#: how long a status for a task nobody waits for (yet) is kept
REMEMBER_SECONDS = 120.0
#: at most this many such statuses are kept (callbacks are unauthenticated)
REMEMBER_MAX = 1000
#: limits of the HTTP reader
MAX_HEAD = 16 * 1024
MAX_BODY = 64 * 1024
READ_TIMEOUT = 10.0

#: callback statuses that end a task (lower case, as MiniMax sends them; "fail" tolerated)
TERMINAL = frozenset({"success", "failed", "fail"})

Wake = Callable[[str], None]


class Registry:
    """task id → the runner's wake-up function; statuses for unknown ids are kept briefly.

    Used on the engine loop only, so it needs no lock.
    """

    def __init__(self) -> None:
        self._waiters: dict[str, Wake] = {}
        self._early: dict[str, tuple[float, str]] = {}

    def register(self, task_id: str, wake: Wake) -> Callable[[], None]:
        """Route ``task_id``'s statuses to ``wake(status)``; returns an unregister function.

        A status that arrived before registration is delivered at once.
        """
        task_id = str(task_id)
        self._waiters[task_id] = wake
        early = self._early.pop(task_id, None)
        if early is not None:
            wake(early[1])

        def unregister() -> None:
            if self._waiters.get(task_id) is wake:
                del self._waiters[task_id]

        return unregister

    def deliver(self, task_id: str, status: str) -> bool:
        """Hand ``status`` to the task's waiter; True if someone was waiting."""
        wake = self._waiters.get(task_id)
        if wake is not None:
            wake(status)
            return True
        now = time.monotonic()
        self._early = {k: v for k, v in self._early.items() if now - v[0] < REMEMBER_SECONDS}
        kept = self._early.get(task_id)
        if kept is not None and kept[1] in TERMINAL and status not in TERMINAL:
            return False  # a late "processing" must not hide a "success"
        if task_id in self._early or len(self._early) < REMEMBER_MAX:
            self._early[task_id] = (now, status)
        return False

    def remembered(self, task_id: str) -> str | None:
        """The status kept for a task nobody waits for yet, if any."""
        kept = self._early.get(str(task_id))
        return kept[1] if kept else None


def handle_body(raw: bytes, registry: Registry) -> tuple[int, dict[str, Any]]:
    """The reply (status code, JSON) to one callback body; routes statuses to ``registry``.

    Examples:
        >>> handle_body(b'{"challenge": "c1"}', Registry())
        (200, {'challenge': 'c1'})
        >>> handle_body(b'not json', Registry())
        (400, {'error': 'bad request'})
    """
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return 400, {"error": "bad request"}
    if not isinstance(body, dict):
        return 400, {"error": "bad request"}
    if "challenge" in body:
        challenge = body["challenge"]
        if isinstance(challenge, (str, int, float)) and not isinstance(challenge, bool):
            return 200, {"challenge": challenge}
        return 400, {"error": "bad request"}
    task_id, status = body.get("task_id"), body.get("status")
    if (isinstance(task_id, (str, int)) and not isinstance(task_id, bool) and str(task_id)
            and isinstance(status, str) and status):
        status = status.strip().lower()
        routed = registry.deliver(str(task_id), status)
        log.debug("hailuo_nb: callback for task %s: %s (%s)", task_id, status,
                  "routed" if routed else "kept")
        return 200, {"status": "success"}
    return 400, {"error": "bad request"}


_REASONS = {200: "OK", 400: "Bad Request", 405: "Method Not Allowed", 411: "Length Required",
            413: "Payload Too Large"}


async def _read_request(reader: asyncio.StreamReader) -> tuple[int, bytes | None]:
    """(0, body) for a POST with a Content-Length body, else (HTTP error status, None)."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError:
        return 413, None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        return 400, None
    if parts[0] != "POST":
        return 405, None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "transfer-encoding" in headers:
        return 411, None
    try:
        length = int(headers.get("content-length", ""))
    except ValueError:
        return 411, None
    if length < 0:
        return 400, None
    if length > MAX_BODY:
        return 413, None
    return 0, await reader.readexactly(length)


class Receiver:
    """The HTTP side: one short connection per callback."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                error, raw = await asyncio.wait_for(_read_request(reader), READ_TIMEOUT)
            except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError):
                return
            if raw is None:
                code, reply = error, {"error": _REASONS.get(error, "error").lower()}
            else:
                code, reply = handle_body(raw, self.registry)
            data = json.dumps(reply).encode("utf-8")
            writer.write(
                f"HTTP/1.1 {code} {_REASONS.get(code, 'Error')}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode("latin-1") + data
            )
            with contextlib.suppress(ConnectionError):
                await writer.drain()
        except Exception:  # one bad connection must never stop the listener
            log.debug("hailuo_nb: callback connection failed", exc_info=True)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


#: the process's registry, shared by every listener (routing is by task id)
registry = Registry()
_servers: dict[tuple[str, int], asyncio.AbstractServer] = {}


async def listen(host: str, port: int) -> Registry:
    """Make sure a listener runs on ``host:port`` (engine loop only); returns the registry."""
    if (host, port) not in _servers:
        server = await asyncio.start_server(Receiver(registry).handle, host, port, limit=MAX_HEAD)
        _servers[(host, port)] = server
        log.info("hailuo_nb: listening for callbacks on %s:%d", host, port)
    return registry


def listening() -> list[tuple[str, int]]:
    """The addresses listened on."""
    return list(_servers)


async def close_all() -> None:
    """Stop every listener (engine loop only)."""
    servers = list(_servers.values())
    _servers.clear()
    for server in servers:
        server.close()
        with contextlib.suppress(Exception):
            await server.wait_closed()


__all__ = ["REMEMBER_SECONDS", "Receiver", "Registry", "close_all", "handle_body", "listen",
           "listening", "registry"]

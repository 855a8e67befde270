"""Fault injection: what can go wrong, on which kind of request, and how often.

`SimServer.inject(name, protocol=None, kind=None, count=1, **params)` queues a `Fault`;
each matching request consumes one (`count=-1`: forever). Faults, their request kinds
and parameters:

=====================  =========================  ==========================================
fault                  kinds                      effect (params)
=====================  =========================  ==========================================
rate_limit             any                        HTTP 429 + Retry-After (`retry_after`, 1)
minimax_rate_limit     MiniMax API kinds          HTTP 200, base_resp 1002 (v2: HTTP 429)
server_error           any                        HTTP 5xx (`status`: 500, 502 or 503)
reset                  any                        connection closed without a reply
lost_reply             any                        request processed (a submit creates the
                                                  task), then the connection is closed
slow                   any                        reply delayed (`delay` seconds, 2)
malformed_json         API kinds                  HTTP 200 with a broken JSON body; the
                                                  request is not processed
unknown_status         poll                       a made-up status word (`word`, "Thinking")
remote_failure         submit, poll               the task fails remotely (`message`): at
                                                  its end when submitted, at once on a poll
content_policy         submit, poll               rejection on submit (no task), or the
                                                  polled task fails for policy (`message`)
auth                   API kinds                  the protocol's bad-key reply
credits                API kinds                  MiniMax 1008; others HTTP 402
expired_url            download                   HTTP 403 "expired"
truncated              download                   full Content-Length, about half the bytes
=====================  =========================  ==========================================
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

#: request kinds: submit (creates a task, incl. MiniMax v2 Context-IR and regeneration),
#: poll, retrieve (MiniMax v1 files), upload, list (MiniMax v2 task list), cancel
#: (MiniMax v2 DELETE, RunningHub cancel); download is the video origin
API_KINDS = frozenset({"submit", "poll", "retrieve", "upload", "list", "cancel"})
KINDS = API_KINDS | {"download"}

#: fault name -> the request kinds it can apply to
FAULT_KINDS: dict[str, frozenset[str]] = {
    "rate_limit": KINDS,
    "minimax_rate_limit": frozenset({"submit", "poll", "retrieve", "list", "cancel"}),
    "server_error": KINDS,
    "reset": KINDS,
    "lost_reply": KINDS,
    "slow": KINDS,
    "malformed_json": API_KINDS,
    "unknown_status": frozenset({"poll"}),
    "remote_failure": frozenset({"submit", "poll"}),
    "content_policy": frozenset({"submit", "poll"}),
    "auth": API_KINDS,
    "credits": API_KINDS,
    "expired_url": frozenset({"download"}),
    "truncated": frozenset({"download"}),
}

#: faults that only exist in one protocol
FAULT_PROTOCOL = {"minimax_rate_limit": "minimax"}


@dataclass
class Fault:
    """One injected fault; `hits` counts the requests it has affected."""

    name: str
    protocol: str | None = None
    kind: str | None = None
    count: int = 1
    params: dict[str, Any] = field(default_factory=dict)
    hits: int = 0

    @property
    def exhausted(self) -> bool:
        """True once the fault has affected `count` requests."""
        return self.count >= 0 and self.hits >= self.count

    def matches(self, protocol: str | None, kind: str | None) -> bool:
        """Whether this fault applies to a request of `protocol` and `kind`."""
        if kind is None or kind not in FAULT_KINDS[self.name]:
            return False
        if self.kind is not None and self.kind != kind:
            return False
        return self.protocol is None or self.protocol == protocol

    def param(self, name: str, default: Any) -> Any:
        """A fault parameter, or `default` when it was not given."""
        return self.params.get(name, default)


def make_fault(
    name: str, protocol: str | None, kind: str | None, count: int, params: dict[str, Any]
) -> Fault:
    """Validated `Fault`; ValueError for an unknown name or a kind it cannot apply to."""
    if name not in FAULT_KINDS:
        raise ValueError(f"unknown fault {name!r}; known: {', '.join(sorted(FAULT_KINDS))}")
    if kind is not None and kind not in FAULT_KINDS[name]:
        allowed = ", ".join(sorted(FAULT_KINDS[name]))
        raise ValueError(f"fault {name!r} cannot apply to {kind!r} requests (only {allowed})")
    fixed = FAULT_PROTOCOL.get(name)
    if fixed and protocol not in (None, fixed):
        raise ValueError(f"fault {name!r} exists only for protocol {fixed!r}")
    if count == 0 or count < -1:
        raise ValueError("count must be positive, or -1 for forever")
    if name == "server_error" and params.get("status", 500) not in (500, 502, 503, 504):
        raise ValueError("server_error status must be 500, 502, 503 or 504")
    return Fault(name, protocol or fixed, kind, count, dict(params))


class FaultBook:
    """Queued faults, consumed first-in first-out by matching requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        """Queue a fault."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._faults.clear()

    def take(self, protocol: str | None, kind: str | None) -> Fault | None:
        """Consume one use of the first fault matching this request, if any."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(protocol, kind):
                    fault.hits += 1
                    if fault.exhausted:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[Fault]:
        """Faults still waiting for a matching request."""
        with self._lock:
            return list(self._faults)

"""In-memory tasks whose status is computed from the clock.

A task is created at submit and never advanced by a worker: each read asks "how far
along are we?" (`SimTask.phase`). Queued for the first `queue_fraction` (20 %) of its job
time (the first half of which is the protocols' "just created" word, e.g. MiniMax
`Preparing`), running until the job time is up, then succeeded or, when a failure was
arranged, failed. A `held` task stays queued until `release()`; a cancelled one stays
`cancelled` (MiniMax v2 `DELETE`, RunningHub cancel); a deleted one is gone from the
gateway's view but kept here so tests can still count what was paid for.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

#: Generic phases; each protocol maps them onto its own words.
PHASES = ("created", "queued", "running", "succeeded", "failed", "cancelled")
#: phases that never change again
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})


def new_task_id(prefix: str = "", digits: int = 18) -> str:
    """A random id: digits only when `prefix` is empty (int64-safe), else prefix + hex."""
    if prefix:
        return prefix + secrets.token_hex(8)
    low, high = 10 ** (digits - 1), min(10**digits, 2**63)  # int64-safe, fixed width
    return str(low + secrets.randbelow(high - low))


@dataclass
class SimTask:
    """One accepted generation, as the simulated gateway sees it."""

    id: str
    protocol: str
    model: str
    prompt: str
    params: dict[str, Any] = field(repr=False)  # the request body as sent (may hold data URLs)
    job_seconds: float
    created_at: float = field(default_factory=time.time)
    client_task_id: str | None = None
    endpoint: str | None = None
    duration: int = 6
    resolution: str = "768P"
    aspect: float | None = None
    first_frame: bytes | None = field(default=None, repr=False)
    last_frame: bytes | None = field(default=None, repr=False)
    callback_url: str | None = None
    file_id: str = field(default_factory=lambda: new_task_id(digits=15))
    fail_message: str | None = None
    fail_code: str | None = None  # "remote" or "policy"
    failed_at: float | None = None  # monotonic; None = fail when the job would have finished
    callbacks: list[str] = field(default_factory=list)  # statuses POSTed to callback_url
    started: float = field(default_factory=time.monotonic, repr=False)
    queue_fraction: float = 0.2  # share of job_seconds spent queued
    held: bool = False  # stays queued until release()
    cancelled_at: float | None = None  # monotonic; set by a remote cancel
    deleted: bool = False  # removed at the gateway (MiniMax v2 DELETE of a finished task)
    has_audio: bool = False  # H3: the video carries a soundtrack, 24 fps
    ratio: str = ""  # the aspect ratio actually used ("16:9"), "" where none applies
    task_type: str = "generation"  # MiniMax v2: generation, h3_context_ir, regeneration
    price: float | None = None  # what the gateway bills on success, in its own currency
    usage: dict[str, Any] = field(default_factory=dict)  # usage reported on success
    output_text: str | None = None  # a text task's result (MiniMax v2 Context-IR)
    queue_seconds: float | None = None  # time queued ([queue=N] prompt word); None: queue_fraction

    def elapsed(self) -> float:
        """Seconds since the task was created."""
        return time.monotonic() - self.started

    def seconds_left(self) -> float:
        """Seconds until the task reaches a terminal phase (0 when it has)."""
        if self.cancelled_at is not None:
            return 0.0
        if self.held:
            return self.job_seconds
        end = self.job_seconds
        if self.failed_at is not None:
            end = min(end, self.failed_at - self.started)
        return max(0.0, end - self.elapsed())

    def phase(self) -> str:
        """Fine-grained phase: created, queued, running, succeeded, failed or cancelled."""
        now = time.monotonic()
        if self.cancelled_at is not None:
            return "cancelled"
        if self.failed_at is not None and now >= self.failed_at:
            return "failed"
        t = now - self.started
        js = max(self.job_seconds, 1e-9)
        queue = self.queue_end()
        if self.held:
            return "created" if t < queue / 2 else "queued"
        if t >= js:
            return "failed" if self.fail_message is not None else "succeeded"
        if t < queue / 2:
            return "created"
        return "queued" if t < queue else "running"

    def queue_end(self) -> float:
        """Seconds after `started` at which the task leaves the queue."""
        if self.queue_seconds is not None:
            return min(self.queue_seconds, self.job_seconds)
        return self.queue_fraction * self.job_seconds

    def release(self) -> None:
        """Let a held task start running now (its run takes the usual time)."""
        if self.held:
            self.started = time.monotonic() - self.queue_end()
            self.held = False

    def cancel(self) -> None:
        """Cancel the task remotely: it ends `cancelled` and is not charged."""
        self.cancelled_at = time.monotonic()
        self.held = False

    def updated_at(self) -> float:
        """Wall-clock time of the last status change (Unix seconds)."""
        phase = self.phase()
        offsets = {"created": 0.0, "queued": self.queue_end() / 2, "running": self.queue_end()}
        if phase in offsets:
            offset = offsets[phase]
        else:
            ends = [self.job_seconds]
            ends += [m - self.started for m in (self.failed_at, self.cancelled_at) if m]
            offset = max(0.0, min(ends))
        return self.created_at + offset

    @property
    def status(self) -> str:
        """Coarse status: queued, running, succeeded, failed or cancelled."""
        phase = self.phase()
        return "queued" if phase == "created" else phase

    def fail(self, message: str, code: str = "remote", now: bool = False) -> None:
        """Arrange a remote failure, at once or when the job would have finished.

        Failing at once leaves a task that has already finished as it is.
        """
        if now and self.status in TERMINAL:
            return
        self.fail_message = message
        self.fail_code = code
        if now:
            self.failed_at = time.monotonic()


class TaskStore:
    """Thread-safe task table, in creation order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tasks: dict[str, SimTask] = {}

    def add(self, task: SimTask) -> SimTask:
        """Store a task."""
        with self._lock:
            self._tasks[task.id] = task
        return task

    def get(self, task_id: str, protocol: str | None = None) -> SimTask | None:
        """A task by id, optionally only if it belongs to `protocol`."""
        with self._lock:
            task = self._tasks.get(task_id)
        if task is None or (protocol is not None and task.protocol != protocol):
            return None
        return task

    def by_file_id(self, file_id: str) -> SimTask | None:
        """The task whose (MiniMax) file id this is."""
        with self._lock:
            return next((t for t in self._tasks.values() if t.file_id == file_id), None)

    def snapshot(self) -> dict[str, SimTask]:
        """A copy of the table."""
        with self._lock:
            return dict(self._tasks)

    def find(self, **attrs: Any) -> SimTask | None:
        """First task whose attributes equal all of `attrs`."""
        for task in self.snapshot().values():
            if all(getattr(task, k) == v for k, v in attrs.items()):
                return task
        return None

"""In-memory tasks whose status is computed from the clock.

A task is created at submit and never advanced by a worker: each read asks "how far
along are we?" (`SimTask.phase`). Queued for the first 20 % of its job time (the first
10 % of which is the protocols' "just created" word, e.g. MiniMax `Preparing`), running
until the job time is up, then succeeded or, when a failure was arranged, failed.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

#: Generic phases; each protocol maps them onto its own words.
PHASES = ("created", "queued", "running", "succeeded", "failed")


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
    queue_seconds: float | None = None  # time queued (None: the first 20 % of the job)

    def elapsed(self) -> float:
        """Seconds since the task was created."""
        return time.monotonic() - self.started

    def seconds_left(self) -> float:
        """Seconds until the task reaches a terminal phase (0 when it has)."""
        end = self.job_seconds
        if self.failed_at is not None:
            end = min(end, self.failed_at - self.started)
        return max(0.0, end - self.elapsed())

    def phase(self) -> str:
        """Fine-grained phase: created, queued, running, succeeded or failed."""
        now = time.monotonic()
        if self.failed_at is not None and now >= self.failed_at:
            return "failed"
        t = now - self.started
        js = max(self.job_seconds, 1e-9)
        if t >= js:
            return "failed" if self.fail_message is not None else "succeeded"
        if self.queue_seconds is not None:
            return "queued" if t < self.queue_seconds else "running"
        if t < 0.1 * js:
            return "created"
        return "queued" if t < 0.2 * js else "running"

    @property
    def status(self) -> str:
        """Coarse status: queued, running, succeeded or failed."""
        phase = self.phase()
        return "queued" if phase == "created" else phase

    def fail(self, message: str, code: str = "remote", now: bool = False) -> None:
        """Arrange a remote failure, at once or when the job would have finished.

        Failing at once leaves a task that has already finished as it is.
        """
        if now and self.status in ("succeeded", "failed"):
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

"""The lifecycle vocabulary (docs/design.md §4) and what one poll reply says about a task."""

from __future__ import annotations

from dataclasses import dataclass

from hailuo_nb.errors import HailuoError

SUBMITTING = "submitting"
QUEUED = "queued"
RUNNING = "running"
DOWNLOADING = "downloading"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"

STATUSES = (SUBMITTING, QUEUED, RUNNING, DOWNLOADING, SUCCEEDED, FAILED, CANCELLED)
TERMINAL = frozenset({SUCCEEDED, FAILED, CANCELLED})
IN_FLIGHT = frozenset({SUBMITTING, QUEUED, RUNNING, DOWNLOADING})


@dataclass(frozen=True)
class TaskRef:
    """Enough to poll a task again, in this process or after a restart."""

    task_id: str
    #: Provider-specific routing a poll needs (RunAPI: ``text_to_video`` or
    #: ``image_to_video``); stored in the journal beside the id.
    route: str | None = None


@dataclass(frozen=True)
class TaskState:
    """One poll reply, mapped onto the lifecycle.

    ``status`` is queued, running, succeeded, failed or cancelled. On success either
    ``video_url`` or (MiniMax) ``file_id`` is set.
    """

    status: str
    raw_status: str | None = None
    video_url: str | None = None
    file_id: str | None = None
    error: HailuoError | None = None
    #: what the gateway says it charged, in USD (RunAPI ``usage.cost``)
    billed_usd: float | None = None
    #: a bill in another currency, said in words (RunningHub's CNY): never converted
    billed_note: str | None = None
    width: int | None = None
    height: int | None = None
    #: fraction done (0-1) where a gateway reports one (the poll schedule re-plans from it)
    progress: float | None = None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

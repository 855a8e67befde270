"""A Generation: one request's life, observable from any thread.

State is changed only on the engine thread; other threads read it and subscribe
with :meth:`Generation.add_listener`. Its run (runner.py) is a coroutine on the engine.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hailuo_nb.errors import GenerationTimeout, HailuoError
from hailuo_nb.gateway.catalog import ModelSpec
from hailuo_nb.gateway.config import Endpoint
from hailuo_nb.gateway.pricing import Price
from hailuo_nb.gateway.request import GenerationRequest
from hailuo_nb.gateway.task import IN_FLIGHT, SUBMITTING, TERMINAL

log = logging.getLogger("hailuo_nb")
Listener = Callable[["Generation"], None]


class Generation:
    """One video generation: status, task id, video, error, cost."""

    def __init__(
        self,
        *,
        id: str,
        request: GenerationRequest,
        request_key: str,
        price: Price | None,
        expected_seconds: tuple[float, float],
        status: str = SUBMITTING,
        created_at: float | None = None,
    ) -> None:
        self.id = id
        #: the validated request: the one source of what was asked (model, prompt, media…)
        self.request = request
        self.request_key = request_key
        self.price = price
        self.expected_seconds = expected_seconds
        self.status = status
        self.raw_status: str | None = None
        self.task_id: str | None = None
        self.route: str | None = None
        self.video_url: str | None = None
        self.video_path: Path | None = None
        self.error: HailuoError | None = None
        self.cost_usd: float | None = price.usd if price else None
        #: what the gateway says it charged (RunAPI usage.cost; MiniMax v2 usage at list price)
        self.billed_usd: float | None = None
        self.created_at = created_at or time.time()
        self.submitted_at: float | None = None
        self.finished_at: float | None = None
        self.reused = False
        #: how a cancel ended: at the gateway (free) or only locally (may still be billed)
        self.note: str | None = None
        self._listeners: list[Listener] = []
        self._listeners_lock = threading.Lock()
        self._done = threading.Event()
        self._future: concurrent.futures.Future[Any] | None = None
        self._cancel: Callable[[], None] | None = None
        if status in TERMINAL:
            self._done.set()

    # -- the contract of docs/design.md §5 ------------------------------------------------------
    @property
    def endpoint(self) -> Endpoint:
        return self.request.endpoint

    @property
    def provider(self) -> str:
        return self.request.provider

    @property
    def model_spec(self) -> ModelSpec:
        return self.request.model

    @property
    def model(self) -> str:
        return self.request.model.id

    @property
    def prompt(self) -> str:
        return self.request.prompt

    @property
    def duration(self) -> int:
        return self.request.duration

    @property
    def resolution(self) -> str:
        return self.request.resolution

    @property
    def has_audio(self) -> bool:
        """Whether the video has a soundtrack (H3)."""
        return self.request.has_audio

    @property
    def spend_usd(self) -> float | None:
        """What counts against the budget: the larger of the estimate and the billed amount."""
        known = [v for v in (self.cost_usd, self.billed_usd) if v is not None]
        return max(known) if known else None

    @property
    def done(self) -> bool:
        return self.status in TERMINAL

    @property
    def in_flight(self) -> bool:
        return self.status in IN_FLIGHT

    def wait(self, timeout: float | None = None) -> Generation:
        """Block until the generation ends; raises GenerationTimeout after ``timeout`` s."""
        from hailuo_nb.gateway.engine import get_engine

        if not self._done.is_set() and get_engine().on_engine_thread:
            raise RuntimeError("Generation.wait() cannot be called from a listener")
        if not self._done.wait(timeout):
            raise GenerationTimeout(
                f"still {self.status} after waiting {timeout:g} s; it goes on in the background",
                provider=self.provider,
                task_id=self.task_id,
            )
        return self

    def cancel(self) -> None:
        """Cancel this generation; ``gen.note`` then says which of two things happened.

        Where the gateway can (MiniMax v2, a task still queued) the task is cancelled there,
        free of charge, with one ``DELETE``; otherwise the generation only stops waiting, and
        a task already accepted may still finish (and be billed) remotely. Either way it
        ends ``cancelled``.
        """
        if self._cancel is not None and not self.done:
            self._cancel()

    def raise_for_status(self) -> Generation:
        """Raise the generation's error, if it failed (like httpx's ``raise_for_status``)."""
        if self.error is not None:
            raise self.error
        return self

    def add_listener(self, callback: Listener) -> Callable[[], None]:
        """Call ``callback(self)`` on the engine thread after every change; returns an unsubscribe."""
        with self._listeners_lock:
            self._listeners.append(callback)

        def unsubscribe() -> None:
            with self._listeners_lock:
                if callback in self._listeners:
                    self._listeners.remove(callback)

        return unsubscribe

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe snapshot (no secrets, no local media bytes): what widgets and history show.

        The request's own parameters (``request.params()``: duration, resolution, …)
        are included as they are, so a new request parameter reaches the widgets unchanged.
        """
        return {
            **self.request.params(),
            "id": self.id,
            "provider": self.provider,
            "simulated": self.endpoint.simulated,
            "model": self.model,
            "model_label": self.model_spec.label,
            "has_audio": self.has_audio,
            "references": [{"kind": r.kind, "name": r.medium.name} for r in self.request.references],
            "status": self.status,
            "raw_status": self.raw_status,
            "task_id": self.task_id,
            "video_url": self.video_url,
            "video_path": str(self.video_path) if self.video_path else None,
            "error": self.error.to_dict() if self.error else None,
            "cost_usd": self.cost_usd,
            "billed_usd": self.billed_usd,
            "price": str(self.price) if self.price else None,
            "price_source": self.price.source if self.price else None,
            "created_at": self.created_at,
            "submitted_at": self.submitted_at,
            "finished_at": self.finished_at,
            "expected_seconds": list(self.expected_seconds),
            "reused": self.reused,
            "note": self.note,
        }

    def __repr__(self) -> str:
        extra = f" task_id={self.task_id!r}" if self.task_id else ""
        if self.video_path:
            extra += f" video={str(self.video_path)!r}"
        if self.error:
            extra += f" error={type(self.error).__name__}"
        return f"<Generation {self.status} {self.model} on {self.provider}{extra}>"

    # -- used by the runner, on the engine thread ----------------------------------------
    def _update(self, **changes: Any) -> None:
        for name, value in changes.items():
            setattr(self, name, value)
        self._notify()
        if self.status in TERMINAL:  # after the listeners: the video is shown before wait() returns
            self._done.set()

    def _notify(self) -> None:
        with self._listeners_lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(self)
            except Exception:  # a broken widget must not break the generation
                log.exception("hailuo_nb: a generation listener failed")

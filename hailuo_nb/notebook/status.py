"""The live status widget of one generation (anywidget; front-end in status.js/.css).

The kernel sends a new state only when the generation changes (status, task id, error,
video). Elapsed time, the progress estimate and the ETA tick in the browser from the
epoch-millisecond timestamps and the expected duration, so a widget costs no kernel
traffic while it waits.

Reuse (the form's gallery): :func:`snapshot` turns a generation into the plain dict of
this widget's synced values, and ``status.js`` exports ``createStatusView(el, state,
{onCancel})`` which renders such a dict into any element; its default export is the
anywidget adapter that feeds it from these traits.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import traitlets as t

log = logging.getLogger(__name__)

_HERE = Path(__file__).parent
STATUS_JS = _HERE / "status.js"
STATUS_CSS = _HERE / "status.css"


def snapshot(gen: Any, *, video_src: str = "") -> dict[str, Any]:
    """The widget state of ``gen``: a JSON-safe dict keyed by trait name (no secrets)."""
    error = getattr(gen, "error", None)
    price = getattr(gen, "price", None)
    cost_usd = getattr(gen, "cost_usd", None)
    if price is not None:
        cost = str(price)
    elif cost_usd is not None:
        cost = f"${cost_usd:.2f}"
    else:
        cost = ""
    low, high = _expected(gen)
    path = getattr(gen, "video_path", None)
    return {
        "generation_id": str(getattr(gen, "id", "") or ""),
        "status": str(getattr(gen, "status", "") or ""),
        "prompt": str(getattr(gen, "prompt", "") or ""),
        "model": str(getattr(gen, "model", "") or ""),
        "provider": str(getattr(gen, "provider", "") or ""),
        "simulated": getattr(gen, "provider", None) == "sim",
        "duration": getattr(gen, "duration", None),
        "resolution": str(getattr(gen, "resolution", "") or ""),
        "cost": cost,
        "cost_note": str(getattr(price, "source", "") or ""),
        "task_id": str(getattr(gen, "task_id", "") or ""),
        "created_ms": _ms(getattr(gen, "created_at", None)),
        "submitted_ms": _ms(getattr(gen, "submitted_at", None)),
        "finished_ms": _ms(getattr(gen, "finished_at", None)),
        "clock_ms": time.time() * 1000.0,
        "expected_low_s": low,
        "expected_high_s": high,
        "error_type": type(error).__name__ if error is not None else "",
        "error_message": str(getattr(error, "message", error) or "") if error is not None else "",
        "error_hint": str(getattr(error, "hint", "") or "") if error is not None else "",
        "error_detail": _error_detail(error),
        "video_path": str(path) if path else "",
        "video_src": video_src,
        "reused": bool(getattr(gen, "reused", False)),
        "done": bool(getattr(gen, "done", False)),
    }


class StatusWidget(anywidget.AnyWidget):
    """Live status of one generation: badge, elapsed, progress estimate, ETA, cancel.

    Examples:
        >>> gen = hailuo_nb.generate("a red kite", wait=False)   # doctest: +SKIP
        >>> StatusWidget(gen)                                     # doctest: +SKIP
    """

    _esm = STATUS_JS
    _css = STATUS_CSS

    generation_id = t.Unicode("", help="The journal's local id of the generation").tag(sync=True)
    status = t.Unicode("", help="Lifecycle status (DESIGN §4): submitting … cancelled").tag(sync=True)
    prompt = t.Unicode("", help="The prompt as sent (shown as text, never as HTML)").tag(sync=True)
    model = t.Unicode("", help="Canonical model id").tag(sync=True)
    provider = t.Unicode("", help="Provider name, e.g. 'minimax' or 'sim'").tag(sync=True)
    simulated = t.Bool(False, help="True when the offline simulator serves the request").tag(sync=True)
    duration = t.Int(None, allow_none=True, help="Clip length in seconds").tag(sync=True)
    resolution = t.Unicode("", help="Resolution, e.g. '1080p'").tag(sync=True)
    cost = t.Unicode("", help="Estimated price as text ('$0.49', '¥2.63'); '' if unknown").tag(sync=True)
    cost_note = t.Unicode("", help="Where the price estimate comes from").tag(sync=True)
    task_id = t.Unicode("", help="The gateway's task id once it accepted the task").tag(sync=True)
    created_ms = t.Float(None, allow_none=True, help="Created (epoch ms, kernel clock)").tag(sync=True)
    submitted_ms = t.Float(None, allow_none=True, help="Accepted (epoch ms, kernel clock)").tag(sync=True)
    finished_ms = t.Float(None, allow_none=True, help="Ended (epoch ms, kernel clock)").tag(sync=True)
    clock_ms = t.Float(0.0, help="Kernel clock (epoch ms) at the last update, to correct skew").tag(sync=True)
    expected_low_s = t.Float(0.0, help="Typical duration, low end (s), for progress and ETA").tag(sync=True)
    expected_high_s = t.Float(0.0, help="Typical duration, high end (s), for progress and ETA").tag(sync=True)
    error_type = t.Unicode("", help="Error class name, e.g. 'ContentPolicyError'").tag(sync=True)
    error_message = t.Unicode("", help="What went wrong, in words").tag(sync=True)
    error_hint = t.Unicode("", help="What the user can do about it").tag(sync=True)
    error_detail = t.Unicode("", help="The error's details as JSON (one click away)").tag(sync=True)
    video_path = t.Unicode("", help="Local path of the finished video").tag(sync=True)
    video_src = t.Unicode("", help="A URL the browser can play ('' when shown elsewhere)").tag(sync=True)
    reused = t.Bool(False, help="True when an identical earlier generation was reused").tag(sync=True)
    done = t.Bool(False, help="True once the status is terminal").tag(sync=True)

    def __init__(
        self,
        generation: Any = None,
        *,
        show_video: bool = True,
        reused: bool | None = None,
        **kwargs: Any,
    ) -> None:
        unknown = sorted(set(kwargs) - set(type(self).class_trait_names()))
        if unknown:
            raise TypeError(f"StatusWidget() got unexpected keyword argument(s): {unknown}")
        #: When False the finished video is not sent to this widget (the cell's output
        #: replaces the widget with the video instead).
        self.show_video = show_video
        #: Whether *this* display reused an earlier generation, fixed when it was shown
        #: (the generation's own flag also turns on when a later cell reuses it).
        self._reused = reused
        self._generation: Any = None
        self._unsubscribe: Callable[[], None] | None = None
        self._lock = threading.Lock()
        if generation is not None:
            # The comm opens with the whole state: no second message right after it.
            kwargs = {**self._state(generation), **kwargs}
        super().__init__(**kwargs)
        self.on_msg(self._handle_message)
        if generation is not None:
            self.bind(generation)

    @property
    def generation(self) -> Any:
        """The bound generation (None when unbound)."""
        return self._generation

    def bind(self, generation: Any) -> None:
        """Follow ``generation`` (replacing any earlier one) until it ends."""
        self.unbind()
        self._generation = generation
        self.refresh()
        if not getattr(generation, "done", False):
            self._unsubscribe = generation.add_listener(self._on_change)
            self.refresh()  # it may have moved on before the listener was in place

    def unbind(self) -> None:
        """Stop following the bound generation."""
        unsubscribe, self._unsubscribe = getattr(self, "_unsubscribe", None), None  # may run from __del__
        if unsubscribe is not None:
            unsubscribe()

    def close(self) -> None:
        """Close the widget and its layout model, so saved widget state keeps no orphan."""
        self.unbind()
        layout = getattr(self, "layout", None)
        super().close()
        if layout is not None:
            layout.close()

    def refresh(self) -> None:
        """Copy the bound generation's state into the synced traits (any thread)."""
        gen = self._generation
        if gen is None:
            return
        with self._lock:
            state = self._state(gen)
            changed = {k: v for k, v in state.items() if k != "clock_ms" and getattr(self, k) != v}
            if changed:
                with self.hold_sync():  # one comm message per change of the generation
                    for name, value in changed.items():
                        setattr(self, name, value)
                    self.clock_ms = state["clock_ms"]
        if state["done"]:
            self.unbind()

    def _state(self, gen: Any) -> dict[str, Any]:
        src = ""
        if self.show_video and getattr(gen, "done", False):
            from hailuo_nb.notebook.bundles import browser_video_src

            src = browser_video_src(gen)
        state = snapshot(gen, video_src=src)
        if self._reused is not None:
            state["reused"] = self._reused
        return state

    def cancel(self) -> None:
        """Cancel the bound generation (what the Cancel button does)."""
        if self._generation is not None and not getattr(self._generation, "done", True):
            self._generation.cancel()

    def _on_change(self, gen: Any) -> None:
        if gen is self._generation:
            self.refresh()

    def _handle_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "cancel":
            try:
                self.cancel()
            except Exception:  # shown in the widget via the generation's error state
                log.exception("cancel failed")


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else float(seconds) * 1000.0


def _expected(gen: Any) -> tuple[float, float]:
    try:
        low, high = gen.expected_seconds
        return float(low), float(high)
    except Exception:
        return 0.0, 0.0


def _error_detail(error: Any) -> str:
    if error is None:
        return ""
    try:
        detail = error.to_dict()
    except Exception:
        detail = {"type": type(error).__name__, "message": str(error)}
    return json.dumps(detail, indent=2, default=str, ensure_ascii=False)

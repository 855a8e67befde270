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

from hailuo_nb.gateway.generation import Generation
from hailuo_nb.notebook.bundles import TERMINAL, billed_text, browser_video_src, cost_text, display_path
from hailuo_nb.notebook.widgets.esm import COMMON_JS, bundle

log = logging.getLogger(__name__)

_HERE = Path(__file__).parent
STATUS_JS = _HERE / "status.js"
STATUS_CSS = _HERE / "status.css"
#: status.js with the helpers it imports from common.js, as one module (widgets/esm.py)
STATUS_ESM = bundle(COMMON_JS, STATUS_JS)
#: How often a polling page asks for the state (ms).
POLL_MS = 1000


def snapshot(gen: Generation, *, video_src: str = "") -> dict[str, Any]:
    """The widget state of ``gen``: a JSON-safe dict keyed by trait name (no secrets).

    Read from ``gen.to_dict()`` only; the local path is relative (saved widget state
    must not carry the user's home folder).
    """
    info = gen.to_dict()
    error = info.get("error") or None
    low, high = (float(x) for x in (info.get("expected_seconds") or (0.0, 0.0)))
    path = info.get("video_path")
    return {
        "generation_id": str(info.get("id") or ""),
        "status": str(info.get("status") or ""),
        "prompt": str(info.get("prompt") or ""),
        "model": str(info.get("model") or ""),
        "provider": str(info.get("provider") or ""),
        "simulated": bool(info.get("simulated")),
        "duration": info.get("duration"),
        "resolution": str(info.get("resolution") or ""),
        "has_audio": bool(info.get("has_audio")),
        "cost": cost_text(info),
        "billed": billed_text(info),
        "cost_note": " · ".join(str(n) for n in (info.get("price_source"), info.get("note")) if n),
        "task_id": str(info.get("task_id") or ""),
        "created_ms": _ms(info.get("created_at")),
        "submitted_ms": _ms(info.get("submitted_at")),
        "finished_ms": _ms(info.get("finished_at")),
        "clock_ms": time.time() * 1000.0,
        "expected_low_s": low,
        "expected_high_s": high,
        "error_type": str(error.get("type") or "") if error else "",
        "error_message": str(error.get("message") or "") if error else "",
        "error_hint": str(error.get("hint") or "") if error else "",
        "error_detail": json.dumps(error, indent=2, default=str, ensure_ascii=False) if error else "",
        "video_path": display_path(Path(path)) if path else "",
        "video_src": video_src,
        "reused": bool(info.get("reused")),
        "done": str(info.get("status") or "") in TERMINAL,
    }


class StatusWidget(anywidget.AnyWidget):
    """Live status of one generation: badge, elapsed, progress estimate, ETA, cancel.

    Two ways to stay current: ``push`` (default) sends each change of the generation
    from the engine thread; ``poll`` (Colab, where thread updates never reach the page)
    lets the page ask every ``poll_ms`` and answers inside that request.

    Examples:
        >>> gen = hailuo_nb.generate("a red kite", wait=False)   # doctest: +SKIP
        >>> StatusWidget(gen)                                     # doctest: +SKIP
    """

    _esm = STATUS_ESM
    _css = STATUS_CSS

    generation_id = t.Unicode("", help="The journal's local id of the generation").tag(sync=True)
    status = t.Unicode("", help="Lifecycle status (docs/design.md §4): submitting … cancelled").tag(sync=True)
    prompt = t.Unicode("", help="The prompt as sent (shown as text, never as HTML)").tag(sync=True)
    model = t.Unicode("", help="Canonical model id").tag(sync=True)
    provider = t.Unicode("", help="Provider name, e.g. 'minimax' or 'sim'").tag(sync=True)
    simulated = t.Bool(False, help="True when the offline simulator serves the request").tag(sync=True)
    duration = t.Int(None, allow_none=True, help="Clip length in seconds").tag(sync=True)
    resolution = t.Unicode("", help="Resolution, e.g. '1080p'").tag(sync=True)
    has_audio = t.Bool(False, help="True when the model makes video with sound (H3)").tag(sync=True)
    cost = t.Unicode("", help="Estimated price as text ('$0.49', '¥2.63'); '' if unknown").tag(sync=True)
    billed = t.Unicode("", help="What the gateway says it charged, e.g. '$0.78' ('' if unreported)").tag(
        sync=True
    )
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
    video_path = t.Unicode("", help="The finished video's path, relative to the notebook's folder").tag(
        sync=True
    )
    video_src = t.Unicode("", help="A URL the browser can play ('' when shown elsewhere)").tag(sync=True)
    reused = t.Bool(False, help="True when an identical earlier generation was reused").tag(sync=True)
    done = t.Bool(False, help="True once the status is terminal").tag(sync=True)
    poll_ms = t.Int(0, help="0: the kernel pushes changes; > 0: the page asks every N ms").tag(sync=True)

    def __init__(
        self,
        generation: Generation | None = None,
        *,
        show_video: bool = True,
        reused: bool | None = None,
        push: bool = True,
        **kwargs: Any,
    ) -> None:
        unknown = sorted(set(kwargs) - set(type(self).class_trait_names()))
        if unknown:
            raise TypeError(f"StatusWidget() got unexpected keyword argument(s): {unknown}")
        #: When False the finished video is not sent to this widget (the cell's output
        #: replaces the widget with the video instead).
        self.show_video = show_video
        #: False: no updates from the engine thread; the page polls (``poll_ms``).
        self.push = push
        #: Whether *this* display reused an earlier generation, fixed when it was shown
        #: (the generation's own flag also turns on when a later cell reuses it).
        self._reused = reused
        self._generation: Generation | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._poll_hooks: list[Callable[[StatusWidget], None]] = []
        self._lock = threading.Lock()
        if not push:
            kwargs.setdefault("poll_ms", POLL_MS)
        if generation is not None:
            # The comm opens with the whole state: no second message right after it.
            kwargs = {**self._state(generation), **kwargs}
        super().__init__(**kwargs)
        self.on_msg(self._handle_message)
        if generation is not None:
            self.bind(generation)

    @property
    def generation(self) -> Generation | None:
        """The bound generation (None when unbound)."""
        return self._generation

    def bind(self, generation: Generation) -> None:
        """Follow ``generation`` (replacing any earlier one) until it ends."""
        self.unbind()
        self._generation = generation
        self.refresh()
        if not generation.done and self.push:
            self._unsubscribe = generation.add_listener(self._on_change)
            self.refresh()  # it may have moved on before the listener was in place

    def unbind(self) -> None:
        """Stop following the bound generation."""
        unsubscribe, self._unsubscribe = getattr(self, "_unsubscribe", None), None  # may run from __del__
        if unsubscribe is not None:
            unsubscribe()

    def on_poll(self, callback: Callable[[StatusWidget], None]) -> None:
        """Call ``callback(widget)`` after each poll from the page (in that request's context)."""
        self._poll_hooks.append(callback)

    def close(self) -> None:
        """Close the widget and its layout, leaving only a stub in any saved widget state.

        Headless runners (nbclient) save the state of every widget ever opened, closed or
        not; emptying the front-end code and the user's text first keeps a notebook of
        many clips small and free of prompts and paths it already shows as output.
        """
        self.unbind()
        if self.comm is not None:
            with self.hold_sync():
                self.set_trait("_esm", "export default {};")
                self.set_trait("_css", "")
                self.prompt = self.video_path = self.video_src = self.error_detail = ""
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

    def _state(self, gen: Generation) -> dict[str, Any]:
        src = browser_video_src(gen) if self.show_video and gen.done else ""
        state = snapshot(gen, video_src=src)
        if self._reused is not None:
            state["reused"] = self._reused
        return state

    def cancel(self) -> None:
        """Cancel the bound generation (what the Cancel button does)."""
        if self._generation is not None and not self._generation.done:
            self._generation.cancel()

    def _on_change(self, gen: Generation) -> None:
        if gen is self._generation:
            self.refresh()

    def _handle_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "cancel":
            try:
                self.cancel()
            except Exception:  # shown in the widget via the generation's error state
                log.exception("cancel failed")
        elif kind == "poll":
            # Answered here, on the kernel's main thread, in the poll request's context:
            # the reply reaches pages that drop updates sent from other threads.
            self.refresh()
            for hook in list(self._poll_hooks):
                try:
                    hook(self)
                except Exception:  # a display hook must not break the widget
                    log.exception("poll hook failed")


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else float(seconds) * 1000.0

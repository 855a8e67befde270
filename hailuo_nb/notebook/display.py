"""How a generation appears in a notebook: live status, then the video in the same cell.

:func:`show` displays the status widget with a ``display_id`` and, when the generation
ends, replaces it by :func:`video_bundle` with ``update_display_data``. That update is
sent from the engine thread the moment the generation ends, addressed to the cell
that started it (see :mod:`hailuo_nb.notebook.routing`), so it lands there even while
another cell runs. The bundle is an ordinary ``text/html`` output in the form that plays
in the detected frontend (:mod:`hailuo_nb.notebook.bundles`).

Where updates from the engine thread never reach the page (Colab, or
``HAILUO_STATUS_UPDATES=poll``) nothing is pushed: the widget's page asks for the state
on a timer and the final output goes out while the kernel answers such a request.

Headless runners (nbclient) keep only output that arrives while its own cell runs, and
save the state of every widget ever opened; there a plain placeholder output stands in
for the widget, and blocking waits (``--wait``, ``HAILUO_WAIT=1``, ``%hailuo wait``)
publish the final output from the waiting cell itself (:meth:`LiveDisplay.wait`).

Without a kernel (terminal IPython, scripts) :func:`show` prints text status lines and
the video's path instead.
"""

# IPython 8.12 and ipykernel ship without full annotations: calling them is fine here.
# mypy: disable-error-code="no-untyped-call,untyped-decorator"

from __future__ import annotations

import logging
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from hailuo_nb.gateway.generation import Generation
from hailuo_nb.notebook import frontend as fe
from hailuo_nb.notebook import routing
from hailuo_nb.notebook.bundles import (
    EMBED_LIMIT_BYTES,
    NO_MATH,
    browser_video_src,
    describe,
    status_line,
    text,
    video_bundle,
    video_src,
)

__all__ = [
    "EMBED_LIMIT_BYTES",
    "LiveDisplay",
    "MODES",
    "browser_video_src",
    "describe",
    "generation_mimebundle",
    "session_generations",
    "show",
    "shown",
    "status_line",
    "video_bundle",
    "video_src",
    "wait_all",
]

log = logging.getLogger(__name__)

#: How a display shows a running generation: the live widget, a plain placeholder output
#: (headless runs: no widget state saved), or printed lines (no kernel).
MODES = ("auto", "widget", "static", "text")


def generation_mimebundle(gen: Generation, include: Any = None, exclude: Any = None) -> dict[str, Any]:
    """``Generation._repr_mimebundle_``: live widget while running, the video when done."""
    if gen.done:
        bundle = video_bundle(gen)
    else:
        ip = _ipython()
        where = fe.detect(ip)
        if _choose_mode("auto", ip, where) == "widget":
            from hailuo_nb.notebook.widgets.status import StatusWidget

            push = fe.status_updates(where) == fe.PUSH
            widget_bundle: Any = StatusWidget(gen, push=push)._repr_mimebundle_()
            data = widget_bundle[0] if isinstance(widget_bundle, tuple) else widget_bundle
            bundle = {**data, "text/plain": status_line(gen)}
        else:
            bundle = {"text/plain": status_line(gen)}
    if include:
        bundle = {k: v for k, v in bundle.items() if k in include}
    if exclude:
        bundle = {k: v for k, v in bundle.items() if k not in exclude}
    return bundle


# ---------------------------------------------------------------- live display


class LiveDisplay:
    """One generation shown in one cell: the status now, the video when it ends."""

    def __init__(
        self,
        gen: Generation,
        ip: Any,
        *,
        embed: bool = False,
        mode: str = "auto",
        frontend: fe.Frontend | None = None,
    ) -> None:
        self.gen = gen
        self.ip = ip
        self.embed = embed
        self.frontend = frontend or fe.detect(ip)
        self.mode = _choose_mode(mode, ip, self.frontend)
        #: False where the page must ask for updates (the engine thread pushes nothing).
        self.push = fe.status_updates(self.frontend) == fe.PUSH
        self.display_id = f"hailuo-{gen.id}-{uuid.uuid4().hex[:8]}"
        #: The request (cell) that showed this display; the final update goes there.
        self.parent = routing.capture_parent(ip)
        self.cwd = Path.cwd()
        self.widget: Any = None
        self.verbose = False  # text mode: print every status change, not just the end
        self._lock = threading.Lock()
        self._final = False
        self._deferred = False
        self._needs_republish = False
        self._last_status: str | None = None
        self._unsubscribe: Any = None

    @property
    def final(self) -> bool:
        """True once the video (or error) has been published."""
        return self._final

    @property
    def needs_republish(self) -> bool:
        """Published while its cell was idle: a headless runner has not seen it yet."""
        return self._needs_republish

    def start(self) -> LiveDisplay:
        """Show the widget (or a placeholder, or a status line) and follow the generation."""
        from IPython.display import display

        if self.gen.done:
            self._publish_final(update=False)
            return self
        if self.mode == "widget":
            from hailuo_nb.notebook.widgets.status import StatusWidget

            # Polling pages may never see the replacing output (Colab): the widget itself
            # then plays the video.
            self.widget = StatusWidget(self.gen, show_video=not self.push, reused=self.gen.reused,
                                       push=self.push)
            display(self.widget, display_id=self.display_id)
            if not self.push:
                self.widget.on_poll(self._on_poll)
                return self
        elif self.mode == "static":
            display(self._placeholder(), raw=True, display_id=self.display_id)
        else:
            self._last_status = str(self.gen.status)
            print(status_line(self.gen))
        self._unsubscribe = self.gen.add_listener(self._on_change)
        if self.gen.done:
            self._on_change(self.gen)
        return self

    def wait(self, timeout: float | None = None) -> None:
        """Block until the generation ends; publish its output from the calling cell."""
        self._deferred = True
        try:
            self.gen.wait(timeout=timeout)
        finally:
            self._deferred = False
            if self.gen.done:
                self.finish_here()

    def finish_here(self) -> None:
        """Make sure the final output went out, addressed to the cell running now."""
        self._finalize(route=False)
        if self._needs_republish and self.mode != "text":
            # Published earlier while its own cell was idle; a headless runner ignored it.
            self._needs_republish = False
            from IPython.display import publish_display_data

            publish_display_data(self._final_bundle(), transient={"display_id": self.display_id}, update=True)

    def _on_change(self, gen: Generation) -> None:
        if self.mode == "text" and self.verbose and not gen.done:
            status = str(gen.status)
            if status != self._last_status:
                self._last_status = status
                task = f" (task {gen.task_id})" if gen.task_id else ""
                with routing.thread_parent(self.ip, self.parent):
                    print(f"hailuo … {status}{task}")
        if gen.done and not self._deferred:
            self._finalize(route=True)

    def _on_poll(self, _widget: Any) -> None:
        # In the poll request's context, on the main thread: no thread push needed.
        if self.gen.done and not self._deferred:
            self._finalize(route=False, keep_widget=True)

    def _finalize(self, *, route: bool, keep_widget: bool = False) -> None:
        with self._lock:  # held while publishing: a waiting cell returns only after it went out
            if self._final:
                return
            if self._unsubscribe is not None:
                self._unsubscribe()
                self._unsubscribe = None
            self._publish_final(update=True, route=route, keep_widget=keep_widget)
            self._needs_republish = route
            self._final = True

    def _final_bundle(self) -> dict[str, Any]:
        return video_bundle(self.gen, embed=self.embed, cwd=self.cwd, frontend=self.frontend)

    def _placeholder(self) -> dict[str, Any]:
        line = status_line(self.gen)
        return {"text/plain": line,
                "text/html": f'<pre class="hailuo-pending {NO_MATH}">{text(line)}</pre>'}

    def _publish_final(self, *, update: bool, route: bool = False, keep_widget: bool = False) -> None:
        if self.mode == "text":
            with routing.thread_parent(self.ip, self.parent if route else None):
                print(status_line(self.gen))
            self._final = True
            return
        from IPython.display import display, publish_display_data

        bundle = self._final_bundle()
        if not update:
            display(bundle, raw=True, display_id=self.display_id)
            self._final = True
            return
        if route:
            routing.update_display(self.ip, bundle, self.display_id, self.parent)
        else:
            publish_display_data(bundle, transient={"display_id": self.display_id}, update=True)
        if self.widget is not None:
            self.widget.unbind()
            if not keep_widget:  # answering a poll, the page may miss the replacement: keep its view
                self.widget.close()


#: Displays of this session not yet settled: in flight, or finished while their cell was
#: idle (a later ``%hailuo wait`` re-sends those for headless runners).
_SHOWN: list[LiveDisplay] = []
_SHOWN_LOCK = threading.Lock()
#: Every generation shown in this session, oldest first (what ``export()`` takes by default).
_SESSION: dict[str, Generation] = {}


def show(gen: Generation, *, embed: bool = False, ip: Any = None, mode: str = "auto") -> LiveDisplay:
    """Display ``gen`` in the current cell (status, then video) and return the handle."""
    handle = LiveDisplay(gen, ip if ip is not None else _ipython(), embed=embed, mode=mode)
    with _SHOWN_LOCK:
        _SHOWN.append(handle)
        if len(_SHOWN) > 256:  # a long session: forget the oldest settled ones
            del _SHOWN[: len(_SHOWN) - 256]
        _SESSION.pop(gen.id, None)
        _SESSION[gen.id] = gen
    return handle.start()


def session_generations() -> list[Generation]:
    """The generations shown in this session, oldest first, one per id."""
    with _SHOWN_LOCK:
        return list(_SESSION.values())


def unsettled() -> list[Generation]:
    """Generations shown here whose output a ``%hailuo wait`` has not yet seen out."""
    with _SHOWN_LOCK:
        gens = {id(h.gen): h.gen for h in _SHOWN if not h.final or h.needs_republish}
    return list(gens.values())


def shown(gen: Generation) -> list[LiveDisplay]:
    """The live displays of ``gen`` in this session."""
    with _SHOWN_LOCK:
        return [h for h in _SHOWN if h.gen is gen]


def wait_all(gens: list[Generation], timeout: float | None = None) -> None:
    """Block until ``gens`` end; publish their outputs from the calling cell."""
    deadline = None if timeout is None else time.monotonic() + timeout
    for gen in gens:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        handles = shown(gen)
        if handles:
            handles[0].wait(timeout=left)
        else:
            gen.wait(timeout=left)
    with _SHOWN_LOCK:
        handles = list(_SHOWN)
    for handle in handles:
        if handle.gen.done:
            handle.finish_here()
    with _SHOWN_LOCK:
        _SHOWN[:] = [h for h in _SHOWN if not h.final]


# ---------------------------------------------------------------- helpers


def _choose_mode(mode: str, ip: Any, where: fe.Frontend) -> str:
    if mode not in MODES:
        raise ValueError(f"mode={mode!r}; allowed: {', '.join(MODES)}")
    if mode != "auto":
        return mode
    if not routing.has_kernel(ip) or where.name == fe.TERMINAL:
        return "text"
    return "static" if where.name == fe.HEADLESS else "widget"


def _ipython() -> Any:
    try:
        from IPython.core.getipython import get_ipython
    except ImportError:  # pragma: no cover
        return None
    return get_ipython()

"""The live storyboard widget: one tile per shot with its status, then the film and its contact sheet.

State is small and path-free: per shot its index, a short prompt, status and flags; the
clips, the film and the sheet travel as binary messages on request (``clips.py``). The
widget follows the board (``board.add_listener``) and every shot's Generation
(``gen.add_listener``); updates are trait changes on the widget's own comm, so they
reach the cell that shows it from any thread, with no display routing needed.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import anywidget
import traitlets as t

from hailuo_nb.notebook.widgets.clips import serve_clips
from hailuo_nb.notebook.widgets.esm import bundle

_HERE = Path(__file__).parent


class BoardWidget(anywidget.AnyWidget):
    """Tiles per shot (status, then the clip), then the stitched film and the contact sheet."""

    _esm = bundle(_HERE / "common.js", _HERE / "clips.js", _HERE / "board.js")
    _css = _HERE / "board.css"

    name = t.Unicode("", help="The board's name").tag(sync=True)
    status = t.Unicode("planned", help="planned, running, done or failed").tag(sync=True)
    shots = t.List(t.Dict(), help="Per shot: index, prompt, continues, status, reused, error").tag(sync=True)
    cost = t.Unicode("", help="The plan's cost to pay, as text").tag(sync=True)
    film_seconds = t.Float(None, allow_none=True, help="The film's length once stitched").tag(sync=True)
    film_audio = t.Bool(False, help="Whether the film has a sound track").tag(sync=True)
    film_key = t.Unicode("", help="Changes when a new film is ready (the clip key to ask for)").tag(sync=True)
    error = t.Unicode("", help="Why the board failed, if it did").tag(sync=True)

    def __init__(self, board: Any, **kwargs: Any) -> None:
        super().__init__(name=board.name, **kwargs)
        self.board = board
        self._lock = threading.Lock()
        self._followed: set[int] = set()
        serve_clips(self, self._lookup)
        try:
            plan = board.plan()
            self.cost = str(plan.cost) if plan.cost else "unknown"
        except Exception as exc:  # noqa: BLE001 - shown in the widget
            self.error = str(exc)
        self._unsubscribe = board.add_listener(self._on_change)
        self.refresh()

    def _lookup(self, key: str) -> Path | None:
        board = self.board
        if key.startswith("film"):
            return Path(board.film) if board.film else None
        if key == "sheet":
            return Path(board.contact_sheet) if board.contact_sheet else None
        if key.startswith("shot-"):
            gen = board.generations.get(int(key.split("-")[1]))
            return Path(gen.video_path) if gen is not None and gen.video_path else None
        return None

    def _on_change(self, _board: Any) -> None:
        for index, gen in list(self.board.generations.items()):
            if index not in self._followed:
                self._followed.add(index)
                gen.add_listener(lambda _g: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        """Copy the board's state into the synced traits (any thread)."""
        board = self.board
        with self._lock, self.hold_sync():
            self.shots = [{**s, "prompt": s["prompt"][:120],
                           "ready": s["status"] == "succeeded"} for s in board.shot_states()]
            self.status = board.status
            info = board.film_info
            if info is not None:
                self.film_seconds = float(info.duration)
                self.film_audio = bool(info.audio)
                self.film_key = "film-" + info.path.stem
            if board.error is not None:
                self.error = str(board.error)

    def close(self) -> None:
        self._unsubscribe()
        super().close()


def show_board(board: Any) -> BoardWidget:
    """Display ``board`` as its live widget in the current cell (plain text outside a kernel)."""
    from IPython import get_ipython  # type: ignore[attr-defined]
    from IPython.display import display

    ip = get_ipython()  # type: ignore[no-untyped-call]
    if getattr(ip, "kernel", None) is None:
        print(repr(board))
        return None  # type: ignore[return-value]
    widget = BoardWidget(board)
    display(widget)  # type: ignore[no-untyped-call]
    return widget

"""The comparison grid widget: prompts × (model @ provider), one playback control per row.

Cells fill as clips land (each cell follows its Generation's listener). Each row has one
play/pause button and one scrub bar driving all its clips together (the front end keeps
their ``currentTime`` in step). A pick per row (``Comparison.picks``), and a Finalize
button on the picked cell: like a form card's, it first shows what finalizing costs
(``plan_view`` of ``gen.finalize_plan()``) with Confirm and Cancel, and only Confirm
sends the paid request (``gen.finalize()``).
State is small and path-free: the clips travel as binary messages (``clips.py``).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import anywidget
import traitlets as t

from hailuo_nb.notebook.widgets.clips import serve_clips
from hailuo_nb.notebook.widgets.esm import bundle
from hailuo_nb.notebook.widgets.finalizing import plan_view

_HERE = Path(__file__).parent


class GridWidget(anywidget.AnyWidget):
    """A live comparison grid; ``grid.comparison.picks`` holds the choices."""

    _esm = bundle(_HERE / "common.js", _HERE / "clips.js", _HERE / "grid.js")
    _css = _HERE / "grid.css"

    prompts = t.List(t.Unicode(), help="Row prompts").tag(sync=True)
    columns = t.List(t.Unicode(), help="Column labels: 'model @ provider'").tag(sync=True)
    cells = t.List(t.Dict(), help="Per cell: row, column, status, cost, seconds, picked").tag(sync=True)
    finals = t.Dict(help="row -> the finalize ledger and status of its pick").tag(sync=True)
    plans = t.Dict(help="row -> what finalizing its pick costs, awaiting Confirm or Cancel").tag(sync=True)

    def __init__(self, comparison: Any, **kwargs: Any) -> None:
        super().__init__(prompts=[p[:160] for p in comparison.prompts], **kwargs)
        self.comparison = comparison
        self._lock = threading.Lock()
        self._finals: dict[int, Any] = {}
        self._plans: dict[int, dict[str, Any]] = {}
        serve_clips(self, self._lookup, self._on_message)
        for gen in comparison.generations:
            gen.add_listener(lambda _g: self.refresh())
        self.refresh()

    @property
    def picks(self) -> dict[str, Any]:
        return dict(self.comparison.picks)

    def _lookup(self, key: str) -> Path | None:
        _, row, column = key.split("-")
        gen = self.comparison.cells.get((int(row), int(column)))
        return Path(gen.video_path) if gen is not None and gen.video_path else None

    def _on_message(self, content: dict[str, Any]) -> None:
        kind, row = content.get("type"), int(content.get("row", -1))
        if kind == "pick":
            column = int(content["column"])
            if self.comparison.picked_column(row) == column:
                self.comparison.unpick(row)
            else:
                self.comparison.pick(row, column)
        elif kind == "finalize":
            self.propose(row)
        elif kind == "finalize_confirm":
            self.finalize(row)
        elif kind == "finalize_cancel":
            self._plans.pop(row, None)
        self.refresh()

    def propose(self, row: int) -> dict[str, Any] | None:
        """The button's first step: show what finalizing the pick of ``row`` costs; nothing is sent."""
        column = self.comparison.picked_column(row)
        if column is None:
            return None
        ledger = self.comparison.cells[(row, column)].finalize_plan()
        self._plans[row] = {"column": column, **plan_view(ledger)}
        return self._plans[row]

    def finalize(self, row: int) -> Any:
        """Finalize the pick of ``row`` (the button's Confirm); returns the final Generation."""
        proposed = self._plans.pop(row, None)
        column = self.comparison.picked_column(row)
        if column is None or (proposed is not None and proposed["column"] != column):
            return None  # the pick changed after the cost was shown: show it again first
        draft = self.comparison.cells[(row, column)]
        ledger = draft.finalize_plan()
        final = draft.finalize()
        self._finals[row] = (ledger, final)
        if final is not draft:
            final.add_listener(lambda _g: self.refresh())
        return final

    def refresh(self) -> None:
        comparison = self.comparison
        with self._lock, self.hold_sync():
            self.columns = [comparison.column_label(c) for c in range(len(comparison.columns))]
            states = [comparison.cell_state(r, c)
                      for r in range(len(comparison.prompts)) for c in range(len(comparison.columns))]
            self.cells = [{**s, "ready": s["status"] == "succeeded"} for s in states]
            self.finals = {str(r): {"ledger": repr(ledger), "status": final.status}
                           for r, (ledger, final) in self._finals.items()}
            self.plans = {str(r): {"label": plan["label"], "detail": plan["detail"]}
                          for r, plan in self._plans.items()}


def show_grid(comparison: Any) -> GridWidget | None:
    """Display ``comparison`` as its live grid (its text table outside a kernel)."""
    from IPython import get_ipython  # type: ignore[attr-defined]
    from IPython.display import display

    ip = get_ipython()  # type: ignore[no-untyped-call]
    if getattr(ip, "kernel", None) is None:
        print(repr(comparison))
        return None
    widget = GridWidget(comparison)
    display(widget)  # type: ignore[no-untyped-call]
    return widget

"""``hailuo_nb.compare(prompts, models=…, providers=…)``: prompts × models side by side.

Rows are prompts, columns every model × provider combination (``columns`` says which).
Each cell is an ordinary request started with ``reuse=True``, so an identical earlier
generation fills its cell for free. The object holds the generations and works without a
frontend (its repr is a table); in a notebook it shows itself as the grid widget
(``hailuo_nb.notebook.widgets.grid``), which fills as clips land.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Iterable
from typing import Any

from hailuo_nb.errors import HailuoError, ValidationError
from hailuo_nb.gateway.request import build_request


class Comparison:
    """A grid of generations: ``cells[(row, column)]``, a pick per row (``picks``)."""

    def __init__(self, prompts: list[str], columns: list[tuple[str, str | None]], params: dict[str, Any]):
        self.prompts = prompts
        #: (model, provider) per column; provider None means the default one
        self.columns = columns
        self.params = params
        self.cells: dict[tuple[int, int], Any] = {}
        self.errors: dict[tuple[int, int], HailuoError] = {}
        self._picks: dict[int, int] = {}

    def start(self) -> Comparison:
        from hailuo_nb.api import Generation
        from hailuo_nb.gateway import session

        requests = {}
        for (r, prompt), (c, (model, provider)) in itertools.product(enumerate(self.prompts),
                                                                      enumerate(self.columns)):
            try:
                requests[(r, c)] = build_request(prompt, model=model, provider=provider, **self.params)
            except ValidationError as exc:
                self.errors[(r, c)] = exc
        for cell, request in requests.items():
            try:
                self.cells[cell] = session.start(request, reuse=True, cls=Generation)
            except HailuoError as exc:
                self.errors[cell] = exc
        return self

    @property
    def generations(self) -> list[Any]:
        return [self.cells[k] for k in sorted(self.cells)]

    def wait(self, timeout: float | None = None) -> Comparison:
        for gen in self.generations:
            gen.wait(timeout)
        return self

    @property
    def done(self) -> bool:
        return all(g.done for g in self.generations)

    def column_label(self, column: int) -> str:
        model, provider = self.columns[column]
        gen = next((g for (_, c), g in self.cells.items() if c == column), None)
        shown = provider or (gen.provider if gen is not None else "default")
        return f"{model} @ {shown}"

    def pick(self, row: int | str, column: int) -> Any:
        """Choose the cell of ``row`` (index or prompt) in ``column`` as that row's pick."""
        index = self.prompts.index(row) if isinstance(row, str) else row
        if (index, column) not in self.cells:
            raise ValidationError("column", column, sorted(c for r, c in self.cells if r == index),
                                  reason="no generation in that cell")
        self._picks[index] = column
        return self.cells[(index, column)]

    def unpick(self, row: int) -> None:
        self._picks.pop(row, None)

    @property
    def picks(self) -> dict[str, Any]:
        """{row prompt: the picked Generation}."""
        return {self.prompts[r]: self.cells[(r, c)] for r, c in sorted(self._picks.items())}

    def picked_column(self, row: int) -> int | None:
        return self._picks.get(row)

    def cell_state(self, row: int, column: int) -> dict[str, Any]:
        """One cell as plain data: status, cost, wall time (no paths)."""
        gen = self.cells.get((row, column))
        error = self.errors.get((row, column))
        if gen is None:
            return {"row": row, "column": column, "status": "invalid", "cost": "", "seconds": None,
                    "error": str(error or ""), "reused": False, "picked": False}
        seconds = (gen.finished_at - gen.created_at) if gen.finished_at and gen.created_at else None
        return {"row": row, "column": column, "status": gen.status,
                "cost": str(gen.price) if gen.price else "",
                "seconds": round(seconds, 1) if seconds else None,
                "error": str(gen.error) if gen.error else "", "reused": bool(gen.reused),
                "picked": self._picks.get(row) == column}

    def rows(self) -> list[dict[str, Any]]:
        return [{**self.cell_state(r, c), "prompt": p, "model": self.columns[c][0],
                 "provider": (self.cells[(r, c)].provider if (r, c) in self.cells else self.columns[c][1])}
                for r, p in enumerate(self.prompts) for c in range(len(self.columns))]

    def __repr__(self) -> str:
        width = 28
        labels = (f"{self.column_label(c):<30}" for c in range(len(self.columns)))
        head = f"{'prompt':<{width}} | " + " | ".join(labels)
        lines = [head, "-" * len(head)]
        for r, prompt in enumerate(self.prompts):
            cells = []
            for c in range(len(self.columns)):
                s = self.cell_state(r, c)
                mark = "*" if s["picked"] else " "
                when = f"{s['seconds']}s" if s["seconds"] is not None else ""
                cells.append(f"{mark}{s['status']:<10} {s['cost']:>6} {when:>6}"[:30].ljust(30))
            short = prompt if len(prompt) <= width else prompt[: width - 1] + "…"
            lines.append(f"{short:<{width}} | " + " | ".join(cells))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(repr(self)) + "</pre>"

    def _ipython_display_(self) -> None:
        from hailuo_nb.notebook.widgets.grid import show_grid

        show_grid(self)


def compare(prompts: str | Iterable[str], models: str | Iterable[str] | None = None,
            providers: str | Iterable[str | None] | None = None, **params: Any) -> Comparison:
    """Start every prompt on every model × provider; returns the grid at once (it fills as clips land).

    ``params`` (duration, resolution, ratio, first_frame…) apply to every cell.
    Identical earlier generations are reused, so re-running a comparison is free.
    """
    prompt_list = [prompts] if isinstance(prompts, str) else list(prompts)
    if not prompt_list:
        raise ValidationError("prompts", prompts, "one or more prompts")
    model_list = [models] if isinstance(models, str) else list(models or ["hailuo-02-text-to-video-pro"])
    provider_list = [providers] if isinstance(providers, str) or providers is None else list(providers)
    columns = [(m, p) for m in model_list for p in provider_list]
    return Comparison(prompt_list, columns, params).start()


__all__ = ["Comparison", "compare"]

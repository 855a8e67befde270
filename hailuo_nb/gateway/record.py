"""One place writes each state change: first to the journal (durable), then to the live Generation.

The journal keeps strings and numbers; the Generation keeps objects (an error, a Path).
Fields only the journal has (``submit_state``, ``base_url``, ``file_id``) go there alone.
"""

from __future__ import annotations

from typing import Any, Protocol

from hailuo_nb.errors import HailuoError
from hailuo_nb.gateway.generation import Generation


class Writable(Protocol):
    """What ``record`` needs of a journal (tests may pass a recorder)."""

    def update(self, gen_id: str, **fields: Any) -> None: ...


#: Generation attributes that mirror a journal column of the same name.
_LIVE = ("status", "raw_status", "task_id", "route", "submitted_at", "finished_at", "video_url",
         "video_path", "cost_usd", "billed_usd", "error")


def record(gen: Generation, journal: Writable, **changes: Any) -> None:
    """Apply ``changes`` to the journal row of ``gen``, then to ``gen`` (listeners see them)."""
    row: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "error":
            row["error_type"] = type(value).__name__ if isinstance(value, HailuoError) else None
            row["error"] = str(value) if value is not None else None
        elif name == "video_path":
            row[name] = str(value) if value is not None else None
        else:
            row[name] = value
    journal.update(gen.id, **row)
    live = {name: value for name, value in changes.items() if name in _LIVE}
    if live:
        gen._update(**live)

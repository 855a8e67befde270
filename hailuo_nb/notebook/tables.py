"""Small tables for ``%hailuo models`` and ``%hailuo history`` (HTML with a text twin)."""

# IPython 8.12 and ipykernel ship without full annotations: calling them is fine here.
# mypy: disable-error-code="no-untyped-call,untyped-decorator"

from __future__ import annotations

import datetime as _dt
import html
from collections.abc import Iterable, Sequence
from typing import Any

Table = tuple[Sequence[str], list[list[str]]]


def models_table(models: Iterable[dict[str, Any]], provider: str | None = None) -> Table:
    """Catalog rows: id, input, frames, durations, resolutions, providers, prices on ``provider``."""
    rows = []
    for m in models:
        frames = "first + last" if m.get("last_frame") else "first" if m.get("input") == "image" else "–"
        rows.append(
            [
                str(m.get("id", "")),
                str(m.get("input", "")),
                frames,
                ", ".join(str(d) for d in m.get("durations", ())),
                ", ".join(str(r) for r in m.get("resolutions", ())),
                ", ".join(str(p) for p in m.get("providers", ())),
                _prices((m.get("prices") or {}).get(provider or "")),
            ]
        )
    header = (
        "model",
        "input",
        "frames",
        "durations (s)",
        "resolutions",
        "providers",
        f"price on {provider}" if provider else "price",
    )
    return header, rows


def history_table(rows: Iterable[dict[str, Any]]) -> Table:
    """Journal rows, newest first."""
    out = []
    for r in rows:
        created = r.get("created_at")
        when = _dt.datetime.fromtimestamp(created).strftime("%Y-%m-%d %H:%M:%S") if created else ""
        cost = r.get("cost_usd")
        error = r.get("error") or ""
        if isinstance(error, dict):
            error = error.get("message", "")
        status = str(r.get("status", ""))
        if r.get("uncertain"):
            status = "outcome unknown"
            error = error or "the submission may have been accepted: check the provider's dashboard"
        out.append(
            [
                when,
                status,
                str(r.get("provider", "")),
                str(r.get("model", "")),
                _short(str(r.get("prompt", ""))),
                str(r.get("task_id") or ""),
                f"${cost:.2f}" if isinstance(cost, (int, float)) else "",
                str(r.get("video_path") or _short(str(error))),
            ]
        )
    header = ("created", "status", "provider", "model", "prompt", "task id", "cost", "video / error")
    return header, out


def show(table: Table) -> None:
    """Display ``table`` as HTML with a plain-text twin (terminals, saved notebooks)."""
    from IPython.display import display

    display({"text/html": to_html(table), "text/plain": to_text(table)}, raw=True)


def to_html(table: Table) -> str:
    header, rows = table
    head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td style='text-align:left'>{html.escape(c)}</td>" for c in row) + "</tr>"
        for row in rows
    )
    empty = "" if rows else f"<tr><td colspan='{len(header)}'>(none)</td></tr>"
    return f"<table class='hailuo-table'><thead><tr>{head}</tr></thead><tbody>{body}{empty}</tbody></table>"


def to_text(table: Table) -> str:
    header, rows = table
    if not rows:
        return "  ".join(header) + "\n(none)"
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [list(header), *rows]
    ]
    return "\n".join(lines)


def _prices(price: Any) -> str:
    if not price:
        return ""
    if isinstance(price, dict):
        return "; ".join(f"{k} {v or 'unpublished'}" for k, v in price.items())
    return str(price)


def _short(text: str, limit: int = 48) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"

"""Small tables for ``%hailuo models`` and ``%hailuo history`` (HTML with a text twin).

``hailuo_nb.models()`` shows itself through :func:`catalog_table` too, so the catalog looks
the same however it is asked for. Cells go through :func:`~hailuo_nb.notebook.bundles.text`:
prices hold ``$``, which JupyterLab would otherwise typeset as LaTeX.
"""

# IPython 8.12 and ipykernel ship without full annotations: calling them is fine here.
# mypy: disable-error-code="no-untyped-call,untyped-decorator"

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from hailuo_nb.notebook.bundles import NO_MATH, display_path, text

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
                _durations(m.get("durations", ())),
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


def catalog_table(models: Sequence[dict[str, Any]], provider: str | None = None) -> Table:
    """The catalog with prices on ``provider``: the one its rows are priced for, else the one in use."""
    if provider is None:
        priced = {p for m in models for p in (m.get("prices") or {})}
        if len(priced) == 1:
            provider = priced.pop()
        else:
            from hailuo_nb.api import provider_info

            provider = provider_info()["name"]
    return models_table(models, provider)


def history_table(rows: Iterable[dict[str, Any]]) -> Table:
    """Journal rows, newest first: short times, paths relative to the notebook's folder."""
    out = []
    today = _dt.date.today()
    for r in rows:
        created = r.get("created_at")
        stamp = _dt.datetime.fromtimestamp(created) if created else None
        fmt = "%H:%M:%S" if stamp is not None and stamp.date() == today else "%Y-%m-%d %H:%M"
        when = "" if stamp is None else stamp.strftime(fmt)
        cost, billed = r.get("cost_usd"), r.get("billed_usd")
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
                f"${billed:.2f} billed" if isinstance(billed, (int, float))
                else f"${cost:.2f} est." if isinstance(cost, (int, float)) else "",
                display_path(Path(r["video_path"])) if r.get("video_path") else _short(str(error)),
            ]
        )
    header = ("created", "status", "provider", "model", "prompt", "task id", "cost", "video / error")
    return header, out


def show(table: Table) -> None:
    """Display ``table`` as HTML with a plain-text twin (terminals, saved notebooks)."""
    from IPython.display import display

    display({"text/html": to_html(table), "text/plain": to_text(table)}, raw=True)


#: Columns whose values never wrap (ids, paths, times); the rest (prompts, prices) may.
_NOWRAP = frozenset({"model", "created", "status", "provider", "task id", "cost", "video / error",
                     "durations (s)", "resolutions", "frames", "input"})


def to_html(table: Table) -> str:
    header, rows = table
    nowrap = [h in _NOWRAP for h in header]
    cell = "padding:2px 8px;text-align:left;vertical-align:top"
    head = "".join(f"<th style='{cell};white-space:nowrap'>{text(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td style='{cell}{';white-space:nowrap' if keep else ''}'>{text(c)}</td>"
            for c, keep in zip(row, nowrap, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    empty = "" if rows else f"<tr><td colspan='{len(header)}'>(none)</td></tr>"
    return (
        f"<table class='hailuo-table {NO_MATH}' style='border-collapse:collapse;font-size:0.92em'>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}{empty}</tbody></table>"
    )


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
    """``{"6s 768p": "$0.28", ...}`` per resolution: each duration, or the range when there are many."""
    if not price:
        return ""
    if not isinstance(price, dict):
        return str(price)
    by_res: dict[str, list[tuple[int, str]]] = {}
    for key, value in price.items():
        seconds, _, res = str(key).partition(" ")
        by_res.setdefault(res, []).append((int(seconds.rstrip("s") or 0), str(value or "unpublished")))
    parts = []
    for res, entries in by_res.items():
        entries.sort()
        if len(entries) <= 3:
            parts.append(f"{res}: " + ", ".join(f"{s}s {v}" for s, v in entries))
        else:
            (lo, first), (hi, last) = entries[0], entries[-1]
            if {v for _, v in entries} == {"unpublished"}:
                parts.append(f"{res}: unpublished")
                continue
            parts.append(f"{res}: {first} ({lo}s) – {last} ({hi}s)")
    return "; ".join(parts)


def _durations(values: Iterable[Any]) -> str:
    items = [int(v) for v in values]
    if len(items) > 3 and items == list(range(items[0], items[-1] + 1)):
        return f"{items[0]}–{items[-1]}"
    return ", ".join(str(v) for v in items)


def _short(text: str, limit: int = 48) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"

"""Batch input: a pandas DataFrame, a CSV file or a list of dicts, as numbered row dicts.

Every row becomes ``{"row": n, "prompt": ..., "model": ..., ...}`` with all of
:data:`COLUMNS` present (None when empty) and any other columns passed through as they
are, so results can be written next to the user's own columns. pandas is never imported:
a DataFrame is recognised by its type's module and read through ``to_dict``.

A column whose name is close to a known one (``promt``, ``modle``) is refused rather than
passed through, because a silently ignored model or duration would be paid for.
"""

from __future__ import annotations

import csv
import difflib
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hailuo_nb.errors import ValidationError

#: Columns that feed the request, in this order.
COLUMNS: tuple[str, ...] = (
    "prompt", "model", "duration", "resolution", "ratio", "first_frame", "last_frame", "provider",
)
#: Columns a batch adds; read back as ordinary columns when a results file is re-run.
RESULT_COLUMNS: tuple[str, ...] = ("status", "task_id", "path", "cost_usd", "error")
SOURCES = "a pandas DataFrame, a CSV path (str or Path) or a list of dicts"
Row = dict[str, Any]


def read_rows(source: Any) -> list[Row]:
    """The rows of ``source``, numbered from 1, blank rows skipped; ValidationError if unusable."""
    columns, records = _records(source)
    names = _column_names(columns)
    rows = []
    for number, record in enumerate(records, start=1):
        if all(_empty(v) for v in record.values()):
            continue
        rows.append(_row(number, record, names))
    return rows


def _records(source: Any) -> tuple[list[str], Iterable[Mapping[str, Any]]]:
    if _is_dataframe(source):
        return [str(c) for c in source.columns], source.to_dict(orient="records")
    if isinstance(source, (str, os.PathLike)):
        return _csv(Path(source))
    if isinstance(source, Iterable) and not isinstance(source, (bytes, Mapping)):
        records = [{"prompt": r} if isinstance(r, str) else r for r in source]
        for number, record in enumerate(records, start=1):
            if not isinstance(record, Mapping):
                raise ValidationError(f"row {number}", record, SOURCES, reason="not a dict")
        columns = list(dict.fromkeys(str(k) for r in records for k in r))
        return columns, [{str(k): v for k, v in r.items()} for r in records]
    raise ValidationError("rows", type(source).__name__, SOURCES)


def _is_dataframe(source: Any) -> bool:
    return type(source).__module__.split(".")[0] == "pandas" and hasattr(source, "to_dict")


def _csv(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:  # -sig: Excel's BOM
            reader = csv.DictReader(fh)
            records = list(reader)
            columns = list(reader.fieldnames or [])
    except FileNotFoundError as exc:
        raise ValidationError("rows", str(path), SOURCES, reason="no such file") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValidationError("rows", str(path), "a UTF-8 CSV file", reason=str(exc)) from exc
    for number, record in enumerate(records, start=1):
        if None in record:  # more cells than header names
            raise ValidationError(f"row {number}", record[None], columns, reason="more cells than columns")
    return columns, records


def _normal(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


def _column_names(columns: Sequence[str]) -> dict[str, str]:
    """Source column -> row key: a known column's canonical name, or the column as it is.

    Columns without a name (a spreadsheet's trailing commas) map to "" and are dropped.
    """
    names: dict[str, str] = {}
    known = COLUMNS + RESULT_COLUMNS + ("row",)
    for column in columns:
        key = _normal(column)
        if not key:
            names[column] = ""
            continue
        if key not in known:
            near = difflib.get_close_matches(key, COLUMNS, n=1, cutoff=0.8)
            if near:
                raise ValidationError(f"column {column!r}", column, COLUMNS,
                                      reason=f"looks like a typo of {near[0]!r}")
            key = column
        if key in names.values():
            raise ValidationError(f"column {column!r}", column, COLUMNS, reason="given twice")
        names[column] = key
    if "prompt" not in names.values():
        raise ValidationError("prompt", list(columns), COLUMNS, reason="no prompt column")
    return names


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and not value.strip())


def _row(number: int, record: Mapping[str, Any], names: Mapping[str, str]) -> Row:
    extras = dict.fromkeys(k for k in names.values() if k and k != "row")
    row: Row = {"row": number, **dict.fromkeys(COLUMNS), **extras}
    for column, value in record.items():
        key = names[column]
        if key in ("row", ""):
            continue  # "row" is recomputed: a results file read back keeps its numbering
        row[key] = None if _empty(value) else _value(number, key, value)
    if row["prompt"] is None and row["first_frame"] is None:
        raise ValidationError(f"row {number}: prompt", "", "a prompt, or a first_frame to animate",
                              reason="empty")
    return row


def _value(number: int, key: str, value: Any) -> Any:
    if key == "duration":
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            seconds = -1.0
        if seconds <= 0 or seconds != int(seconds):
            raise ValidationError(f"row {number}: duration", value, "a whole number of seconds, e.g. 6")
        return int(seconds)
    if key in COLUMNS:
        return str(value).strip()
    return value.item() if hasattr(value, "item") else value  # numpy scalars from pandas


def write_results_csv(rows: Iterable[Mapping[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Write rows (input and result columns) as UTF-8 CSV, atomically; return the path."""
    rows = list(rows)
    keys = list(dict.fromkeys(k for r in rows for k in r))
    header = [k for k in keys if k not in RESULT_COLUMNS] + [k for k in RESULT_COLUMNS if k in keys]
    out = Path(path)
    fd, name = tempfile.mkstemp(suffix=".csv", prefix=f".{out.stem}-", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows([_cell(r.get(k)) for k in header] for r in rows)
        os.replace(name, out)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)

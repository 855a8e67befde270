"""The durable journal of every generation (sqlite, WAL) under HAILUO_HOME.

A row is written before the submit request is sent, the task id the moment a gateway
returns it, and every status change after. ``submit_state`` makes the money-relevant
step explicit: ``pending`` (not sent: waiting for its pacing slot, backing off after a
429, or no connection could be made), ``sent`` (on the wire: the outcome is uncertain
until a reply), ``accepted`` (task id stored), ``rejected`` (the gateway said no),
``unknown`` (no usable reply: it may have been accepted). No key, header or image bytes
are ever stored here. An unusable HAILUO_HOME is a StorageError raised on opening, so
before anything is sent.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hailuo_nb.errors import StorageError
from hailuo_nb.gateway.secrets import redact
from hailuo_nb.gateway.task import IN_FLIGHT

_SCHEMA = """
CREATE TABLE IF NOT EXISTS generations (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    provider TEXT NOT NULL,
    base_url TEXT,
    model TEXT NOT NULL,
    prompt TEXT NOT NULL,
    params TEXT NOT NULL,
    request_key TEXT NOT NULL,
    submit_state TEXT NOT NULL DEFAULT 'pending',
    task_id TEXT,
    route TEXT,
    status TEXT NOT NULL,
    raw_status TEXT,
    submitted_at REAL,
    finished_at REAL,
    file_id TEXT,
    video_url TEXT,
    video_path TEXT,
    cost_usd REAL,
    billed_usd REAL,
    error_type TEXT,
    error TEXT,
    pid INTEGER,
    session TEXT
);
CREATE INDEX IF NOT EXISTS generations_key ON generations (request_key, created_at);
CREATE INDEX IF NOT EXISTS generations_task ON generations (task_id);
CREATE INDEX IF NOT EXISTS generations_status ON generations (status);
"""

#: poll observations (gateway/timing.py): created on first use, apart from the generations table
_OBSERVATIONS = """
CREATE TABLE IF NOT EXISTS poll_observations (
    gen_id TEXT NOT NULL,
    recorded_at REAL NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    resolution TEXT NOT NULL,
    duration INTEGER NOT NULL,
    low REAL NOT NULL,
    high REAL NOT NULL,
    queue_low REAL,
    queue_high REAL,
    polls INTEGER
);
CREATE INDEX IF NOT EXISTS poll_observations_key ON poll_observations (provider, model, recorded_at);
"""

_COLUMNS = {
    "submit_state", "task_id", "route", "status", "raw_status", "submitted_at", "finished_at",
    "file_id", "video_url", "video_path", "cost_usd", "billed_usd", "error_type", "error", "base_url",
    "pid", "session",
}

#: This process's session id: rows of other sessions whose process is gone are orphans.
SESSION = f"{os.getpid()}-{int(time.time() * 1000)}"


class Journal:
    """One sqlite connection per process, writes serialised by a lock (one-writer discipline)."""

    def __init__(self, path: Path) -> None:
        _make_folder(path.parent)
        self.path = path
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            # busy timeout first: it is what makes the statements below wait for another opener
            self._db.execute("PRAGMA busy_timeout=30000")
            # switching to WAL (and creating the schema) can fail with "database is locked" at
            # once, without waiting, while another process creates the same new journal
            _when_unlocked(lambda: self._db.execute("PRAGMA journal_mode=WAL"))
            self._db.execute("PRAGMA synchronous=NORMAL")
            with self._lock:
                _when_unlocked(lambda: self._db.executescript(_SCHEMA))
                _when_unlocked(lambda: _add_missing_columns(self._db))
        except (sqlite3.Error, OSError) as exc:
            writable = os.access(path.parent, os.W_OK)  # also False on a read-only mount, even for root
            raise _unusable(path.parent, str(exc) if writable else f"read-only: {exc}") from exc

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def add(self, gen_id: str, *, provider: str, model: str, prompt: str, params: dict[str, Any],
            request_key: str, status: str, task_id: str | None = None, route: str | None = None,
            submit_state: str = "pending") -> None:
        """Record a generation before anything is sent."""
        now = time.time()
        with self._write() as db:
            db.execute(
                "INSERT INTO generations (id, created_at, updated_at, provider, model, prompt, params,"
                " request_key, submit_state, task_id, route, status, pid, session)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (gen_id, now, now, provider, model, prompt, json.dumps(params), request_key,
                 submit_state, task_id, route, status, os.getpid(), SESSION),
            )

    def update(self, gen_id: str, **fields: Any) -> None:
        """Record a change; unknown column names are a programming error."""
        unknown = set(fields) - _COLUMNS
        if unknown:
            raise KeyError(f"unknown journal columns: {sorted(unknown)}")
        if "error" in fields and fields["error"]:
            fields["error"] = redact(str(fields["error"]))
        fields["updated_at"] = time.time()
        names = ", ".join(f"{k} = ?" for k in fields)
        with self._write() as db:
            db.execute(f"UPDATE generations SET {names} WHERE id = ?", (*fields.values(), gen_id))

    def get(self, gen_id: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM generations WHERE id = ?", (gen_id,))

    def by_task_id(self, task_id: str) -> dict[str, Any] | None:
        return self._one(
            "SELECT * FROM generations WHERE task_id = ? ORDER BY created_at DESC LIMIT 1", (task_id,)
        )

    def by_key(self, request_key: str) -> list[dict[str, Any]]:
        return self._all(
            "SELECT * FROM generations WHERE request_key = ? ORDER BY created_at DESC", (request_key,)
        )

    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM generations ORDER BY created_at DESC LIMIT ?", (limit,))

    def in_flight(self) -> list[dict[str, Any]]:
        marks = ",".join("?" * len(IN_FLIGHT))
        return self._all(
            f"SELECT * FROM generations WHERE status IN ({marks}) ORDER BY created_at", tuple(IN_FLIGHT)
        )

    def durations(self, provider: str, model: str, limit: int = 200) -> list[float]:
        """Observed submit-to-finish seconds of recent successful generations."""
        with self._lock:
            rows = self._db.execute(
            "SELECT finished_at - submitted_at FROM generations WHERE provider = ? AND model = ?"
            " AND status = 'succeeded' AND submitted_at IS NOT NULL AND finished_at IS NOT NULL"
            " ORDER BY created_at DESC LIMIT ?",
            (provider, model, limit),
            ).fetchall()
        return [float(r[0]) for r in rows if r[0] is not None and r[0] > 0]

    # -- poll observations (what status replies said about job lengths; gateway/timing.py) --

    def _observations_table(self) -> None:
        if not getattr(self, "_has_observations", False):
            with self._lock:
                self._db.executescript(_OBSERVATIONS)
            self._has_observations = True

    def add_observation(self, gen_id: str, *, provider: str, model: str, resolution: str, duration: int,
                        low: float, high: float, queue_low: float | None = None,
                        queue_high: float | None = None, polls: int | None = None) -> None:
        """A finished job's length was in (``low``, ``high``] s after submission; queue exit likewise."""
        self._observations_table()
        with self._write() as db:
            db.execute(
                "INSERT INTO poll_observations (gen_id, recorded_at, provider, model, resolution, duration,"
                " low, high, queue_low, queue_high, polls) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (gen_id, time.time(), provider, model, resolution, duration, low, high,
                 queue_low, queue_high, polls),
            )

    def observations(self, *, provider: str, model: str | None = None, resolution: str | None = None,
                     duration: int | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """The newest observations matching the given fields, newest first."""
        self._observations_table()
        where = {"provider": provider, "model": model, "resolution": resolution, "duration": duration}
        names = [k for k, v in where.items() if v is not None]
        sql = ("SELECT low, high, queue_low, queue_high, recorded_at FROM poll_observations WHERE "
               + " AND ".join(f"{k} = ?" for k in names) + " ORDER BY recorded_at DESC, rowid DESC LIMIT ?")
        with self._lock:
            rows = self._db.execute(sql, (*(where[k] for k in names), limit)).fetchall()
        return [dict(r) for r in rows]

    def _one(self, sql: str, args: tuple[Any, ...]) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(sql, args).fetchone()
        return _row(row) if row else None

    def _all(self, sql: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [_row(r) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


#: Columns added after the first release: (name, SQL type), added to older journals on open.
_LATER_COLUMNS = (("billed_usd", "REAL"),)


def _add_missing_columns(db: sqlite3.Connection) -> None:
    have = {r[1] for r in db.execute("PRAGMA table_info(generations)")}
    for name, kind in _LATER_COLUMNS:
        if name not in have:
            try:
                db.execute(f"ALTER TABLE generations ADD COLUMN {name} {kind}")
            except sqlite3.OperationalError as exc:  # another process added it first
                if "duplicate column" not in str(exc):
                    raise


#: How long opening waits for other processes opening the same journal.
OPEN_PATIENCE = 30.0


def _when_unlocked(step: Callable[[], object]) -> None:
    """Run ``step``, retrying with backoff while another connection holds the lock."""
    deadline = time.monotonic() + OPEN_PATIENCE
    delay = 0.005
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            text = str(exc).lower()
            if ("locked" not in text and "busy" not in text) or time.monotonic() > deadline:
                raise
        time.sleep(delay * random.uniform(0.5, 1.5))  # jitter: racing openers do not retry in step
        delay = min(delay * 2, 0.5)


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise _unusable(folder, "a file is in its place") from exc
    except OSError as exc:
        raise _unusable(folder, exc.strerror or str(exc)) from exc


def _unusable(folder: Path, reason: str) -> StorageError:
    return StorageError(
        f"cannot keep the journal in the HAILUO_HOME folder {folder} ({reason}); set HAILUO_HOME"
        " to a writable folder (in the environment or a .env file) and restart. Nothing was sent",
        folder=folder,
    )


def _row(row: sqlite3.Row) -> dict[str, Any]:
    data = dict(row)
    data["params"] = json.loads(data.get("params") or "{}")
    return data


def process_alive(pid: int | None) -> bool:
    """Whether a process with ``pid`` still exists (rows of dead kernels are orphans)."""
    if not pid:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_journals: dict[Path, Journal] = {}
_journals_lock = threading.Lock()


def open_journal(home: Path) -> Journal:
    """The process-wide journal for ``home`` (HAILUO_HOME may change between calls)."""
    path = (home / "journal.sqlite3").resolve()
    with _journals_lock:
        if path not in _journals:
            _journals[path] = Journal(path)
        return _journals[path]

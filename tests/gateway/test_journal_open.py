"""Opening the journal: an unusable HAILUO_HOME is a clear StorageError; racing openers all win."""

from __future__ import annotations

import multiprocessing
import subprocess
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hailuo_nb.errors import StorageError
from hailuo_nb.gateway.journal import Journal


def says_how_to_fix(error: StorageError, folder: Path) -> None:
    text = str(error)
    assert str(folder) in text and "HAILUO_HOME" in text and "writable" in text, text
    assert error.folder == folder


def test_a_file_in_place_of_the_folder(tmp_path):
    home = tmp_path / "home"
    home.write_text("not a folder")
    with pytest.raises(StorageError) as caught:
        Journal(home / "journal.sqlite3")
    says_how_to_fix(caught.value, home)
    assert "a file" in str(caught.value)


def test_a_missing_parent_that_cannot_be_created(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file")
    home = blocker / "sub" / "home"
    with pytest.raises(StorageError) as caught:
        Journal(home / "journal.sqlite3")
    says_how_to_fix(caught.value, home)


@pytest.fixture
def read_only_folder(tmp_path) -> Iterator[Path]:
    """A read-only tmpfs: unlike chmod, it stops root too (skipped where mount is not allowed)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here ({done.stderr.strip() or 'mount failed'})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_read_only_folder(read_only_folder):
    with pytest.raises(StorageError) as caught:
        Journal(read_only_folder / "journal.sqlite3")
    says_how_to_fix(caught.value, read_only_folder)
    assert "read-only" in str(caught.value)


def test_a_read_only_parent(read_only_folder):
    home = read_only_folder / "home"
    with pytest.raises(StorageError) as caught:
        Journal(home / "journal.sqlite3")
    says_how_to_fix(caught.value, home)


def test_generate_refuses_before_sending_when_home_is_unusable(tmp_path, monkeypatch):
    import hailuo_nb
    from hailuo_nb.sim.server import SimServer

    home = tmp_path / "home-file"
    home.write_text("x")
    monkeypatch.setenv("HAILUO_HOME", str(home))
    with SimServer() as sim:
        for name, value in sim.env("minimax").items():
            monkeypatch.setenv(name, value)
        with pytest.raises(StorageError):
            hailuo_nb.generate("a red kite over a beach", wait=False)
        assert sim.count() == 0


# -- racing openers ------------------------------------------------------------------------------

ROUNDS = 100
WORKERS = 3


def _open_and_insert(base: str, worker: int, barrier: Any, errors: Any) -> None:
    """One process: each round, open a NEW journal at the same moment as the others and insert."""
    for round_ in range(ROUNDS):
        barrier.wait()
        try:
            journal = Journal(Path(base) / f"round{round_}" / "journal.sqlite3")
            journal.add(f"g{round_}-{worker}", provider="minimax", model="m", prompt="p", params={},
                        request_key="k", status="submitting")
            journal.close()
        except Exception:  # noqa: BLE001 - reported to the parent
            errors.put(f"round {round_}, worker {worker}: {traceback.format_exc(limit=2)}")


def test_processes_opening_a_new_journal_at_once_all_succeed(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WORKERS, timeout=120)
    errors = ctx.Queue()
    procs = [ctx.Process(target=_open_and_insert, args=(str(tmp_path), w, barrier, errors))
             for w in range(WORKERS)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(300)
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    assert failures == []
    assert [p.exitcode for p in procs] == [0] * WORKERS
    for round_ in range(ROUNDS):
        journal = Journal(tmp_path / f"round{round_}" / "journal.sqlite3")
        assert len(journal.recent(10)) == WORKERS
        journal.close()

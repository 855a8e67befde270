"""Batches on a rate-limited loopback simulator: nothing fails, nothing is paid twice."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest

from hailuo_nb.film.batch import Pacer, batch
from hailuo_nb.film.rows import read_rows
from hailuo_nb.sim import SimServer

MODEL = "hailuo-02-text-to-video-standard"


@pytest.fixture
def sim(monkeypatch):
    with SimServer(job_seconds=0.1, rate_limit_rps=15) as srv:
        for name, value in srv.env("runapi").items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("HAILUO_POLL_INTERVAL", "0.05")
        yield srv


def write_csv(path, count):
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["prompt", "model", "note"])
        for n in range(count):
            writer.writerow([f"clip number {n}: a paper boat on a pond", MODEL, f"n{n}"])
    return path


def test_a_200_row_csv_completes_without_failures_or_duplicates_and_a_rerun_submits_nothing(sim, tmp_path):
    source = write_csv(tmp_path / "rows.csv", 200)
    rows = batch(source, progress=False)
    assert len(rows) == 200
    assert [r["status"] for r in rows] == ["succeeded"] * 200, {r["error"] for r in rows}
    assert len(sim.accepted_submissions()) == 200
    assert len({r["task_id"] for r in rows}) == 200
    assert all(r["note"] == f"n{r['row'] - 1}" and r["path"] for r in rows)
    assert sim.count(kind="submit") >= 200  # 429s were waited out, not counted as failures

    again = batch(source, progress=False)
    assert len(sim.accepted_submissions()) == 200
    assert all(r["reused"] and r["status"] == "succeeded" for r in again)


def test_the_command_line_batch_writes_results_and_resumes(sim, tmp_path):
    source = write_csv(tmp_path / "few.csv", 3)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    run = subprocess.run([sys.executable, "-m", "hailuo_nb", "batch", str(source), "--concurrency", "2"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    results = read_rows(run.stdout.strip())
    assert [r["status"] for r in results] == ["succeeded"] * 3 and all(r["task_id"] for r in results)
    assert "3/3" in run.stderr
    assert len(sim.accepted_submissions()) == 3


def test_rows_with_bad_parameters_are_reported_and_the_others_still_run(sim):
    rows = batch([{"prompt": "a cat", "model": MODEL}, {"prompt": "a dog", "model": MODEL, "duration": 7}],
                 progress=False)
    assert [r["status"] for r in rows] == ["succeeded", "invalid"]
    assert "row 2" in rows[1]["error"] and "duration" in rows[1]["error"]


def test_pacer_spaces_submissions_by_the_published_rate():
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(60.0 / 5, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        pacer.wait()
    assert slept == [12.0, 12.0]


def test_a_dataframe_comes_back_as_a_dataframe_with_the_result_columns(sim):
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"prompt": ["a heron", "a crane"], "model": [MODEL, MODEL]})
    out = batch(frame, progress=False)
    assert isinstance(out, pandas.DataFrame)
    assert list(out["status"]) == ["succeeded", "succeeded"] and out["task_id"].notna().all()

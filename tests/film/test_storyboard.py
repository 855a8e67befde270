"""Storyboards end to end on a loopback simulator the test controls (submissions counted there)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from waiting import wait_for

from hailuo_nb.errors import ValidationError
from hailuo_nb.film.media import probe
from hailuo_nb.film.storyboard import Storyboard
from hailuo_nb.gateway.journal import open_journal
from hailuo_nb.sim import SimServer

BOARD = """\
1. A lighthouse at dusk, waves crash [Pan left] (6s)
2. -> The keeper climbs the stairs [Push in]
3. The sea at night, a ship far away (10s)
4. -> The ship's lights come closer [Zoom in]
"""
MODEL = "hailuo-02-text-to-video-standard"


@pytest.fixture
def sim(monkeypatch):
    with SimServer(job_seconds=0.3) as srv:
        for name, value in srv.env("minimax").items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("HAILUO_POLL_INTERVAL", "0.05")
        yield srv


def submissions(srv: SimServer) -> int:
    return len(srv.accepted_submissions())


def test_plan_shows_every_shot_and_the_cost_before_anything_is_sent(sim):
    plan = Storyboard(BOARD, model=MODEL).plan()
    assert [s.model for s in plan.shots] == [MODEL, MODEL.replace("text", "image"), MODEL,
                                            MODEL.replace("text", "image")]
    assert [s.duration for s in plan.shots] == [6, 6, 10, 6]
    assert [s.shot.continues for s in plan.shots] == [False, True, False, True]
    assert plan.cost is not None and plan.cost.amount == pytest.approx(sum(s.price.amount for s in plan.shots))
    assert "to pay" in repr(plan) and "<table" in plan._repr_html_()
    assert sim.count() == 0


def test_board_films_its_shots_and_an_edit_remakes_only_the_shot_and_its_continuation(sim):
    board = Storyboard(BOARD, model=MODEL).run().wait(60)
    assert board.status == "done", board.errors
    assert submissions(sim) == 4
    clips = [probe(board.generations[i].video_path) for i in (1, 2, 3, 4)]
    film = probe(board.film)
    assert abs(float(film.duration) - sum(float(c.duration) for c in clips)) <= 0.1 * 3
    assert (film.audio is not None) == any(c.audio is not None for c in clips)
    assert board.contact_sheet is not None and board.contact_sheet.stat().st_size > 0

    edited = board.edit(BOARD.replace("The sea at night", "The sea at dawn"))
    assert edited.changes(board).regenerate == (3, 4)
    assert [s.reuse for s in edited.plan().shots] == ["done", "done", None, None]
    edited.run().wait(60)
    assert edited.status == "done"
    assert submissions(sim) == 6  # shots 3 and 4 only
    assert [edited.generations[i].reused for i in (1, 2, 3, 4)] == [True, True, False, False]
    assert edited.film != board.film

    again = Storyboard(BOARD, model=MODEL).run().wait(60)
    assert again.film == board.film and submissions(sim) == 6


def test_a_bad_shot_is_refused_naming_it_before_anything_is_sent(sim):
    board = Storyboard("1. a cat\n2. a dog (7s)", model=MODEL)
    with pytest.raises(ValidationError, match=r"shot 2 \(line 2\): duration"):
        board.run()
    assert sim.count() == 0 and board.status == "planned"


RUNNER = textwrap.dedent("""
    import sys
    from hailuo_nb.film.storyboard import Storyboard
    board = Storyboard(sys.stdin.read(), model=%r).run().wait(120)
    print(board.status, board.film)
""") % MODEL


def test_a_board_killed_midway_resumes_in_a_fresh_process_without_paying_twice(sim, hailuo_env):
    sim.job_seconds = 3.0
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    first = subprocess.Popen([sys.executable, "-c", RUNNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             env=env, text=True, start_new_session=True)
    assert first.stdin is not None
    first.stdin.write(BOARD)
    first.stdin.close()
    journal = open_journal(hailuo_env / "home")

    def both_free_shots_in_flight_and_journaled() -> bool:
        known = [r for r in journal.in_flight() if r["task_id"]]
        return submissions(sim) == 2 and len(known) == 2

    wait_for(both_free_shots_in_flight_and_journaled, 30, "the free shots to be accepted and journaled")
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(10)

    sim.job_seconds = 0.3
    second = subprocess.run([sys.executable, "-c", RUNNER], input=BOARD, capture_output=True, text=True,
                            env=env, timeout=120)
    assert second.returncode == 0, second.stderr
    status, film = second.stdout.split()
    assert status == "done" and Path(film).exists()
    assert submissions(sim) == 4  # the two adopted, then the two continuations: nothing twice

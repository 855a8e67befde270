"""Acceptance: the runner records what poll replies said (censored intervals) in the journal, over loopback HTTP."""

from __future__ import annotations

import pytest

import hailuo_nb
from hailuo_nb.gateway import session
from hailuo_nb.gateway.schedule import BUDGET, PollSchedule
from hailuo_nb.gateway.timing import Distribution, Key, model_for
from hailuo_nb.sim import SimServer

MODEL = "hailuo-02-text-to-video-pro"


@pytest.fixture
def sim(monkeypatch):
    monkeypatch.setattr("hailuo_nb.gateway.timing.REFIT_SECONDS", 0.0)
    with SimServer(job_seconds=0.2) as srv:
        for name, value in srv.env("minimax").items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("HAILUO_POLL_INTERVAL", "0.1")
        yield srv


def observations():
    return session.journal().observations(provider="minimax", model=MODEL)


def test_a_finished_job_leaves_the_interval_it_finished_in(sim):
    gen = hailuo_nb.generate("a marble rolls [seconds=1.2] [queue=0.5]", model=MODEL)
    assert gen.status == "succeeded", gen.error
    (row,) = observations()
    assert row["low"] < 1.2 <= row["high"]  # relative to submission: the job ended inside
    assert row["high"] - row["low"] < 0.6  # polls every 0.1 s (+ round trips) bound it tightly
    assert row["queue_low"] < 0.5 <= row["queue_high"]  # queued → running, likewise
    assert row["queue_high"] < row["low"]


def test_failed_and_cancelled_jobs_teach_nothing(sim):
    assert hailuo_nb.generate("a marble rolls [fail] [seconds=0.3]", model=MODEL).status == "failed"
    gen = hailuo_nb.generate("a marble rolls [seconds=30]", model=MODEL, wait=False)
    gen.cancel()
    gen.wait(10)
    assert observations() == []


def test_the_learned_distribution_replaces_the_prior_and_plans_polls(sim):
    gens = [hailuo_nb.generate(f"clip {i} [seconds=1.0] [queue=0]", model=MODEL, wait=False) for i in range(8)]
    for gen in gens:
        assert gen.wait(30).status == "succeeded", gen.error
    key = Key("minimax", MODEL, str(gens[0].resolution), int(gens[0].duration))
    prior = Distribution.from_window(60.0, 120.0)
    dist = model_for(session.journal()).total(key, prior)
    assert dist.level == "key"
    # every job ended in its (last "not done", first "done"] interval; where inside is not known
    lows, highs = zip(*((r["low"], r["high"]) for r in observations()), strict=True)
    assert min(lows) - 0.05 <= dist.quantile(0.5) <= max(highs)
    first = PollSchedule(dist).next_delay(0.0, 0)
    assert 0.3 < first < max(highs)  # the first poll goes where the jobs finish, not to the 60-120 s prior
    assert session.expected_window(gens[0].endpoint, MODEL)[1] < 3  # and the status widget's ETA follows


def test_learned_jobs_report_what_they_spent_against_their_plan(sim, monkeypatch):
    """Without a fixed interval: jobs planned on the lean budget from a well-learned estimate feed
    the spend calibration (their polls and the requests their plan expected); jobs planned on
    the prior or on a thin estimate do not."""
    monkeypatch.delenv("HAILUO_POLL_INTERVAL")
    first = [hailuo_nb.generate(f"clip {i} [seconds=0.8] [queue=0]", model=MODEL, wait=False) for i in range(17)]
    for gen in first:
        assert gen.wait(30).status == "succeeded", gen.error
    key = Key("minimax", MODEL, str(first[0].resolution), int(first[0].duration))
    timing = model_for(session.journal())
    assert timing._state("minimax").spent == {}  # planned on the catalog prior: no ratio
    later = [hailuo_nb.generate(f"clip {i} [seconds=0.8] [queue=0]", model=MODEL, wait=False) for i in range(8)]
    for gen in later:
        assert gen.wait(30).status == "succeeded", gen.error
    spent = next(iter(timing._state("minimax").spent.values()))
    assert len(spent) == 8 and {planned for _, planned in spent} == {BUDGET}
    polls = [r["polls"] for r in session.journal()._all(
        "SELECT polls FROM poll_observations ORDER BY rowid DESC LIMIT 8", ())]
    assert sorted(p for p, _ in spent) == sorted(polls)
    assert timing.spend(key) == pytest.approx(min(max(8 * BUDGET / sum(polls), 0.6), 1.4), rel=0.2)

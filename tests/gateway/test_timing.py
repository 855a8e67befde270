"""The timing model: what censored poll replies say about job lengths, pooled and forgetting."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hailuo_nb.gateway.journal import Journal
from hailuo_nb.gateway.timing import Distribution, Interval, Key, TimingModel, fit


def polled(lengths, every, rng):
    """The intervals fixed polling every ``every`` s (random phase) would observe."""
    out = []
    for t in lengths:
        phase = rng.uniform(0, every)
        k = math.ceil((t - phase) / every)
        low = max(phase + (k - 1) * every, 0.0)
        out.append(Interval(low, phase + k * every))
    return out


@pytest.mark.parametrize("sigma, every", [(0.2, 2.0), (0.3, 10.0), (0.5, 20.0)])
def test_recovers_a_known_log_normal_from_censored_intervals(sigma, every):
    rng = np.random.default_rng(3)
    lengths = 90.0 * np.exp(sigma * rng.standard_normal(400))
    dist = fit(polled(lengths, every, rng))
    assert dist.quantile(0.5) == pytest.approx(90.0, rel=0.06)
    for q, z in ((0.1, -1.2816), (0.9, 1.2816)):
        assert dist.quantile(q) == pytest.approx(90.0 * math.exp(sigma * z), rel=0.12)


def test_intervals_are_not_noticed_times():
    """Jobs noticed by a 30 s poll are not learned as 30 s jobs (the old window's bias)."""
    rng = np.random.default_rng(4)
    lengths = rng.uniform(8, 20, 300)
    dist = fit([Interval(0.0, 30.0) if t < 30 else Interval(30.0, 60.0) for t in lengths[:50]]
               + polled(lengths[50:], 1.0, rng))
    assert 12 < dist.quantile(0.5) < 16


def test_jobs_still_running_pull_the_estimate_up():
    done = [Interval(t - 1, t) for t in (30.0, 31.0, 32.0, 33.0, 34.0, 35.0)]
    running = [Interval(50.0, math.inf)] * 8
    assert fit(done + running).quantile(0.5) > 45 > fit(done).quantile(0.5)


def test_always_keeps_a_broad_tail():
    dist = fit([Interval(59.0, 60.0)] * 50)
    assert 0.0 < dist.survival(200.0) < 0.03


def test_prior_from_the_catalog_range():
    prior = Distribution.from_window(60.0, 120.0)
    assert prior.quantile(0.5) == pytest.approx(math.sqrt(60 * 120), rel=0.02)
    assert prior.quantile(0.1) < 60 and prior.quantile(0.9) > 120
    assert prior.level == "prior"


# -- the journal-backed model ------------------------------------------------------------------

KEY = Key("minimax", "hailuo-02-text-to-video-pro", "1080P", 6)
PRIOR = Distribution.from_window(60.0, 120.0)


@pytest.fixture
def model(tmp_path, monkeypatch):
    monkeypatch.setattr("hailuo_nb.gateway.timing.REFIT_SECONDS", 0.0)  # every query sees every record
    journal = Journal(tmp_path / "journal.sqlite3")
    yield TimingModel(journal)
    journal.close()


def record(model, key, lengths, width=2.0):
    for i, t in enumerate(lengths):
        model.record(key, f"{key.model}-{key.resolution}-{t}-{i}", t - width, t)


def test_forgets_old_jobs_and_follows_a_slowdown(model):
    rng = np.random.default_rng(5)
    record(model, KEY, 60 * np.exp(0.2 * rng.standard_normal(100)))
    assert model.total(KEY, PRIOR).quantile(0.5) == pytest.approx(60, rel=0.12)
    record(model, KEY, 120 * np.exp(0.2 * rng.standard_normal(40)))  # the gateway got 2× slower
    assert model.total(KEY, PRIOR).quantile(0.5) > 105


def test_pools_when_a_key_is_thin(model):
    assert model.total(KEY, PRIOR) is PRIOR
    other_model = Key(KEY.provider, "hailuo-2.3-text-to-video-pro", "1080P", 6)
    record(model, other_model, [200.0] * 10)
    assert model.total(KEY, PRIOR).level == "provider"
    other_resolution = Key(KEY.provider, KEY.model, "768P", 10)
    record(model, other_resolution, [150.0] * 10)
    dist = model.total(KEY, PRIOR)
    assert dist.level == "model" and dist.quantile(0.5) == pytest.approx(150, rel=0.05)
    record(model, KEY, [80.0] * 10)
    dist = model.total(KEY, PRIOR)
    assert dist.level == "key" and dist.quantile(0.5) == pytest.approx(80, rel=0.05)
    assert model.total(Key("runapi", KEY.model, "1080P", 6), PRIOR) is PRIOR  # never across providers


def test_running_time_from_the_queue_exit(model):
    rng = np.random.default_rng(6)
    assert model.running(KEY) is None
    for i in range(30):
        queue, run = rng.exponential(40.0), 60.0
        model.record(KEY, f"job{i}", queue + run - 1, queue + run, queue=(queue - 1, queue + 1))
    assert model.running(KEY).quantile(0.5) == pytest.approx(60, rel=0.05)


def test_in_flight_jobs_count_until_they_end(model):
    record(model, KEY, [30.0] * 8)
    base = model.total(KEY, PRIOR).quantile(0.5)
    import time

    for i in range(8):
        model.started(KEY, f"live{i}", time.time() - 100.0)
    record(model, KEY, [30.0])  # a new finish refits, now with the 8 jobs running for 100 s
    assert model.total(KEY, PRIOR).quantile(0.5) > base + 20
    for i in range(8):
        model.ended(KEY, f"live{i}")
    record(model, KEY, [30.0])
    assert model.total(KEY, PRIOR).quantile(0.5) == pytest.approx(base, rel=0.05)


def test_running_jobs_of_other_keys_do_not_count(model):
    """In-flight jobs of another model (much longer ones) must not stretch this key's estimate."""
    import time

    record(model, KEY, [30.0] * 8)
    base = model.total(KEY, PRIOR).quantile(0.5)
    other = Key(KEY.provider, "hailuo-2.3-text-to-video-pro", "1080P", 6)
    for i in range(8):
        model.started(other, f"long{i}", time.time() - 300.0)
    record(model, KEY, [30.0])
    assert model.total(KEY, PRIOR).quantile(0.5) == pytest.approx(base, rel=0.05)


def test_refits_at_most_every_few_seconds(model, monkeypatch):
    """100 jobs finishing at once do not refit 100 times (CPU), but the next query after the pause does."""
    record(model, KEY, [30.0] * 8)
    first = model.total(KEY, PRIOR)
    monkeypatch.setattr("hailuo_nb.gateway.timing.REFIT_SECONDS", 3600.0)
    record(model, KEY, [60.0] * 20)
    assert model.total(KEY, PRIOR) is first
    monkeypatch.setattr("hailuo_nb.gateway.timing.REFIT_SECONDS", 0.0)
    assert model.total(KEY, PRIOR).quantile(0.5) > 45


def test_spend_is_neutral_until_enough_jobs_report(model):
    for i in range(3):
        model.record(KEY, f"few{i}", 50.0, 52.0, polls=3, planned=7.0)
    assert model.spend(KEY) == 1.0


@pytest.mark.parametrize("ratio, factor", [(0.5, 1.4), (0.8, 1.25), (1.0, 1.0), (1.25, 0.8), (3.0, 0.6)])
def test_spend_corrects_by_what_jobs_really_spent(model, ratio, factor):
    """Jobs spending ``ratio`` × what was planned: the next budgets are divided by it (bounded)."""
    for i in range(30):
        model.record(KEY, f"job{i}", 50.0, 52.0, polls=round(7 * ratio, 3), planned=7.0)
    assert model.spend(KEY) == pytest.approx(factor)
    other = Key("minimax", "hailuo-02-text-to-video-pro", "768P", 6)
    assert model.spend(other) == 1.0  # per key


def test_spend_follows_the_newest_jobs(model):
    for i in range(40):
        model.record(KEY, f"old{i}", 50.0, 52.0, polls=14, planned=7.0)  # ×2: a slow spell
    assert model.spend(KEY) == pytest.approx(0.6)  # bounded
    for i in range(40):
        model.record(KEY, f"new{i}", 50.0, 52.0, polls=7, planned=7.0)  # back to the plan
    assert 0.88 < model.spend(KEY) <= 1.0  # the old spell weighs 0.5 ** (40 / 15) per job now

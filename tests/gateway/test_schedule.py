"""The poll schedule: budget-optimal placement from a learned distribution, on a simulated clock."""

from __future__ import annotations

import random
import statistics

import numpy as np
import pytest

from hailuo_nb.gateway.schedule import BUDGET, CAP, COLD_BUDGET, QUICK_LOOK, PollSchedule, plan_for
from hailuo_nb.gateway.timing import Distribution, Interval, calibration, fit


def drive(schedule: PollSchedule, finish: float) -> tuple[float, int]:
    """Runner._poll on a simulated clock: (detection delay, polls)."""
    t, polls = 0.0, 0
    while True:
        t += schedule.next_delay(t, polls)
        polls += 1
        if t >= finish:
            return t - finish, polls


def learned(lengths) -> Distribution:
    return fit([Interval(t * 0.98, t) for t in lengths])


RNG = np.random.default_rng(11)
SHAPES = {
    "log-normal 0.3": lambda n: 90 * np.exp(0.3 * RNG.standard_normal(n)),
    "gamma 4": lambda n: RNG.gamma(4.0, 600 / 3.67, n),
    "bimodal": lambda n: np.where(RNG.random(n) < 0.65, 40 * np.exp(0.1 * RNG.standard_normal(n)),
                                  150 * np.exp(0.1 * RNG.standard_normal(n))),
}


@pytest.mark.parametrize("elapsed, polls", [(0.0, 0), (30.0, 1), (75.0, 5), (5000.0, 40)])
def test_fixed_interval_replaces_the_schedule(elapsed, polls):
    s = PollSchedule(Distribution.from_window(60, 120), fixed=0.7)
    assert s.next_delay(elapsed, polls) == 0.7


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_spends_the_budget_it_is_given(shape):
    draws = SHAPES[shape](3000)
    dist = learned(draws[:1000])
    for budget in (5.0, BUDGET, 12.0):
        polls = [drive(PollSchedule(dist, budget=budget), t)[1] for t in draws[1000:]]
        assert statistics.mean(polls) == pytest.approx(budget, abs=0.6)


@pytest.mark.parametrize("shape, ratio", [("log-normal 0.3", 0.75), ("bimodal", 0.5), ("gamma 4", 0.95)])
def test_beats_a_fixed_interval_with_the_same_requests(shape, ratio):
    """By how much depends on the shape: a wide one (gamma, CV 0.5) leaves little to gain."""
    draws = SHAPES[shape](3000)
    dist = learned(draws[:1000])
    results = [drive(PollSchedule(dist), t) for t in draws[1000:]]
    mean_polls = statistics.mean(p for _, p in results)
    interval = np.mean(draws[1000:]) / mean_polls  # about the same requests per job
    fixed = np.median(np.ceil(draws[1000:] / interval) * interval - draws[1000:])
    assert statistics.median(d for d, _ in results) < ratio * fixed


def test_dense_where_finishes_are_dense():
    plan = plan_for(learned(SHAPES["bimodal"](2000)), BUDGET)
    times = plan.times(plan.step)
    steps = dict(zip(times[1:], np.diff(times), strict=True))
    in_mode = [h for t, h in steps.items() if 36 < t < 46]
    between = [h for t, h in steps.items() if 60 < t < 120]
    assert in_mode and max(in_mode) < 6.0
    assert not between or min(between) > 2.5 * max(in_mode)  # the gap between the modes is skipped


def test_a_survivor_is_planned_from_the_conditional_distribution():
    """Past the fast mode, the next poll waits for the slow one instead of polling on."""
    s = PollSchedule(learned(SHAPES["bimodal"](2000)))
    delay = s.next_delay(60.0, 6)
    assert 60.0 + delay > 95.0
    times = s.plan.times(s.plan.step, start=60.0)
    assert sum(60 < t < 118 for t in times) <= 2
    # and the same job, planned afresh at 60 s, gets the same answer: the rule is Markov in t
    assert PollSchedule(s.plan.dist).next_delay(60.0, 6) == pytest.approx(delay)


def test_a_quick_look_on_the_prior_when_the_plan_waits_long():
    s = PollSchedule(Distribution.from_window(60, 120))
    assert s.next_delay(0.0, 0) == QUICK_LOOK  # refusals and fast servers surface at once
    assert s.next_delay(QUICK_LOOK, 1) > 20
    assert not PollSchedule(Distribution.from_window(2, 4)).plan.quick
    assert not PollSchedule(learned(SHAPES["log-normal 0.3"](500))).plan.quick  # known: not needed


def test_queue_exit_restarts_the_clock():
    total = learned(RNG.exponential(40, 500) + 60)
    running = learned(60 * np.exp(0.05 * RNG.standard_normal(500)))
    s = PollSchedule(total)
    s.restart(100.0, running, polls=3)
    t = 100.0 + 50.0
    assert t + s.next_delay(t, 4) == pytest.approx(100 + 57, abs=3)  # right before 60 s of running


def test_late_jobs_back_off_to_the_cap_and_are_still_found():
    random.seed(3)
    dist = learned(20 * np.exp(0.1 * RNG.standard_normal(200)))
    s = PollSchedule(dist)
    delay, polls = drive(s, 2000.0)  # 100× the median: nothing like it was ever seen
    assert delay <= CAP * 1.1
    assert polls <= 20 + 2000 / (CAP * 0.9)
    s, t, steps = PollSchedule(dist), 100.0, []
    for k in range(12):
        steps.append(s.next_delay(t, 20 + k))
        t += steps[-1]
    assert steps[1] > steps[0] and max(steps) <= CAP * 1.1 and steps[-1] >= CAP * 0.9
    assert len({round(x, 6) for x in steps[-4:]}) > 1  # jittered: late jobs do not poll in lockstep


@pytest.mark.parametrize("lengths", [
    [60 + 60 * (i + 0.5) / 300 for i in range(300)],  # the catalog range, evenly
    list(85 * np.exp(0.2 * np.random.default_rng(2).standard_normal(300))),
])
def test_cold_start_on_the_catalog_prior(lengths):
    """Nothing learned yet: ≤ 12 requests and ≤ 3 s median on jobs that match the model's typical range."""
    prior = Distribution.from_window(60.0, 120.0)
    results = [drive(PollSchedule(prior), t) for t in lengths]
    assert statistics.mean(p for _, p in results) <= 12
    assert statistics.median(d for d, _ in results) <= 3.0
    assert statistics.mean(p for _, p in results) == pytest.approx(COLD_BUDGET, abs=1.5)


def test_never_sleeps_less_than_the_minimum_step():
    s = PollSchedule(learned([10.0] * 100))
    t, polls = 0.0, 0
    while t < 12:
        d = s.next_delay(t, polls)
        assert d >= s.min_step
        t, polls = t + d, polls + 1


def test_update_swaps_in_a_newer_estimate():
    early, late = learned([30.0] * 50), learned([300.0] * 50)
    s = PollSchedule(early)
    assert 10 + s.next_delay(10.0, 1) < 40
    s.update(late)
    assert 10 + s.next_delay(10.0, 1) > 100


def test_submissions_go_ahead_of_waiting_polls():
    import asyncio

    from hailuo_nb.gateway.retry import RequestBudget

    async def scenario():
        budget = RequestBudget(rps=50)
        order = []

        async def request(name, urgent):
            await budget.acquire(urgent=urgent)
            order.append(name)

        await budget.acquire()  # the first request takes the slot; the rest queue behind it
        polls = [asyncio.create_task(request(f"poll{i}", False)) for i in range(3)]
        await asyncio.sleep(0)
        submit = asyncio.create_task(request("submit", True))
        await asyncio.gather(*polls, submit)
        return order

    order = asyncio.run(scenario())
    assert order.index("submit") <= 1 and sorted(order) == ["poll0", "poll1", "poll2", "submit"]


def test_a_cancelled_waiter_does_not_block_the_budget():
    import asyncio

    from hailuo_nb.gateway.retry import RequestBudget

    async def scenario():
        budget = RequestBudget(rps=100)
        await budget.acquire()
        waiter = asyncio.create_task(budget.acquire())
        await asyncio.sleep(0)
        waiter.cancel()
        await asyncio.wait_for(budget.acquire(), timeout=2)  # would hang if the turn were lost
        return True

    assert asyncio.run(scenario())


def test_progress_replans_around_the_extrapolated_end():
    s = PollSchedule(Distribution.from_window(60, 120))
    s.progress(50.0, 0.5, polls=3)  # half done after 50 s: the end is near 100 s
    t, polls, times = 50.0, 3, []
    while t < 130:
        t += s.next_delay(t, polls)
        polls += 1
        times.append(t)
    near = [x for x in times if 90 <= x <= 110]
    assert len(near) >= 3 and max(b - a for a, b in zip(near, near[1:], strict=False)) < 10
    assert times[0] > 70  # nothing much before it
    s.progress(50.0, 1.5, polls=3)  # nonsense is ignored


def test_calibrated_spend_meets_the_budget_when_the_estimate_is_too_wide():
    """An estimate twice as wide as the jobs (σ 0.5 for σ 0.25) makes jobs spend far less than
    the budget; the spend calibration (TimingModel.spend's rule, fed each job's polls over
    planned) brings the real spend back to it, and with it a shorter delay."""
    rng = np.random.default_rng(5)
    dist = Distribution.lognormal(60.0, 0.5)
    lengths = 60.0 * np.exp(0.25 * rng.standard_normal(400))

    def run(calibrate: bool) -> tuple[float, float]:
        spent_so_far: list[tuple[int, float]] = []
        spent, delays = [], []
        for t in lengths:
            s = PollSchedule(Distribution(dist.cum, 50.0, "key"), spend=calibration(spent_so_far) if calibrate else 1.0)
            delay, polls = drive(s, t)
            assert s.planned is not None
            spent_so_far.insert(0, (polls, s.planned))
            spent.append(polls)
            delays.append(delay)
        return statistics.mean(spent[100:]), statistics.mean(delays[100:])

    plain, calibrated = run(False), run(True)
    assert plain[0] < BUDGET - 0.8, plain  # the misfit: budget unspent
    assert calibrated[0] == pytest.approx(BUDGET, abs=0.5), (plain, calibrated)
    assert calibrated[1] < 0.9 * plain[1], (plain, calibrated)  # the requests bought a shorter delay

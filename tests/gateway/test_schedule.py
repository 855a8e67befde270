"""The adaptive polling schedule: its shape and the learned window, on a simulated clock."""

from __future__ import annotations

import random
import statistics

import pytest

from hailuo_nb.gateway.schedule import PAD, PollSchedule, Window


def drive(schedule: PollSchedule, finish: float) -> tuple[float, int]:
    """Runner._poll on a simulated clock: (detection delay, polls)."""
    t, polls = 0.0, 0
    while True:
        t += schedule.next_delay(t, polls)
        polls += 1
        if t >= finish:
            return t - finish, polls


def in_window_steps(schedule: PollSchedule) -> list[float]:
    w = schedule.window
    t, polls, steps = w.low, 2, []
    while t < w.high:
        step = schedule.next_delay(t, polls)
        steps.append(step)
        t, polls = t + step, polls + 1
    return steps


@pytest.mark.parametrize("elapsed, polls", [(0.0, 0), (30.0, 1), (75.0, 5), (500.0, 40)])
def test_fixed_interval_replaces_the_schedule(elapsed, polls):
    assert PollSchedule(Window(60, 120), fixed=0.7).next_delay(elapsed, polls) == 0.7


def test_a_quick_look_one_halfway_then_straight_to_the_window():
    from hailuo_nb.gateway.schedule import QUICK_LOOK

    s = PollSchedule(Window(60, 120))
    assert s.next_delay(0.0, 0) == QUICK_LOOK  # a fast gateway or test server is noticed in seconds
    assert s.next_delay(QUICK_LOOK, 1) == pytest.approx(30.0 - QUICK_LOOK)
    assert s.next_delay(30.0, 2) == pytest.approx(30.0)  # to the window's start, no poll between
    assert s.next_delay(59.99, 2) == pytest.approx(0.05)  # never a zero sleep


def test_no_early_look_when_the_window_is_close():
    s = PollSchedule(Window(1.0, 3.0))
    assert s.next_delay(0.0, 0) == pytest.approx(1.0)


def test_dense_inside_the_window_and_denser_towards_its_end():
    s = PollSchedule(Window(60, 120), window_polls=7)
    steps = in_window_steps(s)
    assert steps[0] == pytest.approx(2 * 60 / (3 * 7))
    assert all(a >= b for a, b in zip(steps, steps[1:], strict=False))  # shrinking
    assert min(steps) >= s.min_step
    assert max(steps) < 10.0  # far denser than the early wait


def test_window_polls_is_the_mean_cost_inside_the_window():
    window = Window(100, 200)
    finishes = [100 + 100 * (i + 0.5) / 400 for i in range(400)]
    for target in (5, 10):
        polls = [drive(PollSchedule(window, window_polls=target), f)[1] for f in finishes]
        in_window = statistics.mean(polls) - 3  # the two early looks and the poll at the start
        assert in_window == pytest.approx(target, rel=0.15)


def test_backs_off_after_the_window_with_jitter_and_a_cap():
    random.seed(3)
    s = PollSchedule(Window(60, 120), cap=30.0)
    t, polls, delays = 120.0, 20, []
    for _ in range(20):
        d = s.next_delay(t, polls)
        delays.append(d)
        t, polls = t + d, polls + 1
    assert all(b > a for a, b in zip(delays[:4], delays[1:5], strict=True))  # x1.5 beats ±15 % jitter
    assert max(delays) <= 30.0 * 1.15
    assert delays[-1] >= 30.0 * 0.85
    assert len({round(d, 6) for d in delays[-5:]}) > 1  # jittered, so jobs don't poll in lockstep


def test_degenerate_window_does_not_divide_by_zero():
    s = PollSchedule(Window(5.0, 5.0))
    assert drive(s, 6.0)[0] >= 0


def test_meets_the_design_targets_on_evenly_spread_jobs():
    random.seed(1)
    finishes = [60 + 60 * (i + 0.5) / 300 for i in range(300)]
    random.Random(1).shuffle(finishes)
    observed: list[float] = []
    delays, polls = [], []
    for f in finishes:
        delay, n = drive(PollSchedule(Window.from_observations(observed[-200:], (60.0, 120.0))), f)
        observed.append(f + delay)
        delays.append(delay)
        polls.append(n)
    assert statistics.mean(polls) <= 10
    assert statistics.median(delays) <= 2.0


# -- the learned window -------------------------------------------------------------------

def test_prior_until_five_observations():
    assert Window.from_observations([], (60, 120)) == Window(60, 120)
    assert Window.from_observations([10, 11, 12, 13], (60, 120)) == Window(60, 120)
    assert Window.from_observations([10, 11, 12, 13, 14], (60, 120)) != Window(60, 120)


def test_percentiles_widened_by_the_pad():
    observed = [float(s) for s in range(60, 121)]  # p5 = 63, p95 = 117
    w = Window.from_observations(observed, (1, 2))
    assert w.high == pytest.approx(117 + PAD * 54)
    assert w.low == pytest.approx(63 - PAD * 63)  # at the start, at least PAD of the start
    assert Window.from_observations(list(reversed(observed)), (1, 2)) == w


def test_outliers_do_not_move_the_window():
    observed = [90.0] * 100 + [5.0, 900.0]
    w = Window.from_observations(observed, (60, 120))
    assert 80 < w.low < 90 <= w.high < 91


def test_identical_observations_still_give_a_window_that_starts_before_them():
    w = Window.from_observations([10.0] * 20, (60, 120))
    assert w.low == pytest.approx(10.0 * (1 - PAD))
    assert w.high == pytest.approx(10.0)
    assert Window.from_observations([0.2] * 20, (60, 120)).high == pytest.approx(0.19 + 0.5)


def test_never_negative():
    assert Window.from_observations([0.1, 0.2, 0.3, 5.0, 9.0], (60, 120)).low >= 0


@pytest.mark.parametrize("true_range", [(12.0, 24.0), (30.0, 50.0)])
def test_a_window_learned_too_late_comes_back(true_range):
    """Jobs finishing before the window are noticed at its start: learning must not stall there."""
    rng = random.Random(7)
    observed: list[float] = []
    for _ in range(150):
        window = Window.from_observations(observed[-200:], (60.0, 120.0))
        finish = rng.uniform(*true_range)
        observed.append(finish + drive(PollSchedule(window), finish)[0])
    window = Window.from_observations(observed[-200:], (60.0, 120.0))
    assert window.low < true_range[0] + 2
    assert window.high < true_range[1] + 5


def test_a_window_learned_too_early_moves_out():
    rng = random.Random(7)
    observed: list[float] = []
    for _ in range(60):
        window = Window.from_observations(observed[-200:], (60.0, 120.0))
        finish = rng.uniform(150, 250)
        observed.append(finish + drive(PollSchedule(window), finish)[0])
    window = Window.from_observations(observed[-200:], (60.0, 120.0))
    assert window.low > 140 and window.high > 240


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

"""When to poll: spend a budget of status requests where jobs actually finish.

Why this rule. A poll at time ``t`` is paid for by every job still running at ``t``
(probability ``S(t)``) and pays off for the jobs finishing just before it (density
``f(t)``). Minimising the mean detection delay ``∫ h(t)/2 · f(t) dt`` for a given mean
number of requests ``∫ S(t)/h(t) dt`` gives, pointwise, a step ``h(t) ∝ sqrt(S(t)/f(t))``
= ``1/sqrt(hazard)``: dense where finishes are dense *among the jobs still running*,
sparse before the mass and in a thin tail. Equivalently, polls sit at equal steps ``δ`` of
the clock ``N(t) = ∫ sqrt(hazard)``, and ``δ`` is chosen so the expected requests per job
equal the budget (:data:`BUDGET` once learned, :data:`COLD_BUDGET` on the catalog prior).
The rule depends only on the hazard at ``t``, so it is already conditional on survival:
a job still running at ``t`` is planned from ``f(·)/S(t)``, and a new estimate (another job
finished) is swapped in mid-flight with :meth:`PollSchedule.update`. When a gateway reports
queued → running, :meth:`PollSchedule.restart` re-plans from the running-time distribution
counted from the queue exit (queue time is the unpredictable part of a job's length), and
:meth:`PollSchedule.progress` from a gateway's "n % done" where one reports it.

Robustness. The distribution comes from ``gateway/timing.py`` (censored intervals, not
noticed times, so the schedule does not confirm itself) and always keeps a broad
component; past its 97th percentile the job is late and polls back off ×1.5 with jitter
up to :data:`CAP`, so a job far beyond anything learned is still found within ``CAP`` s at
a bounded cost. On the prior only (nothing learned yet), a quick look at :data:`QUICK_LOOK`
s (when the plan would wait longer) surfaces refusals and a gateway far faster than the
catalog says; it is counted in the budget. HAILUO_POLL_INTERVAL (``fixed``) replaces all
of this. ``benchmarks/polling.py`` measures it in real time.

Spending the budget. The plan spends its budget on average only if the estimate is right;
an estimate wider than the jobs (few, wide intervals) leaves requests unspent, a gateway
slowing down overspends. Each well-learned job's polls and :attr:`PollSchedule.planned` go to
``TimingModel.spend``, and the next jobs of the key plan with the budget × planned ÷ spent
over the recent jobs (``spend``, bounded), so what jobs really spend follows the budget.

What no schedule can do: at the optimum above, the mean delay relative to a fixed interval
spending the same requests is ``(∫ sqrt(S·f))² / ∫ S`` (Cauchy-Schwarz: ≤ 1, = 1 for
memoryless jobs) — 0.36 for a log-normal with σ 0.2, 0.51 at σ 0.3, 0.73 at σ 0.5. For the
*median* delay, ``benchmarks/polling_bounds.py`` computes the least any schedule can reach;
the schedules that reach it poll not at all before the busiest window (the early half of
the jobs waits long), which is why this one minimises the mean.
"""

from __future__ import annotations

import math
import random
import threading
from collections import OrderedDict

import numpy as np

from hailuo_nb.gateway.timing import EDGES, MIN_WEIGHT, Array, Distribution

#: expected status requests per job, once the journal knows the key / on the model's prior
BUDGET = 6.5
COLD_BUDGET = 11.0
#: seconds after submission of the quick first look (only when the plan's first poll is later)
QUICK_LOOK = 3.0
#: the job is late past this quantile: capped backoff from there
TAIL = 0.97
#: shortest and (late) longest sleep between polls
MIN_STEP = 0.2
CAP = 30.0


class Plan:
    """The sqrt-hazard clock of one distribution and the step that spends ``budget`` requests."""

    def __init__(self, dist: Distribution, budget: float, quick: bool = True) -> None:
        self.dist = dist
        self.budget = budget
        p = dist.masses
        widths = np.diff(EDGES)
        alive = np.maximum(1.0 - dist.cum[:-1] - p / 2, 1e-12)
        rate = np.sqrt(p / widths / alive) * widths
        #: N(t) on EDGES; strictly increasing so it can be inverted
        self.clock: Array = np.concatenate(([0.0], np.cumsum(rate))) + 1e-9 * np.arange(len(EDGES))
        self.tail_at = dist.quantile(TAIL)
        self.quick = quick and self._first(self._solve(budget)) > 2 * QUICK_LOOK
        self.step = self._solve(budget - 1.0) if self.quick else self._solve(budget)

    def next_time(self, t: float) -> float:
        """The next poll time after ``t`` (seconds on this plan's clock)."""
        n = float(np.interp(t, EDGES, self.clock)) + self.step
        return float(np.interp(n, self.clock, EDGES))

    def times(self, step: float, start: float = 0.0) -> Array:
        """Poll times from ``start`` up to the first one past the tail."""
        n0 = float(np.interp(start, EDGES, self.clock))
        end = float(np.interp(self.tail_at, EDGES, self.clock))
        k = min(int((end - n0) / step) + 2, 4000)
        planned = np.interp(n0 + step * np.arange(1, k + 1), self.clock, EDGES)
        # then the late backoff (without jitter), for the cost of the jobs that get there
        last = float(planned[-1] - planned[-2]) if k > 1 else float(planned[-1] - start)
        late = np.minimum(max(last, MIN_STEP, 1.0) * 1.5 ** np.arange(1, 41), CAP)
        out: Array = np.concatenate((planned, planned[-1] + np.cumsum(late)))
        return out

    def expected_requests(self, step: float, start: float = 0.0) -> float:
        """Mean polls per job: poll k happens if the job outlived poll k-1."""
        times = self.times(step, start)
        alive = 1.0 - self.dist.cdf(np.concatenate(([start], times[:-1])))
        return float(alive.sum())

    def _first(self, step: float) -> float:
        return float(self.times(step)[0])

    def _solve(self, budget: float) -> float:
        lo, hi = 1e-4, 1e3  # expected requests fall as the step grows
        for _ in range(48):
            mid = math.sqrt(lo * hi)
            if self.expected_requests(mid) > max(budget, 1.0):
                lo = mid
            else:
                hi = mid
        return hi


_plans: OrderedDict[tuple[int, float], tuple[Distribution, Plan]] = OrderedDict()
_plans_lock = threading.Lock()


def plan_for(dist: Distribution, budget: float) -> Plan:
    """The (cached) plan of ``dist``: jobs of one key share one solve."""
    key = (id(dist), budget)
    with _plans_lock:
        hit = _plans.get(key)
        if hit is not None and hit[0] is dist:
            _plans.move_to_end(key)
            return hit[1]
    plan = Plan(dist, budget, quick=dist.level == "prior")
    with _plans_lock:
        _plans[key] = (dist, plan)
        while len(_plans) > 64:
            _plans.popitem(last=False)
    return plan


class PollSchedule:
    """Delays between status requests for one job (see the module docstring)."""

    def __init__(self, dist: Distribution, *, fixed: float | None = None, budget: float | None = None,
                 spend: float = 1.0, min_step: float = MIN_STEP, cap: float = CAP) -> None:
        self.fixed = fixed
        self.budget = budget
        self.spend = spend  # the key's calibration (TimingModel.spend): budgets are planned × this
        self.min_step = min_step
        self.cap = cap
        self.origin = 0.0  # the clock starts at submission, or at the queue exit
        self.plan = plan_for(dist, self._budget(dist))
        #: the requests its first plan expects to spend, when it polls by that plan on the lean
        #: budget from what the journal learned (TimingModel.spend compares the real count; the
        #: misfit of a prior or of a thin estimate says nothing about the next well-learned plans)
        learned = fixed is None and budget is None and self._trusted(dist)
        self.planned = self.plan.budget if learned else None
        self._step = 1.0
        self._late = 0.0

    @staticmethod
    def _trusted(dist: Distribution) -> bool:
        """Whether ``dist`` is learned well enough for the lean budget (not a prior, not a few jobs)."""
        return dist.level != "prior" and dist.weight >= 2 * MIN_WEIGHT

    def _budget(self, dist: Distribution) -> float:
        if self.budget is not None:
            return self.budget
        target = BUDGET if self._trusted(dist) else COLD_BUDGET
        return round(target * self.spend * 4) / 4  # quarter steps: jobs of a key share cached plans

    def update(self, dist: Distribution) -> None:
        """A newer estimate: the rest of the job is planned from it."""
        if dist is not self.plan.dist:
            self.plan = plan_for(dist, self._budget(dist))

    def restart(self, at: float, dist: Distribution, polls: int) -> None:
        """The job left the queue ``at`` s after submission: plan its running time from there."""
        self.origin = at
        self.plan = plan_for(dist, max(self._budget(dist) - polls, 3.0))

    def progress(self, elapsed: float, fraction: float, polls: int) -> None:
        """A gateway said the job is ``fraction`` done at ``elapsed``: plan around its extrapolated end.

        The end is extrapolated linearly from the clock's origin; the spread narrows as the
        job nears it (a progress figure is rarely linear early on).
        """
        ran = elapsed - self.origin
        if not 0.02 <= fraction < 1.0 or ran <= 0:
            return
        dist = Distribution.lognormal(ran / fraction, 0.05 + 0.3 * (1.0 - fraction))
        dist = Distribution(dist.cum, weight=1.0, level="progress")
        self.plan = Plan(dist, max(self._budget(dist) - polls, 3.0), quick=False)

    def next_delay(self, elapsed: float, polls: int) -> float:
        """Seconds to wait before the next poll, ``elapsed`` seconds after submission."""
        if self.fixed is not None:
            return self.fixed
        t = elapsed - self.origin
        if polls == 0 and self.origin == 0.0 and self.plan.quick and t < QUICK_LOOK:
            return QUICK_LOOK - t
        if t < self.plan.tail_at:
            self._step = max(self.plan.next_time(t) - t, self.min_step)
            self._late = self._step
            return self._step
        # late: ×1.5 up to the cap, jittered so that late jobs do not poll in lockstep
        self._late = min(max(self._late * 1.5, self.min_step, 1.0), self.cap)
        return self._late * random.uniform(0.9, 1.1)


__all__ = ["BUDGET", "CAP", "COLD_BUDGET", "QUICK_LOOK", "Plan", "PollSchedule", "plan_for"]

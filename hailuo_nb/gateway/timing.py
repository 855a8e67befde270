"""How long jobs take, learned from what poll replies really said (censored intervals).

A poll never sees a job finish; it sees "not done yet" and then "done". So each finished
job gives an *interval*: its length lies between the last "not done" request and the
first "done" reply (and likewise for leaving the queue, where a gateway reports queued →
running). Storing the time completion was *noticed* instead biases everything towards the
schedule that noticed it; storing the interval does not.

The estimate is the nonparametric maximum-likelihood distribution of interval-censored
data (Turnbull's self-consistency EM) on a fixed log-spaced grid, then kernel-smoothed in
log time (a finite sample has no exact shape; the kernel shrinks as data grows). Jobs
still in flight in this process enter as right-censored ("longer than this so far"), so
a model learned mid-batch is not biased towards the batch's fastest jobs. Each job
weighs ``0.5 ** (newer jobs / HALF_LIFE)``: a gateway that slows down is followed within
a few dozen jobs. When a key has too little weight (``MIN_WEIGHT``), the estimate pools:
provider × model × resolution × duration → provider × model → provider → the catalog's
``typical_seconds`` as a log-normal prior. Every estimate keeps a few percent of a broad
log-normal (``BROAD``) so a job beyond everything seen so far still has a sane hazard.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from hailuo_nb.gateway.journal import Journal

Array = npt.NDArray[np.float64]

#: bin edges (seconds): 2 % apart in log time, from 0.1 s to 8 h
EDGES: Array = np.geomspace(0.1, 8 * 3600.0, 632)
#: jobs whose weight halves (newest first): how fast the estimate forgets
HALF_LIFE = 15.0
#: summed weight a level needs before it replaces the coarser one
MIN_WEIGHT = 6.0
#: the broad log-normal every estimate keeps: (weight, sigma)
BROAD = (0.03, 0.8)
#: observations read per pooling level
LIMIT = 200
#: an estimate is refitted at most this often (seconds), however many jobs finish
REFIT_SECONDS = 2.0
#: kernel width, times Silverman's spread·n^-1/5 (below his 0.9: the EM already blurs by the intervals)
BANDWIDTH = 0.6
#: how far the spend calibration may move a budget (factor bounds), and how many jobs it keeps per key
SPEND_BOUNDS = (0.6, 1.4)
SPEND_KEEP = 60


@dataclass(frozen=True)
class Distribution:
    """A job-length distribution on :data:`EDGES`: ``cum[j]`` = P(T <= EDGES[j])."""

    cum: Array
    #: summed weight of the observations behind it (0 for a prior)
    weight: float = 0.0
    #: where it came from: "key", "model", "provider" or "prior"
    level: str = "prior"

    @classmethod
    def from_masses(cls, masses: Array, weight: float = 0.0, level: str = "prior") -> Distribution:
        p = np.clip(masses, 0.0, None)
        cum = np.concatenate(([0.0], np.cumsum(p)))
        return cls(cum / cum[-1], weight, level)

    @classmethod
    def lognormal(cls, median: float, sigma: float) -> Distribution:
        z = (np.log(EDGES) - math.log(median)) / (sigma * math.sqrt(2.0))
        cdf = 0.5 * (1.0 + _erf(z))
        return cls.from_masses(np.diff(cdf))

    @classmethod
    def from_window(cls, low: float, high: float) -> Distribution:
        """The prior for a typical range: log-normal, ``low``-``high`` ≈ its 10th-90th percentile, widened."""
        low, high = max(low, 0.2), max(high, low * 1.05)
        sigma = max(math.log(high / low) / 2.56, 0.08) * 1.3
        median = math.sqrt(low * high)
        return cls.lognormal(median, sigma).mixed(cls.lognormal(median, BROAD[1]), BROAD[0])

    @property
    def masses(self) -> Array:
        return np.diff(self.cum)

    def cdf(self, t: float | Array) -> Any:
        return np.interp(t, EDGES, self.cum)

    def survival(self, t: float) -> float:
        return float(1.0 - np.interp(t, EDGES, self.cum))

    def quantile(self, q: float) -> float:
        i = int(np.searchsorted(self.cum, q, side="left"))
        i = min(max(i, 1), len(EDGES) - 1)
        lo, hi = self.cum[i - 1], self.cum[i]
        frac = 0.0 if hi <= lo else (q - lo) / (hi - lo)
        return float(EDGES[i - 1] + frac * (EDGES[i] - EDGES[i - 1]))

    def mixed(self, other: Distribution, weight: float) -> Distribution:
        """``(1 - weight)`` of this and ``weight`` of ``other``."""
        return Distribution((1 - weight) * self.cum + weight * other.cum, self.weight, self.level)


def _erf(z: Array) -> Array:
    return np.vectorize(math.erf, otypes=[float])(z)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Interval:
    """One job's length: above ``low`` (last "not done"), at most ``high`` (first "done"; inf: running)."""

    low: float
    high: float
    weight: float = 1.0


def _overlaps(intervals: Sequence[Interval]) -> Array:
    """Fraction of each grid bin inside each interval (rows: intervals)."""
    lo = np.array([max(i.low, 0.0) for i in intervals])[:, None]
    hi = np.array([i.high for i in intervals])[:, None]
    a, b = EDGES[None, :-1], EDGES[None, 1:]
    inside: Array = np.clip(np.minimum(b, hi) - np.maximum(a, lo), 0.0, None) / (b - a)
    # a zero-width or off-grid interval still points at its nearest bin
    empty = inside.sum(axis=1) <= 0
    if empty.any():
        mid = np.clip(np.searchsorted(EDGES, np.minimum(hi[empty, 0], EDGES[-1]), side="left") - 1, 0,
                      len(EDGES) - 2)
        inside[np.flatnonzero(empty), mid] = 1.0
    return inside


def fit(intervals: Sequence[Interval], level: str = "key", iterations: int = 80) -> Distribution:
    """Turnbull's EM on the grid, then a log-time kernel; plus :data:`BROAD`."""
    finished = [i for i in intervals if math.isfinite(i.high)]
    if not finished:
        raise ValueError("fit needs at least one finished job")
    a = _overlaps(intervals)
    w = np.array([i.weight for i in intervals])
    # start from each job spread over its interval; a running job's open interval by a broad
    # shape around the finished ones (EM keeps that shape where no finished job says otherwise)
    mids = sorted((i.low + i.high) / 2 for i in finished)
    shape = np.where(np.isfinite([i.high for i in intervals])[:, None], 1.0,
                     Distribution.lognormal(max(mids[len(mids) // 2], 0.2), 0.5).masses[None, :] + 1e-12)
    start = a * shape
    p = (w[:, None] * start / start.sum(axis=1, keepdims=True)).sum(axis=0)
    p /= p.sum()
    for _ in range(iterations):
        s = a @ p
        p = p * ((w / np.maximum(s, 1e-300)) @ a) / w.sum()
    p = _smooth(p, _bandwidth(finished))
    dist = Distribution.from_masses(p, float(sum(i.weight for i in finished)), level)
    return dist.mixed(Distribution.lognormal(max(dist.quantile(0.5), 0.2), BROAD[1]), BROAD[0])


def _bandwidth(finished: Sequence[Interval]) -> float:
    """Silverman's rule in log time (log-units), from the intervals' midpoints."""
    mids = np.log([max((i.low + i.high) / 2, 0.1) for i in finished])
    w = np.array([i.weight for i in finished])
    n = max(w.sum(), 1.0)
    mean = float((w * mids).sum() / w.sum())
    sd = math.sqrt(float((w * (mids - mean) ** 2).sum() / w.sum()))
    order = np.argsort(mids)
    cw = np.cumsum(w[order]) / w.sum()
    iqr = float(np.interp(0.75, cw, mids[order]) - np.interp(0.25, cw, mids[order]))
    spread = min(sd, iqr / 1.34) if iqr > 0 else sd
    return float(max(BANDWIDTH * spread * float(n) ** -0.2, 0.02))


def _smooth(p: Array, bandwidth: float) -> Array:
    step = math.log(EDGES[1] / EDGES[0])
    k = bandwidth / step
    half = int(math.ceil(3 * k))
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / k) ** 2)
    out: Array = np.convolve(p, kernel / kernel.sum(), mode="same")
    return out


# -- what the journal knows, per key, cached ------------------------------------------------


@dataclass(frozen=True)
class Key:
    """What a job's length depends on."""

    provider: str
    model: str
    resolution: str
    duration: int

    def levels(self) -> list[tuple[str, dict[str, Any]]]:
        """The pooling levels, most specific first."""
        return [
            ("key", {"provider": self.provider, "model": self.model, "resolution": self.resolution,
                     "duration": self.duration}),
            ("model", {"provider": self.provider, "model": self.model}),
            ("provider", {"provider": self.provider}),
        ]


@dataclass
class _State:
    version: int = 0
    live: dict[str, tuple[Key, float]] = field(default_factory=dict)  # in flight: id -> (key, start)
    live_run: dict[str, tuple[Key, float]] = field(default_factory=dict)  # … that left the queue: exit
    cache: dict[tuple[str, str], tuple[int, float, Distribution]] = field(default_factory=dict)
    spent: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # (polls, planned)


class TimingModel:
    """Per-key learned distributions over one journal; thread-safe, refitted when a job finishes."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._lock = threading.Lock()
        self._states: dict[str, _State] = {}  # per provider: pooling crosses keys of one provider

    def _state(self, provider: str) -> _State:
        with self._lock:
            return self._states.setdefault(provider, _State())

    def started(self, key: Key, job: str, at: float) -> None:
        """A job of ``key`` is in flight since ``at`` (it counts as right-censored until it ends)."""
        self._state(key.provider).live[job] = (key, at)

    def left_queue(self, key: Key, job: str, at: float) -> None:
        self._state(key.provider).live_run[job] = (key, at)

    def ended(self, key: Key, job: str) -> None:
        state = self._state(key.provider)
        state.live.pop(job, None)
        state.live_run.pop(job, None)

    def record(self, key: Key, job: str, low: float, high: float,
               queue: tuple[float, float] | None = None, polls: int | None = None,
               planned: float | None = None) -> None:
        """A job finished: its length is in (``low``, ``high``]; it left the queue within ``queue``.

        ``planned``: the requests its schedule expected to spend; ``polls`` over it calibrates
        later budgets of the key (:meth:`spend`).
        """
        self.journal.add_observation(job, provider=key.provider, model=key.model, resolution=key.resolution,
                                     duration=key.duration, low=low, high=high,
                                     queue_low=queue[0] if queue else None,
                                     queue_high=queue[1] if queue else None, polls=polls)
        state = self._state(key.provider)
        state.live.pop(job, None)
        state.live_run.pop(job, None)
        with self._lock:
            state.version += 1
            if polls and planned:
                spent = state.spent.setdefault(_key_id(key), [])
                spent.insert(0, (polls, planned))
                del spent[SPEND_KEEP:]

    def spend(self, key: Key) -> float:
        """What to multiply a budget by so that jobs of ``key`` really spend it.

        A schedule spends its budget only on average over the distribution it was planned
        from. Where that estimate is off (too wide: jobs end before the late polls; drifting:
        they end after), jobs spend less or more. Recent jobs' polls over planned say by how
        much; this is the correction (1.0 until enough jobs of this process have finished).
        """
        state = self._state(key.provider)
        with self._lock:
            spent = list(state.spent.get(_key_id(key), ()))
        return calibration(spent)

    def total(self, key: Key, prior: Distribution) -> Distribution:
        """Distribution of submission → done, from the most specific level with enough weight."""
        return self._get(key, "total", prior)

    def running(self, key: Key) -> Distribution | None:
        """Distribution of queue exit → done, if enough jobs reported leaving the queue."""
        dist = self._get(key, "run", None)
        return None if dist.level == "prior" else dist

    def _get(self, key: Key, kind: str, prior: Distribution | None) -> Distribution:
        state = self._state(key.provider)
        now, slot = time.monotonic(), (kind, _key_id(key))
        with self._lock:
            version = state.version
            cached = state.cache.get(slot)
        # refit when a job finished, but at most every REFIT_SECONDS (CPU with 100 in flight)
        if cached is not None and (cached[0] == version or now - cached[1] < REFIT_SECONDS):
            return cached[2]
        dist = self._fit(key, kind, state) or prior or Distribution.lognormal(60.0, 1.0)
        with self._lock:
            state.cache[slot] = (version, now, dist)
        return dist

    def _fit(self, key: Key, kind: str, state: _State) -> Distribution | None:
        now = time.time()
        for level, where in key.levels():
            rows = self.journal.observations(limit=LIMIT, **where)
            intervals = _intervals(rows, kind)
            if sum(i.weight for i in intervals) < MIN_WEIGHT:
                continue
            live = state.live_run if kind == "run" else state.live
            intervals += [Interval(now - at, math.inf) for other, at in list(live.values())
                          if now - at > 0 and _matches(other, where)]
            return fit(intervals, level)
        return None


def calibration(spent: Sequence[tuple[int, float]]) -> float:
    """The budget factor after jobs spent ``(polls, planned)`` (newest first): planned over spent, bounded.

    Sums, not a mean of ratios: one job's polls swing with its length (a short job 1, a long
    one 14), and the factor should answer "what did the recent jobs spend in all".
    """
    weights = [0.5 ** (k / HALF_LIFE) for k in range(len(spent))]
    if sum(weights) < MIN_WEIGHT:
        return 1.0
    polls = sum(w * p for w, (p, _) in zip(weights, spent, strict=True))
    planned = sum(w * b for w, (_, b) in zip(weights, spent, strict=True))
    low, high = SPEND_BOUNDS
    return float(min(max(planned / max(polls, 1e-6), low), high))


def _matches(key: Key, where: dict[str, Any]) -> bool:
    """Whether a job of ``key`` belongs to a pooling level's rows (``where``)."""
    return all(getattr(key, name) == value for name, value in where.items())


def _key_id(key: Key) -> str:
    return f"{key.model}|{key.resolution}|{key.duration}"


def _intervals(rows: Sequence[dict[str, Any]], kind: str) -> list[Interval]:
    """Weighted intervals, newest first; ``kind`` "run" measures from the queue exit's midpoint."""
    out: list[Interval] = []
    for row in rows:
        low, high = row["low"], row["high"]
        if kind == "run":
            if row["queue_low"] is None or row["queue_high"] is None:
                continue
            exit_at = (row["queue_low"] + row["queue_high"]) / 2
            low, high = max(low - exit_at, 0.0), max(high - exit_at, 0.05)
        out.append(Interval(low, high, 0.5 ** (len(out) / HALF_LIFE)))
    return out


def learned_window(journal: Journal, provider: str, model: str) -> tuple[float, float] | None:
    """10th-90th percentile of an estimate already fitted for ``model`` (no fitting: cheap, any thread)."""
    timing = _models.get(id(journal))
    if timing is None or timing.journal is not journal:
        return None
    with timing._lock:
        state = timing._states.get(provider)
        fitted = [d for (kind, key), (_, _, d) in state.cache.items()
                  if kind == "total" and key.startswith(model + "|") and d.level != "prior"] if state else []
    if not fitted:
        return None
    return (fitted[-1].quantile(0.1), fitted[-1].quantile(0.9))


_models: dict[int, TimingModel] = {}
_models_lock = threading.Lock()


def model_for(journal: Journal) -> TimingModel:
    """The process-wide timing model of ``journal``."""
    with _models_lock:
        model = _models.get(id(journal))
        if model is None or model.journal is not journal:
            model = _models[id(journal)] = TimingModel(journal)
        return model


__all__ = ["BROAD", "EDGES", "HALF_LIFE", "MIN_WEIGHT", "Distribution", "Interval", "Key", "TimingModel",
           "calibration", "fit", "learned_window", "model_for"]

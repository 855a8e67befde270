"""When to poll: sparse early, dense around the expected finish, backing off after.

The expected window comes from the journal's observed durations for this provider and
model (5th-95th percentile), or the model's typical range until there are enough. A
fixed HAILUO_POLL_INTERVAL replaces the whole schedule (tests, fast local servers).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """Where a job's finish is expected, in seconds after submission."""

    low: float
    high: float

    @classmethod
    def from_observations(cls, observed: Sequence[float], prior: tuple[float, float]) -> Window:
        """Percentiles of ``observed`` once there are 5 or more, else ``prior``."""
        if len(observed) < 5:
            return cls(*prior)
        values = sorted(observed)
        low = values[int(0.05 * (len(values) - 1))]
        high = values[int(round(0.95 * (len(values) - 1)))]
        return cls(low, max(high, low + 0.5))


class PollSchedule:
    """Delays between status requests for one job.

    Before the window: one early look (catches quick failures and shows queued →
    running), then wait for the window. Inside it: a constant step sized so the whole
    window costs about ``window_polls`` requests. After it: multiplicative backoff with
    jitter, capped — the job is late, and a late job is usually a slow queue.
    """

    def __init__(self, window: Window, *, fixed: float | None = None, window_polls: int = 16,
                 max_step: float = 4.0, min_step: float = 0.25, cap: float = 30.0) -> None:
        self.window = window
        self.fixed = fixed
        span = max(window.high - window.low, 0.0)
        self.step = min(max(span / window_polls, min_step), max_step)
        self.cap = cap
        self._late_step = self.step

    def next_delay(self, elapsed: float, polls: int) -> float:
        """Seconds to wait before the next poll, ``elapsed`` seconds after submission."""
        if self.fixed is not None:
            return self.fixed
        low, high = self.window.low, self.window.high
        if elapsed < low:
            early = min(max(low * 0.25, 1.0), 10.0)
            if polls == 0 and elapsed + early < low - self.step:
                return early
            return max(low - elapsed, min(self.step, 0.05))
        if elapsed < high:
            return self.step
        self._late_step = min(self._late_step * 1.5, self.cap)
        return self._late_step * random.uniform(0.85, 1.15)

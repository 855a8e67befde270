"""When to poll: sparse early, denser and denser through the expected window, backing off after.

The expected window comes from the journal's observed durations for this provider and
model (5th-95th percentile, widened a little), or the model's typical range until there
are enough. A fixed HAILUO_POLL_INTERVAL replaces the whole schedule (tests, fast local
servers). ``benchmarks/polling.py`` measures it against fixed intervals.

Why this shape. A poll at time ``t`` is paid for by every job still running at ``t``
and pays off only for the jobs finishing around ``t``. For finish times spread evenly
over the window, the spacing that minimises the mean detection delay for a given mean
number of requests is proportional to the square root of the time left in the window
(the classic square-root inspection rule: step ∝ sqrt(survivors / finish density)).
So the schedule polls once early, waits for the window, then starts with a step of
``2·span / (3·window_polls)`` that shrinks as ``sqrt(time left)``: a job costs about
``window_polls`` requests inside the window on average, whatever the window's length.
For Hailuo's 60-120 s this gives ~9 requests per job and a median detection delay under
2 s; a fixed interval needs ~11 s for the same requests, i.e. ~5.5 s median delay.

Learning the window: an observed duration is when completion was *noticed*, and a job
that finished before the window is noticed only at its start. Plain percentiles would
never let the window move earlier (a window learned too late confirms itself: every
early job is "observed" at its start). Two things undo that. The learned window is
widened by ``PAD`` (of its span, and at the start at least ``PAD`` of its start), so
finishes just before it are observed at their true time and the next window follows
them; and the one early look is halfway to the window, so a window that is far too late
(a faster provider than the model's typical figures) is halved at each learning step
instead of being stuck.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

#: fraction of the learned span added on each side of the window (see the module docstring)
PAD = 0.05
#: observations needed before the journal's figures replace the model's typical range
MIN_OBSERVATIONS = 5


def _quantile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile of sorted ``values``."""
    x = q * (len(values) - 1)
    i = int(x)
    if i + 1 >= len(values):
        return values[-1]
    return values[i] + (values[i + 1] - values[i]) * (x - i)


@dataclass(frozen=True)
class Window:
    """Where a job's finish is expected, in seconds after submission."""

    low: float
    high: float

    @classmethod
    def from_observations(cls, observed: Sequence[float], prior: tuple[float, float]) -> Window:
        """The 5th-95th percentile of ``observed`` widened by ``PAD``, or ``prior`` if too few.

        Examples:
            >>> Window.from_observations([10.0] * 3, prior=(60.0, 120.0))
            Window(low=60.0, high=120.0)
            >>> Window.from_observations([float(s) for s in range(60, 121)], (1.0, 2.0))
            Window(low=59.85, high=119.7)
        """
        if len(observed) < MIN_OBSERVATIONS:
            return cls(*prior)
        values = sorted(observed)
        low, high = _quantile(values, 0.05), _quantile(values, 0.95)
        pad = PAD * (high - low)
        low, high = max(low - max(pad, PAD * low), 0.0), high + pad
        return cls(low, max(high, low + 0.5))


#: seconds after submission of the first status request (before the expected window)
QUICK_LOOK = 3.0


class PollSchedule:
    """Delays between status requests for one job.

    Before the window: a quick look after QUICK_LOOK seconds (a fast gateway or test
    server is noticed at once), one halfway to the window (shows queued → running, and
    notices when the window is far too late), then wait for the window.
    Inside it: a step that starts at ``2·span / (3·window_polls)`` and shrinks as the
    square root of the time left, never below ``min_step``. After it: multiplicative
    backoff with jitter, capped — the job is late, and a late job is usually a slow queue.
    """

    def __init__(self, window: Window, *, fixed: float | None = None, window_polls: float = 6.5,
                 min_step: float = 0.25, cap: float = 30.0) -> None:
        self.window = window
        self.fixed = fixed
        self.span = max(window.high - window.low, 0.0)
        self.min_step = min_step
        #: the step at the window's start; it shrinks from here as the window runs out
        self.step = max(2.0 * self.span / (3.0 * window_polls), min_step)
        self.cap = cap
        self._late_step = self.step / 2

    def next_delay(self, elapsed: float, polls: int) -> float:
        """Seconds to wait before the next poll, ``elapsed`` seconds after submission."""
        if self.fixed is not None:
            return self.fixed
        low, high = self.window.low, self.window.high
        if elapsed < low:
            # a quick first look: a fast gateway (or a test server) is noticed in seconds,
            # and a refusal right after acceptance surfaces at once
            if polls == 0 and low - self.step > QUICK_LOOK:
                return QUICK_LOOK
            halfway = max(low / 2, 1.0)
            if polls <= 1 and elapsed < halfway and halfway < low - self.step:
                return halfway - elapsed
            return max(low - elapsed, 0.05)
        if elapsed < high:
            left = (high - elapsed) / self.span if self.span > 0 else 0.0
            return max(self.step * math.sqrt(left), self.min_step)
        self._late_step = min(self._late_step * 1.5, self.cap)
        return self._late_step * random.uniform(0.85, 1.15)

"""Backoff with jitter, honouring Retry-After, and a per-provider request budget."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import random
import time
from dataclasses import dataclass

from hailuo_nb.errors import GatewayError, HailuoError, RateLimitError


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently one kind of call is retried."""

    attempts: int = 6
    base: float = 0.5
    cap: float = 30.0
    #: submissions retry only when a retry cannot create a second paid task
    submit: bool = False

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds before retry number ``attempt`` (0-based): Retry-After wins, else jittered backoff."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, 300.0) + random.uniform(0, 0.1)
        return float(min(self.cap, self.base * 2**attempt) * random.uniform(0.5, 1.0))

    def retryable(self, exc: BaseException, *, sent: bool) -> bool:
        """Whether ``exc`` may be retried.

        A sent submission is never retried unless the gateway said it accepted nothing
        (429 / in-band rate limit).
        """
        if isinstance(exc, RateLimitError):
            return True
        if self.submit:
            return not sent
        if isinstance(exc, GatewayError):
            status = exc.status_code
            # no status: network; < 400: a malformed reply; 5xx, 408, 425: the server's trouble
            return status is None or status < 400 or status >= 500 or status in (408, 425)
        return not isinstance(exc, HailuoError)


SUBMIT = RetryPolicy(attempts=5, submit=True)
POLL = RetryPolicy(attempts=8)
DOWNLOAD = RetryPolicy(attempts=6)


class RequestBudget:
    """One shared pace per provider across every job in flight, learned from 429s.

    Requests leave one at a time, in arrival order, at most ``rate`` per second. A 429
    (``pause``) stops every job of the provider until its Retry-After has passed, instead
    of each job hammering on its own, and cuts the pace to ``DECREASE`` of what it was;
    the pace then grows back by ``GROWTH`` per second of use, up to ``rps`` (AIMD-style:
    a gentle probe for the gateway's limit). Against a gateway allowing R requests/s the
    pace settles around R, so queued jobs are neither refused nor held back; the
    probe's overshoot only spends the gateway's burst allowance before the next 429.
    """

    #: the pace after a 429, as a fraction of the pace that drew it
    DECREASE = 0.7
    #: how fast the pace recovers: this fraction per second
    GROWTH = 0.05

    def __init__(self, rps: float) -> None:
        self.max_rate = rps if rps > 0 else math.inf
        self.rate = self.max_rate
        self._next = 0.0
        self._last = time.monotonic()
        self._paused_until = 0.0
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._busy = False

    @property
    def interval(self) -> float:
        """Seconds between two requests at the current pace."""
        return 1.0 / self.rate if self.rate > 0 else 0.0

    async def acquire(self, *, urgent: bool = False) -> None:
        """Wait for this request's turn (engine loop only).

        One waiter at a time, first come first served, except that ``urgent`` requests
        (submissions: the user waits for a task id, and a stored id is money-safe) go
        ahead of status polls, which lose nothing by waiting a moment.
        """
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (0 if urgent else 1, next(self._order), turn))
        self._hand_over()
        try:
            await turn
        except asyncio.CancelledError:
            if not turn.cancelled():  # cancelled just after being handed the turn: pass it on
                self._busy = False
                self._hand_over()
            raise
        try:
            while True:
                now = time.monotonic()
                slot = max(self._next, self._paused_until)
                if slot <= now:
                    break
                await asyncio.sleep(slot - now)  # woken, re-check: a pause may have come meanwhile
            self._grow(now)
            # keep the cadence (a late wake-up must not push every later request back),
            # but after an idle spell start afresh rather than send a catch-up burst
            self._next = (slot if now - slot < self.interval else now) + self.interval
        finally:
            self._busy = False
            self._hand_over()

    def _hand_over(self) -> None:
        """Give the turn to the most urgent, then oldest, live waiter."""
        while not self._busy and self._waiters:
            _, _, turn = heapq.heappop(self._waiters)
            if not turn.done():  # a cancelled waiter gives up its place
                self._busy = True
                turn.set_result(None)

    def _grow(self, now: float) -> None:
        if self.rate < self.max_rate:
            elapsed = max(now - max(self._last, self._paused_until), 0.0)
            self.rate = min(self.max_rate, self.rate * (1.0 + self.GROWTH * elapsed))
        self._last = now

    def pause(self, seconds: float) -> None:
        """The gateway said "too many requests": hold everyone ``seconds`` and slow down."""
        now = time.monotonic()
        if now >= self._paused_until:  # one cut per episode, not one per refused request
            sent = 1.0 / max(now - self._last, 1e-3) if self.rate == math.inf else self.rate
            self.rate = max(min(sent, self.max_rate) * self.DECREASE, 0.01)
        self._paused_until = max(self._paused_until, now + seconds)

"""Backoff with jitter, honouring Retry-After, and a per-provider request budget."""

from __future__ import annotations

import asyncio
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
        """Whether ``exc`` may be retried. A sent submission is never retried unless
        the gateway said it accepted nothing (429 / in-band rate limit).
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
    """One shared pace per provider across every job in flight.

    Requests are spaced at ``1 / rps``; a 429 pauses every job of the provider until
    its Retry-After has passed, instead of each job hammering on its own.
    """

    def __init__(self, rps: float) -> None:
        self.interval = 1.0 / rps if rps > 0 else 0.0
        self._next = 0.0
        self._paused_until = 0.0

    async def acquire(self) -> None:
        now = time.monotonic()
        slot = max(now, self._next, self._paused_until)
        self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

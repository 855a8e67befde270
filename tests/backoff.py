"""Shorter retry backoff for tests: same retries, same outcome, less waiting."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

#: the tests' backoff, as a fraction of the library's (where no Retry-After sets the wait)
BACKOFF_SCALE = 0.1


@contextlib.contextmanager
def quick_backoff(scale: float = BACKOFF_SCALE) -> Iterator[None]:
    """Shorten the jittered retry backoff; a Retry-After is still waited out exactly as sent.

    For tests whose faults are counted (the next N requests fail, a port stays closed), not
    timed: a shorter backoff reaches the same outcome with the same retries, and a 429's
    Retry-After is still honoured in full.
    """
    from hailuo_nb.gateway.retry import RetryPolicy

    original = RetryPolicy.delay

    def delay(self: RetryPolicy, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None and retry_after >= 0:
            return original(self, attempt, retry_after)
        return original(self, attempt) * scale

    RetryPolicy.delay = delay  # type: ignore[method-assign]
    try:
        yield
    finally:
        RetryPolicy.delay = original  # type: ignore[method-assign]

"""One retry policy for every connector: growing delays with a cap and jitter.

What may be retried is decided by the hub's error tree: a ``PermanentError`` never is; a
``TransientError`` is, until the attempts are used up; anything else (a bug, an unexpected
library error) counts as a failed attempt too, so a poison item ends as a dead letter after its
attempts instead of looping. ``delay`` serves callers that keep their own attempt count (the ISAM
spool schedules the next attempt in its table); ``call`` retries in process.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from hub.errors import PermanentError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries; before try n+1 wait ``backoff_s * 2**(n-1)``, capped, +-jitter."""

    attempts: int = 5
    backoff_s: float = 0.5
    max_backoff_s: float = 60.0
    jitter: float = 0.2  # fraction of the delay, drawn uniformly from [-jitter, +jitter]

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        base = min(self.backoff_s * 2 ** max(0, min(attempt - 1, 62)), self.max_backoff_s)
        return max(0.0, base * (1 + self.jitter * (2 * rand() - 1)))

    def exhausted(self, attempt: int) -> bool:
        """True when attempt number ``attempt`` was the last one allowed."""
        return attempt >= self.attempts

    async def call(self, action: Callable[[], Awaitable[T]], *, stop: asyncio.Event,
                   on_failure: Callable[[BaseException, int], None] | None = None
                   ) -> Attempted[T]:
        """Run ``action`` until it succeeds, fails permanently, runs out or ``stop`` is set."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return Attempted(attempts=attempt, value=await action())
            except Exception as exc:
                if on_failure is not None:
                    on_failure(exc, attempt)
                if isinstance(exc, PermanentError) or self.exhausted(attempt):
                    return Attempted(attempts=attempt, error=exc)
            if await wait(stop, self.delay(attempt)):
                return Attempted(attempts=attempt, stopped=True)


class RetrySettings(Protocol):
    """The retry settings of a connector (``HUB_<PARTNER>_RETRY_*``)."""

    @property
    def retry_attempts(self) -> int:
        """How many tries."""

    @property
    def retry_backoff_s(self) -> float:
        """The first delay."""

    @property
    def retry_max_backoff_s(self) -> float:
        """The cap of the delay."""


def policy_for(settings: RetrySettings) -> RetryPolicy:
    """The ``RetryPolicy`` of a connector's settings."""
    return RetryPolicy(settings.retry_attempts, settings.retry_backoff_s,
                       settings.retry_max_backoff_s)


@dataclass(frozen=True)
class Attempted(Generic[T]):
    """How ``RetryPolicy.call`` ended: a value, the last error, or stopped while waiting."""

    attempts: int
    value: T | None = None
    error: BaseException | None = None
    stopped: bool = False


async def wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to ``seconds``; True when ``stop`` was set meanwhile."""
    if seconds > 0 and not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()

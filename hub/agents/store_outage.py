"""A store outage is not a bad message: pause, say why, retry with growing delays, resume.

A full disk, a read-only file or a lock held too long (``StoreBusy``, which names its cause)
stops the recording agents where they are: the batch is neither committed nor dead-lettered,
its offsets are not committed, and it is tried again after 0.2, 0.4, ... seconds up to
``max_delay_s`` for as long as it takes. A short lock is ordinary contention and is retried
quietly ``quiet_attempts`` times; anything longer, and every full disk or read-only file at
once, logs an ERROR naming the cause (``store disk full: /var/hub/hub.db``) and marks the
worker unhealthy in ``STORE_HEALTH``, which the worker publishes as its status (console, and
``hub_connector_up{connector="hub-worker"}`` in the metrics). The first success marks it
healthy again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from hub.errors import StoreBusy, StoreStopping, TransientError

log = logging.getLogger(__name__)
T = TypeVar("T")
LOUD_AT_ONCE = ("disk full", "read-only", "cannot be opened", "I/O error")


@dataclass(frozen=True)
class HealthState:
    """The store as the recording agents last found it."""

    healthy: bool
    cause: str | None = None
    detail: str | None = None
    since: datetime | None = None
    retries: int = 0
    last_success: datetime | None = None


class StoreHealth:
    """Process-wide store health, written by the agents' threads, read by the status timer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = HealthState(healthy=True)

    @property
    def state(self) -> HealthState:
        """The current state (an immutable snapshot)."""
        return self._state

    def down(self, exc: StoreBusy | TransientError) -> None:
        """Record an outage (its first moment is kept while it lasts)."""
        summary = exc.summary if isinstance(exc, StoreBusy) else f"store unavailable: {exc}"
        with self._lock:
            old = self._state
            self._state = HealthState(
                healthy=False, cause=getattr(exc, "cause", "unavailable"), detail=summary,
                since=old.since if not old.healthy else datetime.now(UTC),
                retries=old.retries + 1, last_success=old.last_success)

    def up(self) -> HealthState:
        """Record a success; the state before it (to log the end of an outage)."""
        with self._lock:
            old = self._state
            self._state = HealthState(healthy=True, last_success=datetime.now(UTC))
        return old


STORE_HEALTH = StoreHealth()


class OutagePolicy:
    """Runs a store action until it succeeds, pausing through outages (see module doc)."""

    def __init__(self, *, quiet_attempts: int = 5, backoff_s: float = 0.2,
                 max_delay_s: float = 30.0, health: StoreHealth = STORE_HEALTH,
                 stopping: threading.Event | None = None,
                 sleep: Callable[[float], None] | None = None) -> None:
        self.quiet_attempts = quiet_attempts
        self.backoff_s = backoff_s
        self.max_delay_s = max_delay_s
        self.health = health
        self.stopping = stopping or threading.Event()
        self._sleep = sleep

    def run(self, who: str, action: Callable[[], T]) -> T:
        """``action()``, retried through ``TransientError`` until it succeeds or we stop."""
        attempt = 0
        while True:
            try:
                result = action()
            except TransientError as exc:
                attempt += 1
                self._pause(who, attempt, exc)
                continue
            if not self.health.state.healthy and attempt:
                old = self.health.up()
                log.warning("store_resumed consumer=%s after_retries=%d cause=%s", who,
                            old.retries, old.cause)
            elif attempt == 0 and not self.health.state.healthy:
                self.health.up()
            return result

    def _pause(self, who: str, attempt: int, exc: TransientError) -> None:
        delay = min(self.max_delay_s, self.backoff_s * 2 ** min(attempt - 1, 16))
        cause = getattr(exc, "cause", "unavailable")
        summary = exc.summary if isinstance(exc, StoreBusy) else f"store unavailable: {exc}"
        if attempt > self.quiet_attempts or cause in LOUD_AT_ONCE:
            self.health.down(exc)
            log.error("store_outage consumer=%s attempt=%d retry_in_s=%.1f: %s (paused: "
                      "nothing committed, nothing dead-lettered)", who, attempt, delay, summary)
        else:
            log.warning("store_retry consumer=%s attempt=%d cause=%s", who, attempt, cause)
        if self._sleep is not None:
            self._sleep(delay)
        elif self.stopping.wait(delay):
            raise StoreStopping(f"stopping while paused: {summary}", cause=cause,
                                where=getattr(exc, "where", "")) from exc
        if self.stopping.is_set():
            raise StoreStopping(f"stopping while paused: {summary}", cause=cause) from exc


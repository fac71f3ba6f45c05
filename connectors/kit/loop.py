"""The poll loop every pulling connector runs: an action every interval, backoff after failures.

An error from the hub's tree is an exchange that failed: it is recorded in the part's health
and the next round waits ``RetryPolicy.delay`` of the consecutive failures (at least the
interval), so a partner that answers garbage or pages without advancing is asked less and less
often, never in a tight loop. Any other exception escapes to the supervisor, which logs it with
its traceback and restarts the connector.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from connectors.kit.health import HealthPart
from connectors.kit.retry import RetryPolicy
from hub.errors import HubError, PermanentError
from hub.privacy import redact

log = logging.getLogger(__name__)


async def poll(stop: asyncio.Event, action: Callable[[], Awaitable[int]], *, part: HealthPart,
               interval_s: float, policy: RetryPolicy, wake: asyncio.Event | None = None
               ) -> None:
    """Run ``action`` until ``stop``; ``wake`` starts the next round early (not after errors)."""
    failures = 0
    while not stop.is_set():
        try:
            count = await action()
        except HubError as exc:
            failures += 1
            part.failed(exc)
            delay = max(interval_s, policy.delay(failures))
            log.warning("connector_exchange_failed connector=%s part=%s error_type=%s "
                        "permanent=%s failures=%d retry_in_s=%.1f error=%s",
                        part.health.connector, part.name, type(exc).__name__,
                        isinstance(exc, PermanentError), failures, delay,
                        redact(str(exc))[:160])
        else:
            failures = 0
            part.succeeded(count)
            delay = interval_s
        await pause(stop, delay, None if failures else wake)


async def pause(stop: asyncio.Event, seconds: float, wake: asyncio.Event | None = None) -> None:
    """Wait ``seconds``, or until ``stop`` (or ``wake``) is set; clears ``wake``."""
    events = [stop] if wake is None else [stop, wake]
    waits = [asyncio.create_task(e.wait()) for e in events]
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED),
                                   seconds)
    finally:
        for w in waits:
            w.cancel()
        if wake is not None:
            wake.clear()

"""The deadline sweep: signals that depend on today's date (R18 overdue intake, PIP, LBT and
gesprek; R2 termijn at risk or expired), checked over every case view once at worker start and
then every day at ``HUB_SIGNAL_SWEEP_TIME`` (in ``HUB_REPORT_TIMEZONE``).

Views are pure functions of facts, so they cannot know what day it is; this task passes today
in and lets the outbox drop signals it already sent (stable ids). The start-up sweep waits until
the projector has caught up with the facts the store already held (at most
``STARTUP_WAIT_S``), so a restarted worker does not sweep stale views.
"""

from __future__ import annotations

import asyncio
import logging
import time as clock
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time
from functools import partial
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import faust

from hub.errors import ConfigurationError, TransientError, UnparsableSetting
from hub.reconcile.emit import due_messages
from hub.report.schedule import next_run, parse_time, seconds_until
from hub.runtime import Runtime
from hub.settings import Settings

log = logging.getLogger(__name__)
STARTUP_WAIT_S = 600.0
POLL_S = 1.0


def register_deadline_sweep(app: faust.App, runtime: Runtime) -> None:
    """Register the task that sends due deadline signals at start and once a day."""
    at, zone = sweep_schedule(runtime.settings)

    async def sweep_deadlines() -> None:
        await sweep_forever(runtime, at, zone)

    app.task(sweep_deadlines)


async def sweep_forever(runtime: Runtime, at: time, zone: ZoneInfo, *,
                        clock: Callable[[ZoneInfo], datetime] = datetime.now,
                        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
    """Once the projector caught up after start, then every day at ``at`` in ``zone``."""
    await caught_up(runtime)
    await sweep_logged(runtime, clock(zone).date())
    while True:
        now = clock(zone)
        run = next_run(now, at)
        await sleep(seconds_until(now, run))
        await sweep_logged(runtime, run.date())


def sweep_schedule(settings: Settings) -> tuple[time, ZoneInfo]:
    """``HUB_SIGNAL_SWEEP_TIME`` and the hub's time zone; ``ConfigurationError`` naming the
    variable that is wrong."""
    try:
        at = parse_time(settings.signal_sweep_time)
    except UnparsableSetting as exc:
        raise ConfigurationError(f"HUB_SIGNAL_SWEEP_TIME: {exc}") from None
    try:
        return at, ZoneInfo(settings.report_timezone)
    except (ValueError, ZoneInfoNotFoundError):
        raise ConfigurationError(
            f"HUB_REPORT_TIMEZONE: unknown time zone {settings.report_timezone!r}") from None


async def caught_up(runtime: Runtime, limit_s: float = STARTUP_WAIT_S) -> bool:
    """Wait until no case has facts its view does not reflect (or ``limit_s`` passed)."""
    loop, deadline = asyncio.get_running_loop(), clock.monotonic() + limit_s
    while clock.monotonic() < deadline:
        try:
            waiting = await loop.run_in_executor(runtime.store_executor,
                                                 runtime.store.pending_projections)
        except TransientError:
            waiting = 1
        if not waiting:
            return True
        await asyncio.sleep(POLL_S)
    log.warning("deadline_sweep_start_without_catch_up waited_s=%.0f", limit_s)
    return False


async def sweep_logged(runtime: Runtime, today: date) -> int:
    """``sweep``, logging what it sent; a failure is logged, never fatal (the next one retries)."""
    try:
        sent = await sweep(runtime, today)
    except asyncio.CancelledError:
        raise
    except TransientError as exc:
        log.warning("deadline_sweep_store_busy error=%s", type(exc).__name__)
        return 0
    except Exception:  # a bug here must not stop the worker; the next sweep retries
        log.exception("deadline_sweep_failed")
        return 0
    log.info("deadline_signals day=%s sent=%d", today, sent)
    return sent


async def sweep(runtime: Runtime, today: date) -> int:
    """Queue every deadline signal due on ``today`` not sent before; how many were new."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(runtime.store_executor, sweep_now, runtime, today)


def sweep_now(runtime: Runtime, today: date) -> int:
    """The sweep, synchronously (``hub up --demo`` runs it once the replay is done); each
    signal is stamped with the moment it is produced."""
    emit = partial(due_messages, runtime.emitter, today=today,
                   produced_at=datetime.now(UTC))
    return runtime.store.sweep(lambda ref, view: emit(case_ref=ref, view=view))

"""The nightly report on schedule: at ``HUB_REPORT_TIME`` (in ``HUB_REPORT_TIMEZONE``) the
worker writes the controllers' report for that day into ``HUB_REPORT_DIR`` (default
``var/reports``). A worker started after that time writes the day's report at once when it is
not there yet. After the year closes, from ``HUB_REPORT_YEAR_FROM`` (``MM-DD``, default 15
January: December's invoices are in) until the SiSa deadline of 15 July the same run also
writes the yearly account of the previous year (``verantwoording-<Y>``, R16) each day, so late
invoices are in it; after the deadline it is left as it is (written once if missing). The reports
read the store on their own connection, in a thread of their own, so the agents' store thread
is never held up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date, datetime, time
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import faust

from hub.errors import ConfigurationError, TransientError, UnparsableSetting
from hub.report.collect import Options
from hub.report.edges import EdgeFolders
from hub.report.jaar import run_jaar, stem
from hub.report.nightly import parse_silence, prefix, run_nightly
from hub.report.schedule import (
    catch_up,
    next_run,
    parse_month_day,
    parse_time,
    seconds_until,
    year_due,
)
from hub.runtime import Runtime
from hub.settings import Settings

log = logging.getLogger(__name__)
RETRY_S = 600.0
ATTEMPTS = 6


def register_nightly_report(app: faust.App, runtime: Runtime) -> None:
    """Register the task that writes the nightly report each day at ``HUB_REPORT_TIME``."""
    at, zone, silence = schedule_settings(runtime.settings)
    first = year_settings(runtime.settings)
    folder = report_dir(runtime)

    async def nightly_report() -> None:
        now = datetime.now(zone)
        if catch_up(now, at, _written(folder, now.date())):
            await write_with_retries(runtime, now.date(), folder, silence)
            await write_year_if_due(runtime, now.date(), folder, first)
        while True:
            now = datetime.now(zone)
            run = next_run(now, at)
            await asyncio.sleep(seconds_until(now, run))
            await write_with_retries(runtime, run.date(), folder, silence)
            await write_year_if_due(runtime, run.date(), folder, first)

    app.task(nightly_report)


def schedule_settings(settings: Settings) -> tuple[time, ZoneInfo, dict[str, int]]:
    """The report time, time zone and silence thresholds; ``ConfigurationError`` naming the
    variable that is wrong."""
    try:
        at = parse_time(settings.report_time)
    except UnparsableSetting as exc:
        raise ConfigurationError(f"HUB_REPORT_TIME: {exc}") from None
    try:
        zone = ZoneInfo(settings.report_timezone)
    except (ValueError, ZoneInfoNotFoundError):
        raise ConfigurationError(
            f"HUB_REPORT_TIMEZONE: unknown time zone {settings.report_timezone!r}") from None
    try:
        silence = parse_silence(settings.report_silence_days)
    except UnparsableSetting as exc:
        raise ConfigurationError(f"HUB_REPORT_SILENCE_DAYS: {exc}") from None
    return at, zone, silence


def year_settings(settings: Settings) -> tuple[int, int]:
    """``HUB_REPORT_YEAR_FROM`` as (month, day); ``ConfigurationError`` naming it."""
    try:
        return parse_month_day(settings.report_year_from)
    except UnparsableSetting as exc:
        raise ConfigurationError(f"HUB_REPORT_YEAR_FROM: {exc}") from None


def report_dir(runtime: Runtime) -> Path:
    """``HUB_REPORT_DIR``, else ``var/reports``."""
    configured = runtime.settings.report_dir
    return Path(configured) if configured else runtime.settings.var_dir / "reports"


def _written(folder: Path, day: date) -> bool:
    return (folder / f"{prefix(Options(day))}.html").exists()


async def write_with_retries(runtime: Runtime, day: date, folder: Path,
                             silence: dict[str, int]) -> bool:
    """Write the report for ``day``; a failure is logged and retried a few times."""
    options = Options(day, silence_days=silence,
                      edges=EdgeFolders.configured(runtime.settings))
    return await _retrying("nightly_report", day.isoformat(), partial(
        run_nightly, runtime.settings.effective_database_url, options, folder,
        runtime.reconciler.tables))


async def write_year_if_due(runtime: Runtime, today: date, folder: Path,
                            first: tuple[int, int]) -> bool:
    """Write the previous year's account when it is due (``schedule.year_due``, R16)."""
    year = year_due(today, first, lambda y: (folder / f"{stem(y, None)}.xlsx").exists())
    if year is None:
        return False
    return await _retrying("year_account", str(year), partial(
        run_jaar, runtime.settings.effective_database_url, year, folder,
        runtime.reconciler.tables, today=today,
        edges=EdgeFolders.configured(runtime.settings)))


async def _retrying(what: str, label: str, write: Callable[[], Any]) -> bool:
    loop = asyncio.get_running_loop()
    for attempt in range(1, ATTEMPTS + 1):
        try:
            result = await loop.run_in_executor(None, write)
        except asyncio.CancelledError:
            raise
        except TransientError as exc:
            log.warning("%s_store_busy for=%s attempt=%d error=%s", what, label, attempt,
                        type(exc).__name__)
        except Exception:  # a bug here must not stop the worker; try again later
            log.exception("%s_failed for=%s attempt=%d", what, label, attempt)
        else:
            log.info("%s_written for=%s files=%d", what, label, len(result.paths))
            return True
        await asyncio.sleep(RETRY_S)
    return False

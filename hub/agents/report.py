"""The nightly report on schedule: at ``HUB_REPORT_TIME`` (in ``HUB_REPORT_TIMEZONE``) the
worker writes the controllers' report for that day into ``HUB_REPORT_DIR`` (default
``var/reports``). A worker started after that time writes the day's report at once when it is
not there yet. The report reads the store on its own connection, in a thread of its own, so
the agents' store thread is never held up.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import faust

from hub.errors import ConfigurationError, TransientError
from hub.report.collect import Options
from hub.report.nightly import parse_silence, prefix, run_nightly
from hub.report.schedule import catch_up, next_run, parse_time, seconds_until
from hub.runtime import Runtime
from hub.settings import Settings

log = logging.getLogger(__name__)
RETRY_S = 600.0
ATTEMPTS = 6


def register_nightly_report(app: faust.App, runtime: Runtime) -> None:
    """Register the task that writes the nightly report each day at ``HUB_REPORT_TIME``."""
    at, zone, silence = schedule_settings(runtime.settings)
    folder = report_dir(runtime)

    async def nightly_report() -> None:
        now = datetime.now(zone)
        if catch_up(now, at, _written(folder, now.date())):
            await write_with_retries(runtime, now.date(), folder, silence)
        while True:
            now = datetime.now(zone)
            run = next_run(now, at)
            await asyncio.sleep(seconds_until(now, run))
            await write_with_retries(runtime, run.date(), folder, silence)

    app.task(nightly_report)


def schedule_settings(settings: Settings) -> tuple[time, ZoneInfo, dict[str, int]]:
    """The report time, time zone and silence thresholds; ``ConfigurationError`` naming the
    variable that is wrong."""
    try:
        at = parse_time(settings.report_time)
    except ValueError as exc:
        raise ConfigurationError(f"HUB_REPORT_TIME: {exc}") from None
    try:
        zone = ZoneInfo(settings.report_timezone)
    except (ValueError, ZoneInfoNotFoundError):
        raise ConfigurationError(
            f"HUB_REPORT_TIMEZONE: unknown time zone {settings.report_timezone!r}") from None
    try:
        silence = parse_silence(settings.report_silence_days)
    except ValueError as exc:
        raise ConfigurationError(f"HUB_REPORT_SILENCE_DAYS: {exc}") from None
    return at, zone, silence


def report_dir(runtime: Runtime) -> Path:
    """``HUB_REPORT_DIR``, else ``var/reports``."""
    configured = runtime.settings.report_dir
    return Path(configured) if configured else runtime.settings.var_dir / "reports"


def _written(folder: Path, day: date) -> bool:
    return (folder / f"{prefix(Options(day))}.html").exists()


async def write_with_retries(runtime: Runtime, day: date, folder: Path,
                             silence: dict[str, int]) -> bool:
    """Write the report for ``day``; a failure is logged and retried a few times."""
    loop = asyncio.get_running_loop()
    options = Options(day, silence_days=silence)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            result = await loop.run_in_executor(
                None, run_nightly, runtime.settings.effective_database_url, options, folder,
                runtime.reconciler.tables)
        except asyncio.CancelledError:
            raise
        except TransientError as exc:
            log.warning("nightly_report_store_busy day=%s attempt=%d error=%s", day, attempt,
                        type(exc).__name__)
        except Exception:  # a bug here must not stop the worker; try again later
            log.exception("nightly_report_failed day=%s attempt=%d", day, attempt)
        else:
            log.info("nightly_report_written day=%s files=%d", day, len(result.paths))
            return True
        await asyncio.sleep(RETRY_S)
    return False

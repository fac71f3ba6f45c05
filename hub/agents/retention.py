"""R25 on a timer: the worker applies partner-file retention (``hub.retention``) at start and
then every ``HUB_RETENTION_INTERVAL_S`` (a day by default; 0 switches the timer off), in a
thread of its own, each removal audited like ``hub retention apply``."""

from __future__ import annotations

import asyncio
import logging

import faust

from hub.retention import apply, retention_settings
from hub.retention_cli import audit_to
from hub.runtime import Runtime

log = logging.getLogger(__name__)


def register_retention(app: faust.App, runtime: Runtime) -> None:
    """Register the retention timer (unless ``HUB_RETENTION_INTERVAL_S`` is 0)."""
    settings = retention_settings()
    if settings.interval_s <= 0:
        return

    async def retention() -> None:
        while True:
            try:
                await asyncio.to_thread(apply, runtime.settings, settings,
                                        audit=audit_to(runtime.store))
            except OSError as exc:  # a folder gone or unreadable: try again next round
                log.warning("retention_failed error=%s", type(exc).__name__)
            await asyncio.sleep(settings.interval_s)

    app.task(retention)

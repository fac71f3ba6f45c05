"""The deadline sweep: signals that depend on today's date (R18 overdue intake, PIP and
gesprek; R2 termijn at risk), checked over every case view at start and then periodically.

Views are pure functions of facts, so they cannot know what day it is; this task passes today
in and lets the outbox drop signals it already sent (stable ids).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime
from functools import partial

import faust

from hub.errors import TransientError
from hub.reconcile.emit import due_messages
from hub.runtime import Runtime

log = logging.getLogger(__name__)


def register_deadline_sweep(app: faust.App, runtime: Runtime) -> None:
    """Register the task that sends due deadline signals every ``HUB_SIGNAL_SWEEP_S``."""
    interval = runtime.settings.signal_sweep_s

    async def sweep_deadlines() -> None:
        while True:
            try:
                sent = await sweep(runtime, datetime.now(UTC).date())
                if sent:
                    log.info("deadline_signals sent=%d", sent)
            except asyncio.CancelledError:
                raise
            except TransientError as exc:
                log.warning("deadline_sweep_store_busy error=%s", type(exc).__name__)
            except Exception:  # a bug here must not stop the worker; the next sweep retries
                log.exception("deadline_sweep_failed")
            await asyncio.sleep(interval)

    app.task(sweep_deadlines)


async def sweep(runtime: Runtime, today: date) -> int:
    """Queue every deadline signal due on ``today`` not sent before; how many were new."""
    loop = asyncio.get_running_loop()
    emit = partial(due_messages, runtime.emitter, today=today)
    return await loop.run_in_executor(
        runtime.store_executor, runtime.store.sweep,
        lambda ref, view: emit(case_ref=ref, view=view))

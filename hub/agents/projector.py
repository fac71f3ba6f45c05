"""The projector: writes the views of cases the recording agents marked dirty.

Recording a batch only stores facts and marks their cases (one cheap transaction); this timer
re-projects the marked cases in chunks. Under load a busy case collects many facts between two
ticks and is projected once for all of them, so the hot path never pays for a case's history.
Marks, views and what the views emit change in one transaction: a crash anywhere leaves the
case marked, and the next tick projects it again (projections are pure, so that is harmless).
"""

from __future__ import annotations

import asyncio
import logging

import faust

from hub.errors import TransientError
from hub.runtime import Runtime

log = logging.getLogger(__name__)


def register_projector(app: faust.App, runtime: Runtime) -> None:
    """Register the timer that projects dirty cases."""
    settings = runtime.settings

    async def project_dirty_cases() -> None:
        try:
            await drain(runtime, settings.projector_cases)
        except TransientError as exc:
            log.warning("projector_store_busy error=%s", type(exc).__name__)
        except Exception:  # a timer that raises stops the worker; the next tick retries
            log.exception("projector_failed")

    app.timer(settings.projector_interval_s, name="projector")(project_dirty_cases)


async def drain(runtime: Runtime, chunk: int) -> int:
    """Project dirty cases ``chunk`` at a time until none are left; returns how many."""
    loop = asyncio.get_running_loop()
    total = 0
    while True:
        done = await loop.run_in_executor(runtime.store_executor,
                                          runtime.store.project_pending, chunk)
        total += done
        if done < chunk:
            return total

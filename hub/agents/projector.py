"""The projector as a worker task (``HUB_PROJECTOR=task``): writes the views of dirty cases.

The default runs the same loop in a child process instead (``projector_process``).

Recording a batch only stores facts and marks their cases (one cheap transaction); this task
re-projects marked cases, oldest mark first, a chunk per store transaction. Marks, views and
what the views emit change in one transaction: a crash anywhere leaves the case marked, and
the projector projects it again (projections are pure, so that is harmless).

During a burst (a batch was recorded within the last ``interval``) the projector takes at most
``HUB_PROJECTOR_BUSY_SHARE`` of the store thread's time, so ingest keeps its pace; views then
lag and a busy case collects many facts before it is projected once for all of them. When the
burst is over it drains every mark without pausing.
"""

from __future__ import annotations

import asyncio
import logging
import time

import faust

from hub.agents.handler import last_batch_at
from hub.errors import TransientError
from hub.runtime import Runtime

log = logging.getLogger(__name__)


def register_projector(app: faust.App, runtime: Runtime) -> None:
    """Register the task that projects dirty cases (``HUB_PROJECTOR=task``; with ``process``
    the worker starts ``projector_process`` instead)."""
    settings = runtime.settings
    if settings.projector != "task":
        return

    async def project_dirty_cases() -> None:
        pacing = Pacing(settings.projector_interval_s, settings.projector_busy_share)
        while True:
            try:
                await pacing.wait(await project_chunk(runtime, settings.projector_cases))
            except asyncio.CancelledError:
                raise
            except TransientError as exc:
                log.warning("projector_store_busy error=%s", type(exc).__name__)
                await asyncio.sleep(settings.projector_interval_s)
            except Exception:  # a bug in a projection must not stop the worker; marks stay
                log.exception("projector_failed")
                await asyncio.sleep(settings.projector_interval_s)

    app.task(project_dirty_cases)


async def project_chunk(runtime: Runtime, chunk: int) -> tuple[int, float]:
    """Project up to ``chunk`` dirty cases in one transaction: (cases, seconds it took)."""
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    done = await loop.run_in_executor(runtime.store_executor, runtime.store.project_pending,
                                      chunk)
    return done, time.monotonic() - started


async def drain(runtime: Runtime, chunk: int) -> int:
    """Project dirty cases ``chunk`` at a time until none are left; returns how many."""
    total = 0
    while True:
        done, _ = await project_chunk(runtime, chunk)
        total += done
        if done < chunk:
            return total


class Pacing:
    """How long the projector waits after a chunk: idle, bursting or draining."""

    def __init__(self, interval_s: float, busy_share: float) -> None:
        self.interval_s = interval_s
        self.busy_share = min(max(busy_share, 0.05), 1.0)

    def pause(self, cases: int, spent_s: float, now: float, last_batch: float) -> float:
        """Seconds to wait before the next chunk."""
        if cases == 0:
            return self.interval_s  # nothing pending: look again later
        if now - last_batch < self.interval_s:  # a burst: leave the store to the recorders
            return spent_s * (1.0 - self.busy_share) / self.busy_share
        return 0.0  # the burst is over: drain

    async def wait(self, result: tuple[int, float]) -> None:
        """Sleep as ``pause`` says (at least one event-loop turn)."""
        cases, spent_s = result
        await asyncio.sleep(self.pause(cases, spent_s, time.monotonic(), last_batch_at()))

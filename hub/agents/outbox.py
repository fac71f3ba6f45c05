"""Publishes the outbox: messages written in a store transaction, sent afterwards.

Each row keeps its stable message id across retries (ARCHITECTURE §2.3); a row is marked published
only after the broker acknowledged it, so a crash in between publishes it again, never loses it.
"""

from __future__ import annotations

import asyncio
import logging

import faust

from hub.runtime import Runtime

log = logging.getLogger(__name__)

MESSAGE_ID_HEADER = "hub-message-id"


def register_outbox_publisher(app: faust.App, runtime: Runtime, interval: float = 0.5) -> None:
    """Register the timer that drains the outbox."""

    async def publish_outbox() -> None:
        try:
            while await drain_once(app, runtime):
                pass
        except Exception:  # a timer that raises stops the worker; the next tick retries
            log.exception("outbox_publish_failed")

    app.timer(interval, name="outbox-publisher")(publish_outbox)


async def drain_once(app: faust.App, runtime: Runtime, limit: int = 500) -> int:
    """Publish up to ``limit`` pending rows; returns how many were published."""
    loop = asyncio.get_running_loop()
    store = runtime.store
    rows = await loop.run_in_executor(runtime.store_executor, store.pending_outbox, limit)
    if not rows:
        return 0
    futures = [
        await app.producer.send(runtime.physical(row.topic), row.key, row.value, None, None,
                                [(MESSAGE_ID_HEADER, row.message_id.encode())])
        for row in rows
    ]
    results = await asyncio.gather(*futures, return_exceptions=True)
    done = [row.id for row, res in zip(rows, results, strict=True)
            if not isinstance(res, BaseException)]
    failed = [row.id for row, res in zip(rows, results, strict=True)
              if isinstance(res, BaseException)]
    if done:
        await loop.run_in_executor(runtime.store_executor, store.mark_published, done)
    if failed:
        await loop.run_in_executor(runtime.store_executor, store.mark_failed, failed,
                                   "broker did not acknowledge")
        log.warning("outbox_publish_retry rows=%d", len(failed))
    return len(done)

"""ISAM in: spooled notifications -> details fetched from ISAM's API -> facts on the topics.

A notification leaves the spool only after its record was acknowledged by the broker, or after
its dead letter was: a crash in between repeats it, and the stable message id (resource, uuid,
versie) lets the store's inbox drop the copy. Details that cannot be fetched are retried with
doubling delays (``HUB_ISAM_RETRY_*``), then dead-lettered with the reason.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import topics
from connectors.edge import BsnSealer, Routed
from connectors.isam.config import IsamSettings
from connectors.isam.deadletter import dead_letter
from connectors.isam.http import HttpClient
from connectors.isam.notification import Notificatie, parse
from connectors.isam.spool import Pending, Spool
from connectors.isam.translate import ROUTES, topic_of, translate
from hub.errors import InvalidField, PermanentError, TransientError
from hub.privacy import redact
from hub.publish import TopicWriter

log = logging.getLogger(__name__)
CONSUMER = "connector-isam"
CONCURRENCY = 8


@dataclass
class Outcome:
    """What became of one spooled notification in this round."""

    row: Pending
    routed: Routed | None = None
    retry_in_s: float | None = None
    error: str = ""


class NotificationProcessor:
    """Works the spool: fetch, translate, produce, then mark done; retries and dead letters."""

    def __init__(self, settings: IsamSettings, spool: Spool, client: HttpClient,
                 writer: TopicWriter, sealer: BsnSealer) -> None:
        self.settings, self.spool, self.client = settings, spool, client
        self.writer, self.sealer = writer, sealer
        self._limit = asyncio.Semaphore(CONCURRENCY)

    async def run_once(self) -> int:
        """Process every due notification; returns how many facts were produced."""
        due = await asyncio.to_thread(self.spool.due_notifications)
        if not due:
            return 0
        outcomes = await asyncio.gather(*(self._one(row) for row in due))
        by_topic: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for o in outcomes:
            if o.routed is not None:
                by_topic[o.routed.topic].append(o.routed.record)
        for topic, records in by_topic.items():
            await self.writer.send_many(topic, records)  # returns once the broker acked
        done = [(o.row.id, str(o.routed.record["message_id"])) for o in outcomes if o.routed]
        await asyncio.to_thread(self.spool.processed, done)
        for o in outcomes:
            if o.retry_in_s is not None:
                await asyncio.to_thread(self.spool.retry_later, o.row.id, o.row.pogingen + 1,
                                        o.retry_in_s, o.error)
        return len(done)

    async def _one(self, row: Pending) -> Outcome:
        async with self._limit:
            try:
                note = parse(row.body)
            except InvalidField as exc:
                return await self._dead(row, None, row.body, exc)
            if note.resource not in ROUTES:
                return await self._dead(row, note, row.body, InvalidField(
                    "resource", f"unknown ISAM resource {note.resource!r}"))
            if note.actie == "destroy":
                return await self._dead(row, note, row.body, InvalidField(
                    "actie", "destroy: ISAM removed the resource; the hub keeps its facts "
                    "and an operator must decide"))
            try:
                data = await self.client.get_json(note.resource_url)
            except TransientError as exc:
                return await self._retry_or_dead(row, note, exc)
            except PermanentError as exc:
                return await self._dead(row, note, row.body, exc)
            try:
                routed = translate(note.resource, data, sealer=self.sealer,
                                   received_at=datetime.now(UTC))
            except PermanentError as exc:
                original = json.dumps({"notificatie": json.loads(row.body), "details": data},
                                      default=str).encode()
                return await self._dead(row, note, original, exc)
            return Outcome(row, routed=routed)

    async def _retry_or_dead(self, row: Pending, note: Notificatie, exc: Exception) -> Outcome:
        attempt = row.pogingen + 1
        if attempt >= self.settings.retry_attempts:
            reason = f"details not fetched after {attempt} attempts: {exc}"
            return await self._dead(row, note, row.body, reason)
        delay = min(self.settings.retry_backoff_s * 2 ** (attempt - 1),
                    self.settings.retry_max_backoff_s)
        log.info("isam_fetch_retry id=%d attempt=%d delay_s=%.1f", row.id, attempt, delay)
        return Outcome(row, retry_in_s=delay, error=redact(str(exc))[:300])

    async def _dead(self, row: Pending, note: Notificatie | None, original: bytes,
                    error: BaseException | str) -> Outcome:
        topic = topic_of(note.resource if note else "")
        attempts = row.pogingen + 1
        record = dead_letter(consumer=CONSUMER, source_topic=topic, original=original,
                             error=error, original_message_id=None, attempts=attempts,
                             dead_letter_id=f"dl:{CONSUMER}:notificatie/{row.id}")
        await self.writer.send(topics.dead_letter_of(topic), record)
        await asyncio.to_thread(self.spool.dead, row.id, attempts, record["error_message"])
        log.warning("dead_lettered consumer=%s notificatie=%d topic=%s error=%s", CONSUMER,
                    row.id, topic, record["error_message"][:120])
        return Outcome(row)

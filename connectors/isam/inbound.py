"""ISAM in: spooled notifications -> details fetched from ISAM's API -> facts on the topics.

A notification leaves the spool only after its record was acknowledged by the broker, or after
its dead letter was: a crash in between repeats it, and the stable message id (resource, uuid,
versie) lets the store's inbox drop the copy. Details are fetched only from ISAM's configured
origin (a ``resourceUrl`` elsewhere is refused, the token never sent there). Details that cannot
be fetched are retried with doubling delays (``HUB_ISAM_RETRY_*``), then dead-lettered with the
reason; so is a row that fails in a way nobody foresaw, after the same attempts: a poison row
never stops the spool.
"""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.edge import BsnSealer, Routed
from connectors.isam.config import IsamSettings
from connectors.isam.notification import Notificatie, parse
from connectors.isam.spool import Pending, Spool
from connectors.isam.translate import ROUTES, topic_of, translate
from connectors.kit.deadletter import DeadLetters
from connectors.kit.fields import Reader
from connectors.kit.http import PartnerHttp
from connectors.kit.jsonread import read_json
from connectors.kit.retry import policy_for
from hub.errors import HubError, InvalidField, PermanentError, TransientError
from hub.privacy import redact
from hub.publish import TopicWriter

log = logging.getLogger(__name__)
CONSUMER = "connector-isam"
REENTRY = "isam.notificatie"  # an edge letter's original: the notification (+ its details)
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

    def __init__(self, settings: IsamSettings, spool: Spool, client: PartnerHttp,
                 writer: TopicWriter, sealer: BsnSealer, dead: DeadLetters) -> None:
        self.settings, self.spool, self.client = settings, spool, client
        self.writer, self.sealer, self.dead = writer, sealer, dead
        self.retry = policy_for(settings)
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
                return await self._work(row)
            except HubError:
                raise  # the broker or the spool: the round fails, the row stays waiting
            except Exception as exc:  # a bug or an input nobody foresaw: a failed attempt
                log.error("isam_notification_failed id=%d attempt=%d\n%s", row.id,
                          row.pogingen + 1,
                          redact("".join(traceback.format_exception(exc)).rstrip()))
                return await self._retry_or_dead(row, None, exc, "not processed")

    async def _work(self, row: Pending) -> Outcome:
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
            data = Reader.of(f"{note.resource} answer",
                             await self.client.get_json(note.resource_url)).data
        except TransientError as exc:
            return await self._retry_or_dead(row, note, exc, "details not fetched")
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

    async def reenter(self, original: bytes) -> list[Routed]:
        """A re-driven notification: translated from its kept details, or fetched afresh."""
        kept = Reader.of("re-driven notification", read_json(original, what="notificatie"))
        body = kept.data.get("notificatie", kept.data)
        note = parse(json.dumps(body).encode())
        if note.resource not in ROUTES:
            raise InvalidField("resource", f"unknown ISAM resource {note.resource!r}")
        data = kept.data.get("details")
        if not isinstance(data, dict):
            data = Reader.of(f"{note.resource} answer",
                             await self.client.get_json(note.resource_url)).data
        return [translate(note.resource, data, sealer=self.sealer, received_at=datetime.now(UTC))]

    async def _retry_or_dead(self, row: Pending, note: Notificatie | None, exc: Exception,
                             what: str) -> Outcome:
        attempt = row.pogingen + 1
        if self.retry.exhausted(attempt):
            reason = f"{what} after {attempt} attempts: {type(exc).__name__}: {exc}" \
                if not isinstance(exc, HubError) else f"{what} after {attempt} attempts: {exc}"
            return await self._dead(row, note, row.body, reason)
        delay = self.retry.delay(attempt)
        log.info("isam_fetch_retry id=%d attempt=%d delay_s=%.1f", row.id, attempt, delay)
        return Outcome(row, retry_in_s=delay, error=redact(str(exc))[:300])

    async def _dead(self, row: Pending, note: Notificatie | None, original: bytes,
                    error: BaseException | str) -> Outcome:
        topic = topic_of(note.resource if note else "")
        attempts = row.pogingen + 1
        record = await self.dead.put_edge(topic, original, error, f"notificatie/{row.id}",
                                          attempts=attempts, media_type="application/json",
                                          reentry=REENTRY)
        await asyncio.to_thread(self.spool.dead, row.id, attempts, record["error_message"])
        return Outcome(row)

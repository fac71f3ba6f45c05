"""The DUO connector: pull DUO's changes onto inbound topics; send outbound registrations to DUO.

Pull: page by page from the cursor (``self.cursors``); the cursor moves only after the broker
acknowledged every record of the page, and each record's message id derives from DUO's
WijzigingId, so a crash between the two repeats the page and the inbox drops the copies. A page
that says ``Meer`` without moving the cursor is ``PagingStalled`` (backoff, no tight loop).
Push: a consumer group on the outbound topics (``kit.consumer``); an offset is committed only
after DUO accepted the registration or it was dead-lettered. Transient errors are retried with
growing delays (``kit.retry``), always with the same WS-Addressing MessageID.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

import topics
from connectors import safexml
from connectors.base import Connector, together
from connectors.duo.client import DuoClient
from connectors.duo.config import DuoSettings, duo_settings
from connectors.duo.translate import (
    CONSUMER,
    OUTBOUND_TOPICS,
    RawChange,
    change_message_id,
    parse_changes,
    registration,
    topic_of_kind,
    translate_change,
    wsa_message_id,
)
from connectors.edge import Routed, RuntimeSealer
from connectors.kit.consumer import Batch, Item, OutboundConsumer
from connectors.kit.cursor import check_advance
from connectors.kit.retry import RetryPolicy, policy_for
from hub.errors import InvalidField, PermanentError, SignatureInvalid, TransientError
from hub.publish import TopicWriter
from hub.runtime import Runtime

log = logging.getLogger(__name__)
REENTRY = "duo.wijziging"  # an edge letter's original: one Wijziging element as DUO sent it
UNKNOWN_KIND_TOPIC = topics.DUO_INBURGERINGSPLICHT_VASTGESTELD  # DLT for unknown change kinds


class DuoConnector(Connector):
    """DUO over Digikoppeling WUS (2W-be-S)."""

    name = "duo"
    group = CONSUMER
    reentries = (REENTRY,)

    def __init__(self, runtime: Runtime, writer: TopicWriter, *,
                 settings: DuoSettings | None = None, client: DuoClient | None = None,
                 **kit: Any) -> None:
        super().__init__(runtime, writer, **kit)
        self.settings = settings or duo_settings()
        self.client = client or DuoClient(
            self.settings, quarantine=runtime.settings.var_dir / "quarantine" / "duo")
        self.interval_s = self.settings.poll_interval_s
        self.sealer = RuntimeSealer(runtime)

    @property
    def retry(self) -> RetryPolicy:
        """The ``HUB_DUO_RETRY_*`` policy."""
        return policy_for(self.settings)

    async def run(self, stop: asyncio.Event) -> None:
        """Pull on an interval and send registrations, until ``stop`` is set."""
        push = OutboundConsumer(self.runtime, CONSUMER, OUTBOUND_TOPICS,
                                self.health.part("registrations"), self.dead, self.retry,
                                max_records=50)
        await together(super().run(stop), push.run(stop, self._registrations))

    # -- pull ------------------------------------------------------------------------------
    async def run_once(self) -> int:
        """Pull every page of changes since the stored cursor; returns how many arrived."""
        total = 0
        name = self.settings.cursor_name
        while True:
            cursor = await asyncio.to_thread(self.cursors.get_cursor, name)
            page = await asyncio.to_thread(self.client.pull, cursor, self.settings.page_size)
            check_advance("DUO HaalWijzigingen", cursor, page.cursor, page.more)
            await self._produce(page.changes)
            if page.cursor != cursor:
                await asyncio.to_thread(self.cursors.set_cursor, name, page.cursor)
            total += len(page.changes)
            if not page.more:
                return total

    async def _produce(self, changes: list[RawChange]) -> None:
        received_at = datetime.now(UTC)
        by_topic: dict[str, list[dict[str, Any]]] = {}
        for change in changes:
            try:
                routed = translate_change(change, sealer=self.sealer, received_at=received_at)
            except PermanentError as exc:
                topic = topic_of_kind(change.kind) or UNKNOWN_KIND_TOPIC
                await self.dead.put_edge(
                    topic, change.xml, exc, change.change_id, media_type="application/xml",
                    reentry=REENTRY, original_message_id=change_message_id(change.change_id))
                continue
            by_topic.setdefault(routed.topic, []).append(routed.record)
        for topic, records in by_topic.items():
            await self.writer.send_many(topic, records)  # returns once the broker acked

    async def reenter(self, reentry: str, original: bytes) -> list[Routed]:
        """A re-driven ``Wijziging`` (its XML as DUO sent it) through the same translation."""
        if reentry != REENTRY:
            return await super().reenter(reentry, original)
        changes = parse_changes(safexml.parse(original, source="re-driven DUO change"))
        if len(changes) != 1:
            raise InvalidField("Wijziging", f"expected one change, found {len(changes)}")
        return [translate_change(changes[0], sealer=self.sealer, received_at=datetime.now(UTC))]

    # -- push ------------------------------------------------------------------------------
    async def _registrations(self, batch: Batch, stop: asyncio.Event) -> bool:
        for item in batch.pending():
            if not await self._deliver(item, stop):
                return False  # stopping mid-retry: leave the offset, the retry comes later
            await batch.commit(item)
        return True

    async def _deliver(self, item: Item, stop: asyncio.Event) -> bool:
        """Send one registration until DUO accepts it or it is dead-lettered; False if stopped."""
        record = item.record
        try:
            bsn = self.runtime.cipher.decrypt(record["bsn"])
            operation, fields = registration(item.topic, record, bsn)
            message_id = wsa_message_id(str(record["message_id"]))
        except PermanentError as exc:
            await self.dead.put_consumed(item.topic, item.message, exc, record=record)
            return True
        part = self.health.part("registrations")

        def failed(exc: BaseException, attempt: int) -> None:
            if isinstance(exc, TransientError | SignatureInvalid):  # an untrusted answer too
                part.failed(exc)
            if isinstance(exc, TransientError):
                log.info("duo_retry operation=%s attempt=%d", operation, attempt)

        result = await self.retry.call(
            lambda: asyncio.to_thread(self.client.register, operation, fields, message_id),
            stop=stop, on_failure=failed)
        if result.stopped:
            return False
        if result.error is not None:
            await self.dead.put_consumed(item.topic, item.message, result.error,
                                         attempts=result.attempts, record=record)
            return True
        part.succeeded(1)
        return True

    @classmethod
    def demo_partner(cls, runtime: Runtime) -> contextlib.AbstractAsyncContextManager[
            dict[str, Any]]:
        """The DUO simulator with a seeded scenario, over two-way TLS (``hub connectors run
        --demo``)."""
        from connectors.duo.demo import demo_partner

        return demo_partner(runtime)

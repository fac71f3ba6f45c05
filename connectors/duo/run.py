"""The DUO connector: pull DUO's changes onto inbound topics; send outbound registrations to DUO.

Pull: page by page from the cursor in the case store; the cursor moves only after the broker
acknowledged every record of the page, and each record's message id derives from DUO's
WijzigingId, so a crash between the two repeats the page and the inbox drops the copies.
Push: a consumer group on the outbound topics; an offset is committed only after DUO accepted the
registration or it was dead-lettered. Transient errors are retried with growing delays, always
with the same WS-Addressing MessageID.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

import topics
from connectors.base import Connector
from connectors.duo.client import DuoClient
from connectors.duo.config import DuoSettings, duo_settings
from connectors.duo.translate import (
    CONSUMER,
    OUTBOUND_TOPICS,
    RawChange,
    change_message_id,
    dead_letter,
    registration,
    topic_of_kind,
    translate_change,
    wsa_message_id,
)
from connectors.edge import Routed, RuntimeSealer
from hub.errors import HubError, PermanentError, SignatureInvalid, UpstreamUnavailable
from hub.privacy import redact
from hub.publish import TopicWriter
from hub.runtime import Runtime

log = logging.getLogger(__name__)
STOP_GRACE_S = 2.0
UNKNOWN_KIND_TOPIC = topics.DUO_INBURGERINGSPLICHT_VASTGESTELD  # DLT for unknown change kinds


class CursorPort(Protocol):
    """Where the connector keeps its pull cursor (the case store implements it)."""

    def get_cursor(self, name: str) -> str | None:
        """The saved cursor, or None."""

    def set_cursor(self, name: str, value: str) -> None:
        """Save the cursor."""


class DuoConnector(Connector):
    """DUO over Digikoppeling WUS (2W-be-S)."""

    name = "duo"

    def __init__(self, runtime: Runtime, writer: TopicWriter, *,
                 settings: DuoSettings | None = None, client: DuoClient | None = None,
                 cursors: CursorPort | None = None) -> None:
        super().__init__(runtime, writer)
        self.settings = settings or duo_settings()
        self.client = client or DuoClient(
            self.settings, quarantine=runtime.settings.var_dir / "quarantine" / "duo")
        self.cursors: CursorPort = cursors or runtime.store
        self.sealer = RuntimeSealer(runtime)

    async def run(self, stop: asyncio.Event) -> None:
        """Pull on an interval and send registrations, until ``stop`` is set."""
        sender = asyncio.create_task(self._send_registrations(stop), name="duo-registrations")
        try:
            while not stop.is_set():
                await self._guarded(self.run_once)
                await _wait(stop, self.settings.poll_interval_s)
        finally:
            stop.set()
            # A group join can hold the consumer for a session timeout: cut it short. Nothing is
            # lost: an uncommitted registration is redelivered and DUO dedups its MessageID.
            await asyncio.wait([sender], timeout=STOP_GRACE_S)
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)

    async def _guarded(self, action: Callable[[], Awaitable[int]]) -> None:
        try:
            count = await action()
            if count:
                self.health.succeeded(count)
        except HubError as exc:
            self.health.failed(exc)
            log.warning("duo_exchange_failed error=%s", type(exc).__name__)

    # -- pull ------------------------------------------------------------------------------
    async def run_once(self) -> int:
        """Pull every page of changes since the stored cursor; returns how many arrived."""
        total = 0
        name = self.settings.cursor_name
        while True:
            cursor = await asyncio.to_thread(self.cursors.get_cursor, name)
            page = await asyncio.to_thread(self.client.pull, cursor, self.settings.page_size)
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
            routed = self._route(change, received_at)
            by_topic.setdefault(routed.topic, []).append(routed.record)
        for topic, records in by_topic.items():
            await self.writer.send_many(topic, records)  # returns once the broker acked

    def _route(self, change: RawChange, received_at: datetime) -> Routed:
        try:
            return translate_change(change, sealer=self.sealer, received_at=received_at)
        except PermanentError as exc:
            topic = topic_of_kind(change.kind) or UNKNOWN_KIND_TOPIC
            log.warning("duo_change_refused change=%s error=%s", change.change_id,
                        type(exc).__name__)
            return Routed(topics.dead_letter_of(topic), dead_letter(
                source_topic=topic, original=change.xml, error=exc,
                original_message_id=change_message_id(change.change_id),
                dead_letter_id=f"dl:{CONSUMER}:{change.change_id}", received_at=received_at))

    # -- push ------------------------------------------------------------------------------
    async def _send_registrations(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                async with self._consumer() as consumer:
                    await self._consume(consumer, stop)
            except Exception as exc:  # broker gone: report, wait, reconnect
                self.health.failed(exc)
                log.warning("duo_consumer_failed error=%s", type(exc).__name__)
                await _wait(stop, self.settings.retry_backoff_s * 4)

    @contextlib.asynccontextmanager
    async def _consumer(self) -> AsyncIterator[AIOKafkaConsumer]:
        suffix = self.runtime.settings.topic_suffix
        consumer = AIOKafkaConsumer(
            *(topics.physical(t, suffix) for t in OUTBOUND_TOPICS),
            bootstrap_servers=self.runtime.settings.kafka_bootstrap, group_id=CONSUMER + suffix,
            enable_auto_commit=False, auto_offset_reset="earliest", session_timeout_ms=6_000,
            heartbeat_interval_ms=2_000, max_poll_interval_ms=600_000)
        try:
            await consumer.start()
            yield consumer
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(consumer.stop(), STOP_GRACE_S)

    async def _consume(self, consumer: AIOKafkaConsumer, stop: asyncio.Event) -> None:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=500, max_records=50)
            for tp, messages in batches.items():
                for message in messages:
                    if not await self._deliver(self.runtime.logical(tp.topic), message, stop):
                        return  # stopping mid-retry: leave the offset, the retry comes later
                    await consumer.commit({TopicPartition(tp.topic, tp.partition):
                                           message.offset + 1})

    async def _deliver(self, topic: str, message: ConsumerRecord[bytes, bytes],
                       stop: asyncio.Event) -> bool:
        """Send one registration until DUO accepts it or it is dead-lettered; False if stopped."""
        try:
            _, record = self.runtime.codec.decode(message.value)
            bsn = self.runtime.cipher.decrypt(record["bsn"])
            operation, fields = registration(topic, record, bsn)
            message_id = wsa_message_id(str(record["message_id"]))
        except (PermanentError, KeyError) as exc:
            await self._dead_letter(topic, message, exc, 1)
            return True
        for attempt in range(1, self.settings.retry_attempts + 1):
            try:
                await asyncio.to_thread(self.client.register, operation, fields, message_id)
            except PermanentError as exc:  # DUO said no, or its answer could not be trusted
                if isinstance(exc, SignatureInvalid):
                    self.health.failed(exc)
                await self._dead_letter(topic, message, exc, attempt)
                return True
            except UpstreamUnavailable as exc:
                self.health.failed(exc)
                if attempt == self.settings.retry_attempts:
                    await self._dead_letter(topic, message, exc, attempt)
                    return True
                log.info("duo_retry operation=%s attempt=%d", operation, attempt)
                if await _wait(stop, self._delay(attempt)):
                    return False
            else:
                self.health.succeeded()
                return True
        return True

    def _delay(self, attempt: int) -> float:
        return min(self.settings.retry_backoff_s * 2 ** (attempt - 1),
                   self.settings.retry_max_backoff_s)

    async def _dead_letter(self, topic: str, message: ConsumerRecord[bytes, bytes],
                           exc: Exception, attempts: int) -> None:
        peek = _peek(self.runtime, message.value)
        log.warning("dead_lettered consumer=%s position=%s/%d/%d error_type=%s error=%s", CONSUMER,
                    topic, message.partition, message.offset, type(exc).__name__,
                    redact(str(exc))[:200])
        record = dead_letter(
            source_topic=topic, original=message.value or b"", error=exc,
            original_message_id=peek.get("message_id"), received_at=datetime.now(UTC),
            dead_letter_id=f"dl:{CONSUMER}:{topic}/{message.partition}/{message.offset}",
            case_ref=peek.get("case_ref", ""), attempts=attempts, partition=message.partition,
            offset=message.offset, original_key=message.key)
        await self.writer.send(topics.dead_letter_of(topic), record)

    @classmethod
    def demo_partner(cls, runtime: Runtime) -> contextlib.AbstractAsyncContextManager[
            dict[str, Any]]:
        """The DUO simulator with a seeded scenario, over two-way TLS (``hub connectors run
        --demo``)."""
        from connectors.duo.demo import demo_partner

        return demo_partner(runtime)


def _peek(runtime: Runtime, value: bytes | None) -> dict[str, str]:
    try:
        record = runtime.codec.decode(value)[1]
    except PermanentError:
        return {}
    return {k: str(record[k]) for k in ("message_id", "case_ref") if record.get(k)}


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to ``seconds``; True when ``stop`` was set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()

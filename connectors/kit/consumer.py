"""One consumer for every outbound connector: a group on hub topics, committed after handling.

``OutboundConsumer.run`` connects (reconnecting with backoff when the broker fails), fetches
batches, dead-letters bytes that do not decode, and hands the rest to the connector's handler as
a ``Batch``. The batch's offsets are committed when the handler returns True; a handler may
commit item by item (``Batch.commit``) and returns False when it was stopped mid-way, so the
rest is redelivered. A handler that raises is retried on the same batch with growing delays;
after the policy's attempts the batch is handled one item at a time and the item that still
fails is dead-lettered: a poison message costs a few retries, never a loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

import topics
from connectors.kit.deadletter import REDRIVE_HEADER, DeadLetters
from connectors.kit.health import HealthPart
from connectors.kit.retry import RetryPolicy, wait
from hub.errors import HubError, PermanentError
from hub.privacy import redact
from hub.runtime import Runtime

log = logging.getLogger(__name__)
STOP_GRACE_S = 2.0


@dataclass(frozen=True)
class Item:
    """One consumed message, decoded: its declared topic, the raw message and the record."""

    topic: str
    message: ConsumerRecord[bytes, bytes]
    record: dict[str, Any]


@dataclass
class Batch:
    """The items of one fetch; ``commit`` moves the group past an item."""

    consumer: AIOKafkaConsumer | None
    items: list[Item]
    done: set[tuple[str, int, int]] = field(default_factory=set)

    def pending(self) -> list[Item]:
        """Items not committed yet, in order."""
        return [i for i in self.items if _key(i) not in self.done]

    async def commit(self, item: Item) -> None:
        """Commit the group's position past ``item``."""
        m = item.message
        if self.consumer is not None:
            await self.consumer.commit({TopicPartition(m.topic, m.partition): m.offset + 1})
        self.done.add(_key(item))

    def only(self, item: Item) -> Batch:
        """A batch of this one item (commits go to the same consumer)."""
        return Batch(self.consumer, [item], self.done)


Handler = Callable[[Batch, asyncio.Event], Awaitable[bool]]
Order = Callable[[str], Any]


def _key(item: Item) -> tuple[str, int, int]:
    return item.message.topic, item.message.partition, item.message.offset


@dataclass
class OutboundConsumer:
    """A consumer group on ``names`` (declared topics) feeding a handler."""

    runtime: Runtime
    group: str
    names: tuple[str, ...]
    part: HealthPart
    dead: DeadLetters
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    max_records: int = 500
    order: Order | None = None  # sort key of a declared topic: which partitions go first

    async def run(self, stop: asyncio.Event, handle: Handler) -> None:
        """Consume until ``stop``; reconnect with growing delays after broker failures."""
        failures = 0
        while not stop.is_set():
            try:
                async with self._consumer() as consumer:
                    failures = 0
                    while not stop.is_set():
                        if not await self._round(consumer, stop, handle):
                            return
            except Exception as exc:  # broker gone or commit refused: report, wait, reconnect
                failures += 1
                self.part.failed(exc)
                delay = self.policy.delay(failures)
                log.warning("consumer_failed group=%s error_type=%s retry_in_s=%.1f",
                            self.group, type(exc).__name__, delay)
                await wait(stop, delay)

    @contextlib.asynccontextmanager
    async def _consumer(self) -> AsyncIterator[AIOKafkaConsumer]:
        s = self.runtime.settings
        consumer = AIOKafkaConsumer(
            *(topics.physical(t, s.topic_suffix) for t in self.names),
            bootstrap_servers=s.kafka_bootstrap, group_id=self.group + s.topic_suffix,
            enable_auto_commit=False, auto_offset_reset="earliest", session_timeout_ms=6_000,
            heartbeat_interval_ms=2_000, max_poll_interval_ms=600_000)
        try:
            await consumer.start()
            yield consumer
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(consumer.stop(), STOP_GRACE_S)

    async def _round(self, consumer: AIOKafkaConsumer, stop: asyncio.Event,
                     handle: Handler) -> bool:
        fetched = await consumer.getmany(timeout_ms=500, max_records=self.max_records)
        if not fetched:
            self.part.succeeded(0)
            return True
        items, ends = await self._decode(fetched)
        batch = Batch(consumer, items)
        if items and not await self._handle(batch, stop, handle):
            return False
        await consumer.commit(ends)
        self.part.succeeded(len(items))
        await self._settle(fetched)
        return True

    async def _settle(self, fetched: dict[TopicPartition, list[Any]]) -> None:
        """Resolve the re-driven letters whose message this round delivered (not the ones it
        dead-lettered again: their new letter marks them failed-again)."""
        redriven = {value.decode("utf-8", "replace") for messages in fetched.values()
                    for message in messages for name, value in (message.headers or ())
                    if name == REDRIVE_HEADER}
        delivered = sorted(redriven - self.dead.refused_again)
        self.dead.refused_again -= redriven
        if not delivered:
            return
        try:
            await asyncio.to_thread(self.runtime.reentries.settle_delivered, self.dead.consumer,
                                    delivered)
        except Exception as exc:  # the messages went out; their letters stay re-driven
            log.warning("redrive_settle_failed group=%s letters=%s error_type=%s", self.group,
                        ",".join(delivered), type(exc).__name__)
            return
        log.info("dead_letters_delivered group=%s letters=%s", self.group, ",".join(delivered))

    async def _decode(self, fetched: dict[TopicPartition, list[Any]]
                      ) -> tuple[list[Item], dict[TopicPartition, int]]:
        def rank(tp: TopicPartition) -> Any:
            logical = self.runtime.logical(tp.topic)
            return (self.order(logical) if self.order else 0, logical, tp.partition)

        items, ends = [], {}
        for tp in sorted(fetched, key=rank):
            topic = self.runtime.logical(tp.topic)
            for message in fetched[tp]:
                try:
                    items.append(Item(topic, message, self.runtime.codec.decode(message.value)[1]))
                except PermanentError as exc:
                    await self.dead.put_consumed(topic, message, exc)
            ends[TopicPartition(tp.topic, tp.partition)] = fetched[tp][-1].offset + 1
        return items, ends

    async def _handle(self, batch: Batch, stop: asyncio.Event, handle: Handler) -> bool:
        attempt = 0
        while True:
            attempt += 1
            try:
                return await handle(batch, stop)
            except Exception as exc:
                self._failed(exc, attempt)
                if self.policy.exhausted(attempt):
                    break
            if await wait(stop, self.policy.delay(attempt)):
                return False
        return await self._one_by_one(batch, stop, handle, attempt)

    async def _one_by_one(self, batch: Batch, stop: asyncio.Event, handle: Handler,
                          attempts: int) -> bool:
        """After the batch failed ``attempts`` times: each item once; a failing one is
        dead-lettered (it failed ``attempts`` times within the batch already)."""
        for item in batch.pending():
            try:
                if not await handle(batch.only(item), stop):
                    return False
            except Exception as exc:
                self._failed(exc, attempts)
                await self.dead.put_consumed(item.topic, item.message, exc, attempts=attempts,
                                             record=item.record)
                await batch.commit(item)
        return True

    def _failed(self, exc: Exception, attempt: int) -> None:
        self.part.failed(exc)
        trace = "" if isinstance(exc, HubError) else "\n" + redact(
            "".join(traceback.format_exception(exc)).rstrip())
        log.warning("outbound_handler_failed group=%s attempt=%d of %d error_type=%s error=%s%s",
                    self.group, attempt, self.policy.attempts, type(exc).__name__,
                    redact(str(exc))[:160], trace)


def declared_order(first: Iterable[str]) -> Order:
    """An ``order`` putting the topics in ``first`` before the others, in that order."""
    ranked = list(first)
    return lambda topic: ranked.index(topic) if topic in ranked else len(ranked)

"""The batch driver: the shared handler fed straight from aiokafka ``getmany`` batches.

Faust's Stream costs about 0.2 ms per event on this machine, so a recording agent driven through
it tops out near the speed of a naive per-event agent however fast the store is. This driver runs
inside the Faust worker as an app task, takes whole fetches, stores each topic's share in one
transaction through the same ``BatchHandler``, and commits offsets only after the store has them.
A redelivery after a crash or rebalance is absorbed by the inbox.

A fetch is decoded (Avro, checks: ``BatchHandler.decode``) on a thread of its own while the store
thread writes the fetch before it: SQLite and psycopg release the interpreter lock while the
database works, and decoding had taken a third of the store thread's time (issue 24). The decode
thread hands each fetch to the store thread itself, so the store writes fetches in fetch order.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from hub.agents.handler import BatchHandler, Decoded, RawMessage
from hub.runtime import Runtime
from hub.store import OutboxMessage

log = logging.getLogger(__name__)

SendDirect = Callable[[Sequence[OutboxMessage]], Awaitable[None]]
Fetched = dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
Offsets = dict[TopicPartition, int]


class BatchRecorder:
    """Consumes the given topics in batches and stores them through one handler per topic."""

    def __init__(self, runtime: Runtime, handlers: dict[str, BatchHandler], group_id: str,
                 send_direct: SendDirect) -> None:
        self.runtime = runtime
        self.handlers = handlers
        self.group_id = group_id
        self.send_direct = send_direct
        self.processed = 0
        self._decoder: ThreadPoolExecutor | None = None  # one per ``run``

    def _consumer(self) -> AIOKafkaConsumer:
        settings = self.runtime.settings
        return AIOKafkaConsumer(
            *(self.runtime.physical(topic) for topic in self.handlers),
            bootstrap_servers=settings.kafka_bootstrap, group_id=self.group_id,
            enable_auto_commit=False, auto_offset_reset="earliest",
            session_timeout_ms=10_000, heartbeat_interval_ms=3_000,  # Tansu: joins wait ~s/2
            max_poll_records=settings.batch_size, client_id=self.group_id)

    async def run(self) -> None:
        """Consume, store and commit until cancelled.

        Pipelined: the next fetch is queued on the store thread before the previous one is
        finished, so the thread never waits for the event loop; a fetch's offsets are committed
        explicitly, in fetch order, once the store has committed it.
        """
        settings = self.runtime.settings
        consumer = self._consumer()
        decoder = self._decoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="decode")
        await consumer.start()
        queued: deque[tuple[asyncio.Future[None], Offsets]] = deque()
        try:
            while True:
                fetched = await consumer.getmany(timeout_ms=int(settings.batch_within_s * 1000),
                                                 max_records=settings.batch_size)
                self._publish_assignment(consumer)
                batches = self._by_topic(fetched)
                if batches:
                    if self.runtime.shard_owner is not None:
                        self.runtime.shard_owner.recorded()
                    offsets = {tp: records[-1].offset + 1 for tp, records in fetched.items()
                               if records}
                    queued.append((asyncio.ensure_future(self._store(batches)), offsets))
                while queued and (len(queued) > 1 or queued[0][0].done()):
                    stored, offsets = queued.popleft()
                    await stored
                    await self._commit(consumer, offsets)
        finally:
            self.runtime.stopping.set()  # a batch paused by a store outage gives up, uncommitted
            decoder.shutdown(wait=False, cancel_futures=True)
            await consumer.stop()

    def _publish_assignment(self, consumer: AIOKafkaConsumer) -> None:
        """Tell the projector which shards this worker owns now (``hub.agents.ownership``)."""
        owner = self.runtime.shard_owner
        if owner is not None:
            owner.publish(self.handlers, [(self.runtime.logical(tp.topic), tp.partition)
                                          for tp in consumer.assignment()])

    def _by_topic(self, fetched: Fetched) -> dict[str, list[RawMessage]]:
        by_topic: dict[str, list[RawMessage]] = defaultdict(list)
        for records in fetched.values():
            for m in records:
                topic = self.runtime.logical(m.topic)
                by_topic[topic].append(RawMessage(topic, m.partition, m.offset, m.key, m.value,
                                                  {k: bytes(v or b"") for k, v in m.headers or ()}))
        return by_topic

    async def _store(self, batches: dict[str, list[RawMessage]]) -> None:
        """One fetch, every topic's share: decoded on the decode thread, then stored as one job of
        the store thread (jobs run in the order the decode thread queues them)."""
        loop = asyncio.get_running_loop()
        assert self._decoder is not None  # set by ``run``, the only caller
        queued = await loop.run_in_executor(self._decoder, self._decode, batches)
        unstored = await asyncio.wrap_future(queued)
        await self.send_direct(unstored)
        self.processed += sum(len(batch) for batch in batches.values())

    def _decode(self, batches: dict[str, list[RawMessage]]) -> Future[list[OutboxMessage]]:
        decoded = {topic: self.handlers[topic].decode(batch) for topic, batch in batches.items()}
        return self.runtime.store_executor.submit(self._record, decoded)

    def _record(self, decoded: dict[str, Decoded]) -> list[OutboxMessage]:
        return [message for topic, batch in decoded.items()
                for message in self.handlers[topic].store(batch).unstored]

    async def _commit(self, consumer: AIOKafkaConsumer, offsets: Offsets) -> None:
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            # The batch is stored; after a rebalance it is redelivered and the inbox skips it.
            log.warning("commit_failed group=%s error=%s", self.group_id, type(exc).__name__)

"""What the broker knows: partitions, end offsets, consumer-group offsets, tails of topics.

Tansu answers ListOffsets(latest) with the start of the newest record batch plus one, so the
end offset it reports can lie below the true end when producers batch. Every end offset here
is therefore ``high_water(listed, highest offset actually read + 1)``, with the tail read once
per change of the listed value, and lag is never negative. Plain aiokafka, no Faust.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError, KafkaError

from hub.errors import UpstreamUnavailable
from hub.offsets import Offsets, PartitionLag, high_water, lag, lags_of

__all__ = ["KafkaViews", "Offsets", "PartitionLag", "drain", "high_water", "lag", "lags_of"]


class KafkaViews:
    """Read-only views of the broker through one admin client and two group-less consumers."""

    def __init__(self, bootstrap: str, *, read_timeout_s: float = 5.0) -> None:
        self._bootstrap = bootstrap
        self._timeout = read_timeout_s
        self._admin: AIOKafkaAdminClient | None = None
        self._meta: AIOKafkaConsumer | None = None
        self._ends: dict[TopicPartition, tuple[int, int]] = {}  # tp -> (listed, true end)
        self._lock = asyncio.Lock()

    async def start(self) -> KafkaViews:
        """Connect; ``UpstreamUnavailable`` when no broker answers."""
        self._admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap,
                                          request_timeout_ms=10_000)
        self._meta = self._consumer()
        try:
            await self._admin.start()
            await self._meta.start()
        except (KafkaConnectionError, KafkaError, OSError) as exc:
            await self.close()
            raise UpstreamUnavailable(f"no Kafka broker answers at {self._bootstrap}") from exc
        return self

    async def close(self) -> None:
        """Disconnect."""
        if self._meta is not None:
            await self._meta.stop()
        if self._admin is not None:
            await self._admin.close()

    def reader(self) -> AIOKafkaConsumer:
        """A fresh group-less consumer (not started) for the caller to assign and read."""
        return self._consumer()

    def _consumer(self) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(bootstrap_servers=self._bootstrap, enable_auto_commit=False,
                                group_id=None, auto_offset_reset="earliest",
                                request_timeout_ms=10_000)

    @property
    def meta(self) -> AIOKafkaConsumer:
        """The metadata consumer (started)."""
        if self._meta is None:
            raise RuntimeError("KafkaViews.start() was not called")
        return self._meta

    async def partitions(self, names: Iterable[str]) -> list[TopicPartition]:
        """Partitions of the named topics that exist on the broker."""
        existing = await self.meta.topics()  # refreshes metadata
        found: list[TopicPartition] = []
        for name in names:
            if name in existing:
                parts = self.meta.partitions_for_topic(name) or set()
                found += [TopicPartition(name, p) for p in sorted(parts)]
        return found

    async def offsets(self, tps: Sequence[TopicPartition]) -> dict[TopicPartition, Offsets]:
        """Earliest and true end offset of every partition (see the module docstring)."""
        if not tps:
            return {}
        async with self._lock:
            earliest = await self.meta.beginning_offsets(list(tps))
            listed = await self.meta.end_offsets(list(tps))
            stale = [tp for tp in tps if listed[tp] > earliest[tp]
                     and self._ends.get(tp, (-1, 0))[0] != listed[tp]]
            if stale:
                seen = await self._read_ends(stale, listed, earliest)
                for tp in stale:
                    seen_max, fetched = seen.get(tp, (None, None))
                    self._ends[tp] = (listed[tp], high_water(listed[tp], seen_max, fetched))
        return {tp: Offsets(earliest[tp], max(listed[tp], self._ends.get(tp, (0, 0))[1]))
                for tp in tps}

    async def _read_ends(self, tps: list[TopicPartition], listed: dict[TopicPartition, int],
                         earliest: dict[TopicPartition, int]
                         ) -> dict[TopicPartition, tuple[int | None, int | None]]:
        """Read from the start of each newest batch to the end: (max offset, fetch HW)."""
        reader = self._consumer()
        await reader.start()
        seen: dict[TopicPartition, int] = {}
        try:
            reader.assign(tps)
            for tp in tps:
                reader.seek(tp, max(listed[tp] - 1, earliest[tp]))
            for record in await drain(reader, self._timeout):
                tp = TopicPartition(record.topic, record.partition)
                seen[tp] = max(seen.get(tp, -1), record.offset)
            return {tp: (seen.get(tp), reader.highwater(tp)) for tp in tps}
        finally:
            await reader.stop()

    async def groups(self) -> list[str]:
        """Every consumer group the broker knows."""
        admin = self._admin
        assert admin is not None
        return sorted(str(g[0]) for g in await admin.list_consumer_groups())

    async def committed(self, group: str, tps: Sequence[TopicPartition]
                        ) -> dict[TopicPartition, int]:
        """The group's committed offsets on ``tps`` (partitions without one are left out)."""
        admin = self._admin
        assert admin is not None
        if not tps:
            return {}
        found = await admin.list_consumer_group_offsets(group, partitions=list(tps))
        return {tp: meta.offset for tp, meta in found.items() if meta.offset >= 0}

    async def group_lag(self, group: str, offsets: dict[TopicPartition, Offsets]
                        ) -> list[PartitionLag]:
        """Lag of ``group`` on every partition of the topics it has committed offsets on.

        A partition of such a topic without a commit of its own (created later, or never
        reached) counts from its earliest retained offset rather than being left out.
        """
        committed = await self.committed(group, sorted(offsets))
        return lags_of(group, committed, offsets)

    async def tail(self, tps: Sequence[TopicPartition], limit: int,
                   offsets: dict[TopicPartition, Offsets] | None = None) -> list[ConsumerRecord]:
        """The newest ``limit`` records of each partition, oldest first by timestamp."""
        offsets = offsets or await self.offsets(tps)
        wanted = [tp for tp in tps if offsets[tp].messages > 0]
        if not wanted:
            return []
        reader = self._consumer()
        await reader.start()
        found: list[ConsumerRecord] = []
        try:
            reader.assign(wanted)
            for tp in wanted:
                reader.seek(tp, max(offsets[tp].earliest, offsets[tp].end - limit))
            found = await drain(reader, self._timeout)
        finally:
            await reader.stop()
        found.sort(key=lambda r: (r.timestamp, r.topic, r.partition, r.offset))
        return found

    async def read(self, tp: TopicPartition, start: int, limit: int) -> list[ConsumerRecord]:
        """Up to ``limit`` records of one partition from offset ``start`` (clamped to retention)."""
        offsets = (await self.offsets([tp]))[tp]
        start = min(max(start, offsets.earliest), offsets.end)
        if start >= offsets.end:
            return []
        reader = self._consumer()
        await reader.start()
        try:
            reader.assign([tp])
            reader.seek(tp, start)
            found = await drain(reader, self._timeout, stop_after=limit)
        finally:
            await reader.stop()
        return sorted(found, key=lambda r: r.offset)[:limit]


    async def read_from(self, starts: dict[TopicPartition, int], ends: dict[TopicPartition, int],
                        per_partition: int) -> list[ConsumerRecord]:
        """Up to ``per_partition`` records of each partition from its start, before its end."""
        wanted = {tp: at for tp, at in starts.items() if at < ends[tp]}
        if not wanted:
            return []
        reader = self._consumer()
        await reader.start()
        try:
            reader.assign(list(wanted))
            for tp, at in wanted.items():
                reader.seek(tp, at)
            stop = {tp: min(ends[tp], at + per_partition) for tp, at in wanted.items()}
            found = await drain(reader, self._timeout, stop_at=stop)
        finally:
            await reader.stop()
        return [r for r in found if r.offset < stop[TopicPartition(r.topic, r.partition)]]


async def drain(reader: AIOKafkaConsumer, timeout_s: float, stop_after: int | None = None,
                stop_at: dict[TopicPartition, int] | None = None) -> list[ConsumerRecord]:
    """Everything the assigned consumer can read now (or the first ``stop_after`` records, or
    up to the ``stop_at`` offset of every partition).

    Reading stops once every partition has answered a fetch and its position reached the
    high-water mark of that answer, or at the deadline: an empty first round only means the
    first fetch has not come back yet, not that the partition is empty.
    """
    found: list[ConsumerRecord] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        fetched = await reader.getmany(timeout_ms=200)
        for records in fetched.values():
            found += records
        if stop_after is not None and len(found) >= stop_after:
            break
        if stop_at is not None and await _reached(reader, stop_at):
            break
        if not fetched and await _caught_up(reader):
            break
    return found


async def _reached(reader: AIOKafkaConsumer, stop_at: dict[TopicPartition, int]) -> bool:
    for tp, at in stop_at.items():
        if await reader.position(tp) < at:
            return False
    return True


async def _caught_up(reader: AIOKafkaConsumer) -> bool:
    for tp in reader.assignment():
        high = reader.highwater(tp)
        if high is None or await reader.position(tp) < high:
            return False
    return True

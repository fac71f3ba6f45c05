"""Periodic snapshots of the hub's flows: topics and rates, group lag, agents, connectors.

A snapshot is plain JSON-ready data. Rates come from the difference between two snapshots;
an agent is stalled when its topic has lag and no group offset on it moved for
``stall_after_s`` (only the hub worker's groups count for an agent). Dead letters are counted
in the store (their source of truth, ``hub.store.dead_letters``). Connector statuses (the
worker's own, ``hub-worker``, among them) are followed incrementally from their topic and kept
in memory; a connector whose last status is older than ``silent_after_s`` is shown ``silent``
(its host stopped reporting, whatever it said last). Everything else is asked per snapshot.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

import topics
from hub.codec import AvroCodec
from hub.console import store_reads
from hub.console.kafka_views import KafkaViews, PartitionLag, drain
from hub.console.masking import masked
from hub.errors import PermanentError
from hub.store.dead_letters import letter_counts

Json = dict[str, Any]
TREND_POINTS = 120  # ten minutes at the default five-second sampling


def worker_groups(suffix: str) -> frozenset[str]:
    """Consumer groups of the hub's worker: the Faust app's and the batch recorder's."""
    from hub.app import APP_ID  # imported here: the console needs no Faust app otherwise

    return frozenset({APP_ID + suffix, f"{APP_ID}{suffix}-record"})


def iso(value: datetime | None) -> str | None:
    """ISO 8601 text or None."""
    return None if value is None else value.isoformat()


class Follower:
    """Reads a fixed set of topics from the beginning, returning what is new on each poll."""

    def __init__(self, bootstrap: str, names: list[str]) -> None:
        self._bootstrap = bootstrap
        self._names = names
        self._reader: AIOKafkaConsumer | None = None
        self._assigned: set[TopicPartition] = set()

    async def poll(self, views: KafkaViews) -> list[ConsumerRecord]:
        """New records since the last poll (partitions created meanwhile are picked up)."""
        tps = set(await views.partitions(self._names))
        if not tps:
            return []
        if self._reader is None:
            self._reader = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, group_id=None,
                                            enable_auto_commit=False)
            await self._reader.start()
        if tps - self._assigned:
            positions = {tp: await self._reader.position(tp) for tp in self._assigned}
            self._reader.assign(sorted(tps))
            for tp in tps:
                if tp in positions:
                    self._reader.seek(tp, positions[tp])
            await self._reader.seek_to_beginning(*(tps - self._assigned))
            self._assigned = tps
        return await drain(self._reader, 5.0)

    async def close(self) -> None:
        """Disconnect."""
        if self._reader is not None:
            await self._reader.stop()


@dataclass
class Sampler:
    """Builds snapshots; keeps connector statuses and offset history."""

    views: KafkaViews
    codec: AvroCodec
    engine: Any  # sqlalchemy Engine of the case store
    bootstrap: str
    suffix: str
    stall_after_s: float = 60.0
    silent_after_s: float = 60.0
    on_latency: Callable[[str, float], None] = lambda agent, seconds: None
    clock: Callable[[], float] = time.monotonic  # seconds; tests pass their own
    connectors: dict[str, Json] = field(default_factory=dict)
    last: Json | None = None
    _last_at: float = 0.0
    _advanced: dict[tuple[str, str], tuple[int | None, float]] = field(default_factory=dict)
    _prev_ends: dict[str, tuple[int, float]] = field(default_factory=dict)
    _fact_id: int = -1
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _status: Follower | None = None
    # (at, total lag, messages in per second) of the latest snapshots: the overview's trend
    trend: deque[Json] = field(default_factory=lambda: deque(maxlen=TREND_POINTS))

    def physical(self, name: str) -> str:
        """Broker-side name of a declared topic."""
        return topics.physical(name, self.suffix)

    def logical(self, name: str) -> str:
        """Declared name of a broker-side topic."""
        return topics.logical(name, self.suffix)

    async def snapshot(self, max_age_s: float = 2.0) -> Json:
        """The latest snapshot, taken anew when older than ``max_age_s``."""
        async with self._lock:
            if self.last is None or self.clock() - self._last_at >= max_age_s:
                self.last = await self._take()
                self._last_at = self.clock()
            return self.last

    async def _poll_connectors(self) -> None:
        if self._status is None:
            self._status = Follower(self.bootstrap, [self.physical(topics.CONNECTOR_STATUS)])
        for rec in await self._status.poll(self.views):
            try:
                _, status = self.codec.decode(rec.value)
            except PermanentError:
                continue
            self.connectors[str(status["connector"])] = {
                "connector": status["connector"], "healthy": status["healthy"],
                "last_success": iso(status.get("last_success")),
                "last_failure": iso(status.get("last_failure")),
                "last_error": masked(status.get("last_error")),
                "processed": status["processed"], "reported_at": iso(status.get("produced_at"))}

    def _connectors(self, now: datetime) -> list[Json]:
        """Latest status per connector; ``silent`` when it stopped reporting (host down)."""
        rows = []
        for row in sorted(self.connectors.values(), key=lambda c: c["connector"]):
            at = datetime.fromisoformat(row["reported_at"]) if row["reported_at"] else None
            age = None if at is None else (now - at).total_seconds()
            rows.append({**row, "silent_s": None if age is None else round(max(0.0, age)),
                         "silent": age is None or age > self.silent_after_s})
        return rows

    async def _take(self) -> Json:
        now, mono = datetime.now(UTC), self.clock()
        specs = {self.physical(s.name): s for s in topics.TOPICS}
        tps = await self.views.partitions(specs)
        offsets = await self.views.offsets(tps)
        lags: list[PartitionLag] = []
        for group in await self.views.groups():
            lags += await self.views.group_lag(group, offsets)
        letters = await asyncio.to_thread(letter_counts, self.engine)
        await self._poll_connectors()
        self._observe_latency()
        topic_rows = self._topics(specs, offsets, mono)
        groups = self._groups(lags, mono)
        self.trend.append({"at": now.isoformat(), "lag": sum(g["lag"] for g in groups),
                           "in_per_s": round(sum(t["rate_per_s"] or 0 for t in topic_rows
                                                 if t["direction"] == "inbound"), 3)})
        return {"at": now.isoformat(), "topics": topic_rows, "groups": groups,
                "trend": list(self.trend),
                "agents": self._agents(lags, mono, now),
                "connectors": self._connectors(now),
                "dead_letters": _per_topic(letters),
                "dead_letter_counts": [{"topic": t, "error_type": e, "status": st, "count": n}
                                       for t, e, st, n in letters]}

    def _topics(self, specs: dict[str, topics.TopicSpec], offsets: dict[TopicPartition, Any],
                mono: float) -> list[Json]:
        rows = []
        for name, spec in specs.items():
            mine = {tp: o for tp, o in offsets.items() if tp.topic == name}
            if not mine:
                continue
            end = sum(o.end for o in mine.values())
            prev = self._prev_ends.get(name)
            rate = None if prev is None or mono <= prev[1] else (end - prev[0]) / (mono - prev[1])
            self._prev_ends[name] = (end, mono)
            rows.append({"topic": spec.name, "direction": spec.direction, "pii": spec.pii,
                         "partitions": len(mine), "messages": sum(o.messages for o in
                                                                  mine.values()),
                         "end": end, "rate_per_s": None if rate is None else round(rate, 3)})
        return rows

    def _groups(self, lags: list[PartitionLag], mono: float) -> list[Json]:
        by_group: dict[str, list[PartitionLag]] = {}
        for row in lags:
            by_group.setdefault(row.group, []).append(row)
            key = (row.group, f"{row.topic}/{row.partition}")
            if key not in self._advanced or self._advanced[key][0] != row.committed:
                self._advanced[key] = (row.committed, mono)
        return [{"group": g, "lag": sum(r.lag for r in rows),
                 "stalled": any(self._stalled(r, mono) for r in rows),
                 "partitions": [{"topic": self.logical(r.topic), "partition": r.partition,
                                 "committed": r.committed, "end": r.end, "lag": r.lag}
                                for r in rows]} for g, rows in sorted(by_group.items())]

    def _stalled(self, row: PartitionLag, mono: float) -> bool:
        since = self._advanced.get((row.group, f"{row.topic}/{row.partition}"), (0, mono))[1]
        return row.lag > 0 and mono - since > self.stall_after_s

    def _agents(self, lags: list[PartitionLag], mono: float, now: datetime) -> list[Json]:
        activity = {a.consumer: a for a in store_reads.agent_activity(self.engine)}
        workers = worker_groups(self.suffix)  # other groups on a topic are not its agent
        rows = []
        for spec in topics.TOPICS:
            if spec.direction != "inbound":
                continue
            consumer = f"record:{spec.name}"
            mine = [r for r in lags if self.logical(r.topic) == spec.name
                    and r.group in workers]
            seen = activity.get(consumer)
            if seen is None and not mine:
                continue
            last = seen.last_processed_at if seen else None
            rows.append({"agent": consumer, "topic": spec.name,
                         "handled": seen.handled if seen else 0,
                         "dead_lettered": seen.dead_lettered if seen else 0,
                         "last_processed_at": iso(last),
                         "idle_s": None if last is None else round((now - last).total_seconds()),
                         "lag": sum(r.lag for r in mine),
                         "stalled": any(self._stalled(r, mono) for r in mine)})
        return rows

    def _observe_latency(self) -> None:
        self._fact_id, found = store_reads.new_latencies(self.engine, self._fact_id)
        for topic, seconds in found:
            self.on_latency(f"record:{topic}", seconds)

    async def close(self) -> None:
        """Disconnect the followers."""
        if self._status is not None:
            await self._status.close()


def _per_topic(rows: list[tuple[str, str, str, int]]) -> dict[str, int]:
    """Dead letters per source topic (every status)."""
    found: dict[str, int] = {}
    for topic, _, _, count in rows:
        found[topic] = found.get(topic, 0) + count
    return found

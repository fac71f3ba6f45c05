"""The operator CLI's broker client: synchronous, on kafka-python.

One-shot commands (``hub topics apply/list/tail``, ``hub lag``, ``hub dlq redrive``) need no event
loop, so they talk to the broker through kafka-python's ``KafkaAdminClient``, ``KafkaConsumer``
and ``KafkaProducer``; the worker, the connectors and the web console stay on aiokafka. End
offsets are corrected for Tansu as in ``hub.offsets`` (the listed end can lie below the true
end): the newest batch of a partition is read once per change of the listed value.

Verified against the embedded broker (Tansu 0.6) with kafka-python 3.0.12: topic creation and
listing, ``list_groups``, ``list_group_offsets``, ``alter_group_offsets``, produce with headers
and assign/seek/poll. Not usable there: ``describe_groups`` as it is (Tansu's
``authorized_operations`` value is refused by kafka-python's ACL enum: ``hub.compat``), the
``latest`` spec of ``reset_group_offsets`` (clamped to Tansu's listed end, not the true one:
``hub.groups``) and ``offsets_for_times`` (Tansu answers from append time: ``offsets_for_times``
here searches the records' timestamps).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError

import topics
from hub.errors import UpstreamUnavailable
from hub.offsets import Offsets, PartitionLag, high_water, lags_of
from topics import TopicSpec

REQUEST_TIMEOUT_MS = 10_000
# kafka-python logs from its own I/O loop: a warning whenever a task runs over 0.1 s (routine on
# a busy machine) and an error for a metadata refresh cancelled by close(). Failures reach the
# operator as our own errors (UpstreamUnavailable), so its log lines are only noise here.
logging.getLogger("kafka").setLevel(logging.CRITICAL)
BOOTSTRAP_TIMEOUT_MS = 5_000  # an operator waits 5 s, not 30, to hear no broker answers


@dataclass(frozen=True)
class ApplyResult:
    """What ``create_missing_topics`` did."""

    created: list[str]
    existing: list[str]


@dataclass(frozen=True)
class Sent:
    """Where the broker put a produced message."""

    topic: str
    partition: int
    offset: int


class BrokerOps:
    """Admin client, a group-less reader and (on first send) a producer, on one bootstrap."""

    def __init__(self, bootstrap: str, *, read_timeout_s: float = 5.0) -> None:
        self.bootstrap = bootstrap
        self._timeout = read_timeout_s
        self._producer: KafkaProducer | None = None
        self._ends: dict[TopicPartition, tuple[int, int]] = {}  # tp -> (listed, true end)
        try:
            self._admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="hub-cli",
                                           request_timeout_ms=REQUEST_TIMEOUT_MS,
                                           bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS)
            self._reader = self._consumer()
        except (KafkaError, OSError) as exc:
            raise UpstreamUnavailable(f"no Kafka broker answers at {bootstrap}") from exc

    def __enter__(self) -> BrokerOps:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Disconnect everything that was connected."""
        if self._producer is not None:
            self._producer.close(timeout=10)
        self._reader.close()
        self._admin.close()

    def _consumer(self) -> KafkaConsumer:
        return KafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None,
                             enable_auto_commit=False, auto_offset_reset="earliest",
                             client_id="hub-cli", request_timeout_ms=REQUEST_TIMEOUT_MS + 1,
                             bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS)

    # topics ──────────────────────────────────────────────────────────────────────────────

    def topic_names(self) -> set[str]:
        """Names of the topics the broker has."""
        return set(self._admin.list_topics())

    def create_missing(self, specs: Sequence[TopicSpec], suffix: str = "") -> ApplyResult:
        """Create every declared topic that is missing; leave existing ones unchanged."""
        present = self.topic_names()
        wanted = {topics.physical(spec.name, suffix): spec for spec in specs}
        missing = sorted(name for name in wanted if name not in present)
        if missing:
            self._admin.create_topics({name: {
                "num_partitions": wanted[name].partitions, "replication_factor": 1,
                "configs": {"retention.ms": str(wanted[name].retention_ms),
                            "cleanup.policy": "delete"}} for name in missing})
        return ApplyResult(created=missing, existing=sorted(set(wanted) - set(missing)))

    def partitions(self, names: Iterable[str]) -> list[TopicPartition]:
        """Partitions of the named topics that exist on the broker."""
        present = self.topic_names()
        found: list[TopicPartition] = []
        for name in names:
            if name in present:
                parts = self._reader.partitions_for_topic(name) or set()
                found += [TopicPartition(name, p) for p in sorted(parts)]
        return found

    def offsets(self, tps: Sequence[TopicPartition]) -> dict[TopicPartition, Offsets]:
        """Earliest and true end offset of every partition (see the module docstring)."""
        if not tps:
            return {}
        earliest = self._reader.beginning_offsets(list(tps))
        listed = self._reader.end_offsets(list(tps))
        stale = [tp for tp in tps if listed[tp] > earliest[tp]
                 and self._ends.get(tp, (-1, 0))[0] != listed[tp]]
        if stale:
            starts = {tp: max(listed[tp] - 1, earliest[tp]) for tp in stale}
            seen = {tp: -1 for tp in stale}
            for record in self._read(starts):
                tp = TopicPartition(record.topic, record.partition)
                seen[tp] = max(seen[tp], record.offset)
            for tp in stale:
                self._ends[tp] = (listed[tp], high_water(listed[tp], seen[tp],
                                                         self._reader.highwater(tp)))
        return {tp: Offsets(earliest[tp], max(listed[tp], self._ends.get(tp, (0, 0))[1]))
                for tp in tps}

    # reading ─────────────────────────────────────────────────────────────────────────────

    def read(self, starts: dict[TopicPartition, int], limit: int | None = None
             ) -> list[ConsumerRecord]:
        """Records from each partition's start offset to its end (at most ``limit`` in all)."""
        return sorted(self._read(starts, limit), key=lambda r: (r.timestamp, r.topic,
                                                                r.partition, r.offset))

    def _read(self, starts: dict[TopicPartition, int], limit: int | None = None
              ) -> list[ConsumerRecord]:
        if not starts:
            return []
        self._reader.assign(list(starts))
        for tp, start in starts.items():
            self._reader.seek(tp, start)
        found: list[ConsumerRecord] = []
        for batch in self.follow(idle_stop=True):
            found += batch
            if limit is not None and len(found) >= limit:
                return found[:limit]
        return found

    def follow(self, *, idle_stop: bool = False) -> Iterator[list[ConsumerRecord]]:
        """Batches from the assigned partitions; with ``idle_stop`` until caught up.

        An empty poll only means no answer came back yet: reading stops once every partition
        answered and its position reached that answer's high-water mark, or at the deadline.
        """
        deadline = time.monotonic() + self._timeout
        while not idle_stop or time.monotonic() < deadline:
            polled = self._reader.poll(timeout_ms=200)
            batch = [record for records in polled.values() for record in records]
            if batch:
                yield batch
            elif idle_stop and self._caught_up():
                return

    def _caught_up(self) -> bool:
        for tp in self._reader.assignment():
            high = self._reader.highwater(tp)
            if high is None or self._reader.position(tp) < high:
                return False
        return True

    def tail(self, tps: Sequence[TopicPartition], limit: int,
             offsets: dict[TopicPartition, Offsets]) -> list[ConsumerRecord]:
        """The newest ``limit`` records of each partition, oldest first by timestamp."""
        return self.read({tp: max(offsets[tp].earliest, offsets[tp].end - limit)
                          for tp in tps if offsets[tp].messages > 0})

    def assign_at(self, starts: dict[TopicPartition, int]) -> None:
        """Point the reader at these offsets, for ``follow``."""
        self._reader.assign(list(starts))
        for tp, start in starts.items():
            self._reader.seek(tp, start)

    def offsets_for_times(self, tps: Sequence[TopicPartition], at_ms: int
                          ) -> dict[TopicPartition, int | None]:
        """Per partition the first offset whose timestamp is at or after ``at_ms`` (None: none).

        Tansu answers ListOffsets by timestamp from the time it appended a batch (offset 0 for
        anything earlier), so this searches the records' own timestamps instead: a binary
        search of single reads, assuming timestamps grow with offsets as Kafka's index does.
        """
        offsets = self.offsets(tps)
        return {tp: self._first_at(tp, at_ms, offsets[tp]) for tp in tps}

    def _first_at(self, tp: TopicPartition, at_ms: int, off: Offsets) -> int | None:
        low, high = off.earliest, off.end  # the answer lies in [low, high]; high = none
        while low < high:
            middle = (low + high) // 2
            stamp = self._timestamp_at(tp, middle)
            if stamp is None or stamp >= at_ms:
                high = middle
            else:
                low = middle + 1
        return None if low >= off.end else low

    def _timestamp_at(self, tp: TopicPartition, offset: int) -> int | None:
        self._reader.assign([tp])
        self._reader.seek(tp, offset)
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            for record in self._reader.poll(timeout_ms=200).get(tp, []):
                if record.offset >= offset:
                    return int(record.timestamp)
        return None

    # consumer groups ─────────────────────────────────────────────────────────────────────

    @property
    def admin(self) -> KafkaAdminClient:
        """The admin client (``hub.groups`` describes and resets groups with it)."""
        return self._admin

    def groups(self) -> list[str]:
        """Every consumer group the broker knows."""
        return sorted(str(g["group_id"]) for g in self._admin.list_groups())

    def committed(self, group: str) -> dict[TopicPartition, int]:
        """The group's committed offsets (partitions without one are left out)."""
        found = self._admin.list_group_offsets({group: None}).get(group, {})
        return {TopicPartition(tp.topic, tp.partition): meta.offset
                for tp, meta in found.items() if meta.offset >= 0}

    def lags(self) -> list[PartitionLag]:
        """Lag of every group on every partition of the topics it committed on."""
        committed = {group: self.committed(group) for group in self.groups()}
        names = sorted({tp.topic for offsets in committed.values() for tp in offsets})
        offsets = self.offsets(self.partitions(names))
        return [row for group, done in committed.items()
                for row in lags_of(group, done, offsets)]

    # producing ───────────────────────────────────────────────────────────────────────────

    def send(self, topic: str, key: bytes | None, value: bytes,
             headers: Sequence[tuple[str, bytes]] = ()) -> Sent:
        """Produce one message and wait for the broker's acknowledgement."""
        if self._producer is None:
            self._producer = KafkaProducer(bootstrap_servers=self.bootstrap, acks="all",
                                           client_id="hub-cli", enable_idempotence=False,
                                           bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS)
        try:
            meta = self._producer.send(topic, key=key, value=value,
                                       headers=list(headers)).get(timeout=30)
        except KafkaError as exc:
            raise UpstreamUnavailable(f"the broker did not take a message for {topic}: "
                                      f"{type(exc).__name__}") from exc
        return Sent(meta.topic, meta.partition, meta.offset)


def create_missing_topics(bootstrap: str, suffix: str = "",
                          specs: Sequence[TopicSpec] | None = None) -> ApplyResult:
    """Create every declared topic (or those in ``specs``) that is missing."""
    with BrokerOps(bootstrap) as ops:
        return ops.create_missing(topics.TOPICS if specs is None else specs, suffix)

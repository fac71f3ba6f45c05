"""Offsets and lag as plain values, shared by the console (aiokafka) and the CLI (kafka-python).

Tansu answers ListOffsets(latest) with the start of the newest record batch plus one, so the
end offset it lists can lie below the true end when producers batch. A true end offset is
``high_water(listed, highest offset actually read + 1, fetch high-water mark)``; lag is never
negative.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Protocol


class _TopicPartition(Protocol, Hashable):
    """aiokafka's and kafka-python's ``TopicPartition`` (both named tuples)."""

    @property
    def topic(self) -> str: ...

    @property
    def partition(self) -> int: ...


def high_water(listed: int, seen_max: int | None = None, fetched: int | None = None) -> int:
    """The true end offset: the largest of the listed end, last offset read + 1, fetch HW."""
    return max(listed, -1 if seen_max is None else seen_max + 1, fetched or 0)


def lag(committed: int | None, end: int, earliest: int = 0) -> int:
    """Messages a group still has to read on a partition; never negative."""
    position = earliest if committed is None or committed < 0 else max(committed, earliest)
    return max(0, end - position)


@dataclass(frozen=True)
class Offsets:
    """Earliest and (true) end offset of one partition."""

    earliest: int
    end: int

    @property
    def messages(self) -> int:
        """Messages currently retained."""
        return max(0, self.end - self.earliest)


@dataclass(frozen=True)
class PartitionLag:
    """A group's position on one partition."""

    group: str
    topic: str
    partition: int
    committed: int | None
    end: int
    lag: int


def lags_of(group: str, committed: Mapping[_TopicPartition, int],
            offsets: Mapping[_TopicPartition, Offsets]) -> list[PartitionLag]:
    """Per-partition lag of ``group`` on every partition of the topics it committed on."""
    followed = {tp.topic for tp in committed}
    return [PartitionLag(group, tp.topic, tp.partition, committed.get(tp), offsets[tp].end,
                         lag(committed.get(tp), offsets[tp].end, offsets[tp].earliest))
            for tp in sorted(offsets, key=lambda tp: (tp.topic, tp.partition))
            if tp.topic in followed]

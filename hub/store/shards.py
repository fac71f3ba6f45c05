"""Projection shards: which worker's projector projects which cases (issue 24).

Every key belongs to one of ``SHARDS`` shards (CRC-32 of the key), stored with its dirty mark.
A worker owns the shards whose number modulo the reference topic's partition count is one of
the partitions its consumer was assigned (``owned_shards``): the consumer group gives each
partition to one worker, so each shard has one owner and no case is projected by two workers
for the same facts (between a rebalance and the next fetch two may overlap; projections are
pure and versioned, so that costs work, never correctness).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

SHARDS = 256


def shard_of(key: str) -> int:
    """The shard of a case (or invoice, or household) key."""
    return zlib.crc32(key.encode()) % SHARDS


def owned_shards(partitions: Iterable[int], partition_count: int) -> list[int]:
    """The shards owned by a worker assigned ``partitions`` of a topic with ``partition_count``."""
    mine = set(partitions)
    return [s for s in range(SHARDS) if s % max(partition_count, 1) in mine]

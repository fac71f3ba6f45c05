"""Which projection shards this worker owns, shared with its projector child (issue 24).

The worker's recording consumer learns its partitions from the consumer group; after each
fetch it publishes the shards they own (``hub.store.shards.owned_shards``) on the reference
topic: the subscribed topic with the most partitions (first by name), the same for every
worker. The projector child reads them before each chunk. Until the first assignment is known
the projector projects nothing: another worker may own those cases. The worker also stamps
when it last recorded a batch (``recorded``), so its projectors know a burst is on
(``recording``: ``hub.agents.projector_process`` leaves the CPU and the write lock to the
worker then).
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterable

import topics
from hub.store.shards import SHARDS, owned_shards


class ShardOwnership:
    """Shard flags and the last recording time in shared memory: written by the worker, read
    by its projector processes."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._flags = context.Array("b", SHARDS + 1, lock=False)  # last slot: known yet?
        self._recorded_at = context.Value("d", 0.0, lock=False)  # ``time.monotonic``
        self._seen: tuple[int, ...] | None = None

    def recorded(self) -> None:
        """The worker recorded a batch just now."""
        self._recorded_at.value = time.monotonic()

    def recording(self, within_s: float) -> bool:
        """Whether the worker recorded a batch in the last ``within_s`` seconds (a burst)."""
        return time.monotonic() - self._recorded_at.value < within_s

    def publish(self, subscribed: Iterable[str], assigned: Iterable[tuple[str, int]]) -> None:
        """Record the consumer's assignment: (logical topic, partition) pairs of ``subscribed``."""
        ref = reference_topic(subscribed)
        count = topics.by_name(ref).partitions
        owned = owned_shards({p for t, p in assigned if t == ref}, count)
        key = tuple(owned)
        if key == self._seen:
            return
        self._seen = key
        mine = set(owned)
        for shard in range(SHARDS):
            self._flags[shard] = shard in mine
        self._flags[SHARDS] = 1

    def owned(self) -> list[int] | None:
        """The shards to project, or None before the first assignment is known."""
        if not self._flags[SHARDS]:
            return None
        return [s for s in range(SHARDS) if self._flags[s]]


def reference_topic(subscribed: Iterable[str]) -> str:
    """The topic whose partitions decide shard ownership: most partitions, then first by name."""
    return min(subscribed, key=lambda name: (-topics.by_name(name).partitions, name))

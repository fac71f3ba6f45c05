"""Decoded facts kept between batches, so a busy case's history is not re-read and re-parsed.

A fact never changes once committed (facts are insert-only, deduplicated by message id), so
a cached fact stays right for as long as its row exists; the store asks the database which
message ids a case has and only fetches the ones it does not hold. Only committed facts are
cached: a batch's own new facts are added after its commit, never before, so a rolled-back
batch leaves nothing behind here either. Projections must not mutate the facts they get.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

from hub.store.records import Fact

DEFAULT_CAPACITY = 100_000  # facts; roughly 1-2 KiB each for a typical decoded record


class FactCache:
    """A thread-safe, least-recently-used map message id -> decoded Fact."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[str, Fact] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, message_ids: Iterable[str]) -> dict[str, Fact]:
        """The cached facts among ``message_ids``, by message id."""
        found = {}
        with self._lock:
            for message_id in message_ids:
                fact = self._entries.get(message_id)
                if fact is not None:
                    self._entries.move_to_end(message_id)
                    found[message_id] = fact
        return found

    def put(self, facts: Iterable[Fact]) -> None:
        """Remember committed facts, forgetting the least recently used beyond capacity."""
        if self._capacity <= 0:
            return
        with self._lock:
            for fact in facts:
                self._entries[fact.message_id] = fact
                self._entries.move_to_end(fact.message_id)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (before a rebuild, say)."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

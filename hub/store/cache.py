"""Decoded facts kept between batches, so a busy case's history is not re-parsed each time.

Facts never change once stored, but an entry is only used when the stored row (JSON text
included) is still exactly the row it was decoded from; a stale or rolled-back entry can therefore
never leak into a view. Projections must not mutate the facts they are given.
"""

from __future__ import annotations

import threading

from hub.store.jsonsafe import loads
from hub.store.records import Fact

DEFAULT_CAPACITY = 20_000


class FactCache:
    """A bounded map message id -> (payload text, decoded Fact); drops the oldest half when full."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._entries: dict[str, tuple[tuple[str, str, str, str, int, int], Fact]] = {}
        self._lock = threading.Lock()

    def fact(
        self, message_id: str, case_ref: str, kind: str, payload: str, source_topic: str,
        source_partition: int, source_offset: int,
    ) -> Fact:
        """The Fact for a stored row, decoded only when its text is not cached."""
        hit = self._entries.get(message_id)
        if hit is not None and hit[0] == (
            payload, case_ref, kind, source_topic, source_partition, source_offset
        ):
            return hit[1]
        fact = Fact(message_id, case_ref, kind, loads(payload), source_topic,
                    source_partition, source_offset)
        self.put(fact, payload)
        return fact

    def put(self, fact: Fact, payload: str) -> None:
        """Remember a fact whose record is already decoded (one just written, say)."""
        if self._capacity > 0:
            row = (payload, fact.case_ref, fact.kind, fact.source_topic, fact.source_partition,
                   fact.source_offset)
            with self._lock:
                self._entries[fact.message_id] = (row, fact)
                if len(self._entries) > self._capacity:
                    self._evict()

    def _evict(self) -> None:
        keep = list(self._entries.items())[len(self._entries) // 2 :]
        self._entries = dict(keep)

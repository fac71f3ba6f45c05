"""A ``TopicWriter`` for tests without a broker: encodes every record with its topic's schema
(so a record that does not fit its contract fails here) and keeps it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hub.publish import TopicWriter
from hub.runtime import Runtime


class RecordingWriter(TopicWriter):
    """Keeps ``(topic, record)`` pairs in ``sent`` instead of producing them."""

    def __init__(self, runtime: Runtime) -> None:
        self._codec, self._suffix = runtime.codec, ""  # no producer: nothing is sent
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def send_many(self, topic: str, records: Sequence[Mapping[str, Any]]) -> None:
        for record in records:
            self.encode(topic, record)
            self.sent.append((topic, dict(record)))

    def on(self, topic: str) -> list[dict[str, Any]]:
        """The records sent to ``topic``."""
        return [r for t, r in self.sent if t == topic]

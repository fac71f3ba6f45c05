"""Consume outbound hub topics in batches and hand them to a file writer; commit after writing.

Shared by the file-based connectors (taalaanbieder, financieel). A batch is committed only after
the handler returned, so a crash repeats the batch: handlers keep a ``Ledger`` of what they wrote
and skip it the second time. Bytes that do not decode go to the topic's dead-letter topic.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

import topics
from connectors.base import Health
from hub.errors import HubError, PermanentError
from hub.privacy import redact
from hub.publish import TopicWriter
from hub.runtime import Runtime

log = logging.getLogger(__name__)
STOP_GRACE_S = 2.0
Handler = Callable[[Sequence[tuple[str, dict[str, Any]]]], Awaitable[None]]


@dataclass
class OutboundReader:
    """A consumer group on ``names`` feeding decoded records to ``handle`` batch by batch."""

    runtime: Runtime
    writer: TopicWriter
    health: Health
    group: str
    names: tuple[str, ...]
    handle: Handler
    retry_s: float = 1.0

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop``; a failing handler or broker is retried from the last commit."""
        while not stop.is_set():
            try:
                async with self._consumer() as consumer:
                    await self._consume(consumer, stop)
            except Exception as exc:  # broker or handler failed: report, wait, start over
                self.health.failed(exc)
                log.warning("outbound_failed group=%s error=%s", self.group, type(exc).__name__)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.retry_s)

    @contextlib.asynccontextmanager
    async def _consumer(self) -> AsyncIterator[AIOKafkaConsumer]:
        settings = self.runtime.settings
        consumer = AIOKafkaConsumer(
            *(topics.physical(t, settings.topic_suffix) for t in self.names),
            bootstrap_servers=settings.kafka_bootstrap, group_id=self.group + settings.topic_suffix,
            enable_auto_commit=False, auto_offset_reset="earliest", session_timeout_ms=6_000,
            heartbeat_interval_ms=2_000, max_poll_interval_ms=600_000)
        try:
            await consumer.start()
            yield consumer
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(consumer.stop(), STOP_GRACE_S)

    async def _consume(self, consumer: AIOKafkaConsumer, stop: asyncio.Event) -> None:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            if not batches:
                continue
            decoded: list[tuple[str, dict[str, Any]]] = []
            offsets = {}
            for tp, messages in batches.items():
                topic = self.runtime.logical(tp.topic)
                for message in messages:
                    try:
                        decoded.append((topic, self.runtime.codec.decode(message.value)[1]))
                    except PermanentError as exc:
                        await self._dead_letter(topic, message, exc)
                offsets[TopicPartition(tp.topic, tp.partition)] = messages[-1].offset + 1
            if decoded:
                await self.handle(decoded)
                self.health.succeeded(len(decoded))
            await consumer.commit(offsets)

    async def _dead_letter(self, topic: str, message: Any, exc: HubError) -> None:
        now = datetime.now(UTC)
        log.warning("dead_lettered consumer=%s position=%s/%d/%d error_type=%s", self.group,
                    topic, message.partition, message.offset, type(exc).__name__)
        await self.writer.send(topics.dead_letter_of(topic), {
            "message_id": f"dl:{self.group}:{topic}/{message.partition}/{message.offset}",
            "case_ref": "", "source": "hub", "produced_at": now, "consumer": self.group,
            "source_topic": topic, "source_partition": message.partition,
            "source_offset": message.offset, "original_key": message.key,
            "original_value": message.value or b"", "original_message_id": None,
            "error_type": type(exc).__name__, "error_message": redact(str(exc))[:500],
            "attempts": 1, "failed_at": now})


def refused_record(group: str, topic: str, original: bytes, record: dict[str, Any],
                   reason: str) -> dict[str, Any]:
    """A DeadLetter for a record that decoded but cannot be delivered (``reason`` names why)."""
    now = datetime.now(UTC)
    return {"message_id": f"dl:{group}:{record['message_id']}", "case_ref": record["case_ref"],
            "source": "hub", "produced_at": now, "consumer": group, "source_topic": topic,
            "source_partition": -1, "source_offset": -1, "original_key": None,
            "original_value": original, "original_message_id": record["message_id"],
            "error_type": "InvalidField", "error_message": redact(reason)[:500], "attempts": 1,
            "failed_at": now}


class Ledger:
    """Append-only JSON-lines record of what a connector wrote, keyed by id; survives restarts."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, dict[str, Any]] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    entry = json.loads(line)
                    self.entries[str(entry["id"])] = entry

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry written under ``key``, if any."""
        return self.entries.get(key)

    def add(self, entries: Sequence[dict[str, Any]]) -> None:
        """Append entries (each with an ``id``) and fsync."""
        if not entries:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            for entry in entries:
                handle.write(json.dumps(entry, default=str, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        for entry in entries:
            self.entries[str(entry["id"])] = entry

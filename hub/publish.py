"""Produce hub records to their declared topics: Avro-framed, keyed by case reference."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, KafkaError

import topics
from hub.codec import AvroCodec
from hub.errors import UpstreamUnavailable

KEY_SCHEMA = "nl.inburgering.hub.CaseKey"


class TopicWriter:
    """An aiokafka producer that encodes with the topic's declared schemas."""

    def __init__(self, bootstrap: str, codec: AvroCodec, *, suffix: str = "") -> None:
        self._codec = codec
        self._suffix = suffix
        # No idempotence: Tansu rejects InitProducerId; dedup happens in the store's inbox.
        self._producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                          linger_ms=5, enable_idempotence=False)

    async def start(self) -> TopicWriter:
        """Connect to the broker."""
        try:
            await self._producer.start()
        except (KafkaConnectionError, KafkaError, OSError) as exc:
            await self._producer.stop()
            raise UpstreamUnavailable("Kafka broker unreachable") from exc
        return self

    async def stop(self) -> None:
        """Flush and disconnect."""
        await self._producer.stop()

    def encode(self, topic: str, record: Mapping[str, Any]) -> tuple[bytes, bytes]:
        """(key, value) bytes for ``record`` on ``topic``."""
        spec = topics.by_name(topic)
        key = self._codec.encode(KEY_SCHEMA, {"case_ref": record["case_ref"]})
        return key, self._codec.encode(spec.value_schema, record)

    async def send(self, topic: str, record: Mapping[str, Any]) -> None:
        """Encode and produce one record; returns when the broker acknowledged it."""
        await self.send_many(topic, [record])

    async def send_many(self, topic: str, records: Sequence[Mapping[str, Any]]) -> None:
        """Encode and produce records in order; returns when all are acknowledged."""
        await self.send_raw(topic, [self.encode(topic, record) for record in records])

    async def send_raw(self, topic: str, pairs: Sequence[tuple[bytes | None, bytes | None]],
                       headers: Sequence[tuple[str, bytes]] = ()) -> None:
        """Produce already-encoded (key, value) pairs to a declared topic."""
        name = topics.physical(topic, self._suffix)
        futures = [await self._producer.send(name, value=value, key=key,
                                             headers=list(headers) or None)
                   for key, value in pairs]
        for future in futures:
            await future

    async def __aenter__(self) -> TopicWriter:
        return await self.start()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

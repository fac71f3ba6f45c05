"""Recording agents: every inbound message stored once as a fact, or dead-lettered.

Two drivers feed the same ``BatchHandler``: ``batch`` (default) takes whole aiokafka fetches;
``faust`` runs one Faust stream agent per topic with ``take_events``. Both ack or commit only
after the store transaction; ``hub bench`` compares them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

import faust

import topics
from hub.agents.batch import BatchRecorder
from hub.agents.handler import BatchHandler, RawMessage
from hub.agents.store_outage import OutagePolicy
from hub.errors import StoreStopping
from hub.runtime import Runtime
from hub.store import OutboxMessage

log = logging.getLogger(__name__)


def register_fact_agents(app: faust.App, runtime: Runtime) -> None:
    """Record every inbound topic of the catalogue, with the configured driver."""
    inbound = [spec for spec in topics.TOPICS if spec.direction == "inbound"]
    if runtime.settings.agent_driver == "faust":
        for spec in inbound:
            _register(app, runtime, spec)
        return
    handlers = {spec.name: _handler(runtime, spec) for spec in inbound}

    async def send(messages: Sequence[OutboxMessage]) -> None:
        await send_direct(app, runtime, messages)

    recorder = BatchRecorder(runtime, handlers, f"{app.conf.id}-record", send)

    async def record_inbound() -> None:
        await recorder.run()

    app.task(record_inbound)


def _handler(runtime: Runtime, spec: topics.TopicSpec) -> BatchHandler:
    settings = runtime.settings
    outage = OutagePolicy(quiet_attempts=settings.retry_attempts,
                          backoff_s=settings.retry_backoff_s, stopping=runtime.stopping)
    return BatchHandler(consumer_name(spec.name), codec=runtime.codec, store=runtime.store,
                        outage=outage)


def consumer_name(topic: str) -> str:
    """The inbox consumer name of the agent recording ``topic``."""
    return f"record:{topic}"


def _register(app: faust.App, runtime: Runtime, spec: topics.TopicSpec) -> None:
    settings = runtime.settings
    name = consumer_name(spec.name)
    handler = _handler(runtime, spec)
    channel = app.topic(runtime.physical(spec.name), key_serializer="raw",
                        value_serializer="raw", partitions=spec.partitions)

    async def record(stream: faust.StreamT[Any]) -> AsyncIterator[int]:
        loop = asyncio.get_running_loop()
        # take_events (faust-streaming) acks a batch only after this body has stored it.
        batches = stream.take_events(settings.batch_size,  # type: ignore[attr-defined]
                                     settings.batch_within_s)
        async for events in batches:
            batch = [raw_message(runtime, event.message) for event in events]
            try:
                result = await loop.run_in_executor(runtime.store_executor, handler.handle,
                                                    batch)
            except StoreStopping:  # stopping during a store outage: wait to be cancelled,
                await asyncio.Event().wait()  # never ack (an agent that raises acks)
            await send_direct(app, runtime, result.unstored)
            yield len(batch)

    app.agent(channel, name=name.replace(":", "-"))(record)


def raw_message(runtime: Runtime, message: Any) -> RawMessage:
    """Faust message -> transport-neutral RawMessage (logical topic name)."""
    headers = message.headers or {}
    if not isinstance(headers, dict):
        headers = {k: bytes(v or b"") for k, v in headers}
    return RawMessage(topic=runtime.logical(message.topic), partition=message.partition,
                      offset=message.offset, key=message.key, value=message.value,
                      headers=headers)


async def send_direct(app: faust.App, runtime: Runtime, messages: Sequence[OutboxMessage]) -> None:
    """Send dead letters that could not go through the store straight to their topic."""
    for message in messages:
        await app.producer.send_and_wait(runtime.physical(message.topic), message.key,
                                         message.value, None, None, None)
        log.error("dead_letter_sent_direct topic=%s id=%s", message.topic, message.message_id)

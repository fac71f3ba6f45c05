"""Records every dead letter that arrives on a dead-letter topic in the store.

The store is the dead letters' source of truth (issue 18). In-hub letters are already there
(written with their batch; their copy on the topic is skipped by id); connector-edge letters
arrive only on the topics and are recorded here, sealed originals and all. A letter that is the
re-drive of an earlier one marks that one failed-again. A store outage pauses this agent like
the recording agents (``store_outage``): the event is not acked until the store has it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import faust

import topics
from hub.agents.store_outage import OutagePolicy
from hub.codec import AvroCodec
from hub.errors import PermanentError
from hub.runtime import Runtime
from hub.store import NewDeadLetter

log = logging.getLogger(__name__)
CONSUMER = "watch-dead-letters"
DEAD_LETTER_SCHEMA = "nl.inburgering.hub.DeadLetter"


def letter_of(codec: AvroCodec, dlt: str, partition: int, offset: int,
              value: bytes | None) -> NewDeadLetter:
    """The store row for a message on a dead-letter topic (an undecodable one kept whole)."""
    try:
        name, record = codec.decode(value)
        if name != DEAD_LETTER_SCHEMA:
            raise PermanentError(f"{name} on a dead-letter topic")
    except PermanentError as exc:
        source = dlt.removesuffix(topics.DLT_SUFFIX)
        return NewDeadLetter(
            letter_id=f"dl:{CONSUMER}:{dlt}/{partition}/{offset}", consumer=CONSUMER,
            source_topic=source, error_type="UndecodableDeadLetter",
            error_message=f"not a DeadLetter record: {type(exc).__name__}",
            failed_at=datetime.now(UTC), original_value=value, dead_letter_topic=dlt)
    return from_record(record, dlt)


def from_record(record: dict[str, Any], dlt: str) -> NewDeadLetter:
    """A decoded ``DeadLetter`` record as the store's row."""
    sealed = record.get("sealed_original")
    return NewDeadLetter(
        letter_id=str(record["message_id"]), consumer=str(record["consumer"]),
        source_topic=str(record["source_topic"]), error_type=str(record["error_type"]),
        error_message=str(record["error_message"]), failed_at=record["failed_at"],
        kind=str(record.get("kind") or "hub"),
        source_partition=int(record["source_partition"]),
        source_offset=int(record["source_offset"]), case_ref=str(record.get("case_ref") or ""),
        attempts=int(record["attempts"]), original_key=record.get("original_key"),
        original_value=None if sealed else record.get("original_value"),
        original_message_id=record.get("original_message_id"),
        sealed_original=dict(sealed) if sealed else None, reentry=record.get("reentry"),
        redrive_of=record.get("redrive_of"), dead_letter_topic=dlt)


def register_dead_letter_watch(app: faust.App, runtime: Runtime) -> None:
    """Register the agent on every dead-letter topic of the catalogue."""
    names = [runtime.physical(s.name) for s in topics.TOPICS if s.direction == "dead-letter"]
    channel = app.topic(*names, key_serializer="raw", value_serializer="raw")
    outage = OutagePolicy(stopping=runtime.stopping)

    def record(letter: NewDeadLetter) -> bool:
        return bool(outage.run(CONSUMER, lambda: runtime.store.add_dead_letters([letter])))

    async def watch_dead_letters(stream: faust.StreamT[Any]) -> AsyncIterator[int]:
        loop = asyncio.get_running_loop()
        async for event in stream.events():
            message = event.message
            letter = letter_of(runtime.codec, runtime.logical(message.topic), message.partition,
                               message.offset, event.value)
            new = await loop.run_in_executor(runtime.store_executor, record, letter)
            log.info("dead_letter_recorded id=%s kind=%s topic=%s error_type=%s new=%s",
                     letter.letter_id, letter.kind, letter.source_topic, letter.error_type, new)
            yield 1

    app.agent(channel, name=CONSUMER)(watch_dead_letters)

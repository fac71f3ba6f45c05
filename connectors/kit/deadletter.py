"""Dead letters at the connector edge: built and sent in this one place.

A record the hub cannot take or deliver (a refused answer, a poison message, a signal no
subscriber accepts) becomes a ``DeadLetter`` (shape of ``hub.agents.handler``) on its topic's
dead-letter topic, the error naming fields, never a BSN. Two kinds:

- ``put`` / ``put_consumed``: the original is a hub message (Avro, BSNs encrypted), kept whole
  (kind ``hub``); a re-drive sends it back to its source topic.
- ``put_edge``: the original is the partner's own payload (a notification with its details, a
  page, an invoice), which may hold a BSN in plaintext: it is only ever sealed (AES-GCM under a
  key id, ``hub.privacy.BsnCipher.seal_payload``) into ``sealed_original`` (kind ``edge``),
  with ``reentry`` naming how it re-enters its connector when re-driven
  (``connectors.kit.reentry``). It is never on a topic, in the store or in a log in plaintext.

The worker records every letter arriving on a dead-letter topic in the store (its source of
truth); a letter that is the re-drive of an earlier one names it in ``redrive_of``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from aiokafka import ConsumerRecord

import topics
from hub.errors import InvalidField
from hub.privacy import redact

log = logging.getLogger(__name__)
REDRIVE_HEADER = "hub-redrive-of"  # set on a re-driven message (hub.agents.handler)
ATTEMPTS_HEADER = "hub-attempts"  # the re-driven letter's attempts


class PayloadSealer(Protocol):
    """Seals a partner payload (``hub.privacy.BsnCipher``)."""

    def seal_payload(self, data: bytes, media_type: str) -> dict[str, object]:
        """The ``SealedPayload`` record."""


class RecordWriter(Protocol):
    """Where dead letters go (``hub.publish.TopicWriter``)."""

    async def send(self, topic: str, record: Mapping[str, Any]) -> None:
        """Produce one record; returns once the broker acknowledged it."""


def dead_letter(*, consumer: str, source_topic: str, original: bytes,
                error: BaseException | str, dead_letter_id: str,
                original_message_id: str | None = None, case_ref: str = "", attempts: int = 1,
                partition: int = -1, offset: int = -1, original_key: bytes | None = None,
                at: datetime | None = None, sealed_original: dict[str, object] | None = None,
                reentry: str | None = None, redrive_of: str | None = None) -> dict[str, Any]:
    """A DeadLetter record; ``error`` is an exception or a reason text (``Undeliverable``).

    With ``sealed_original`` it is an edge letter and ``original`` must be empty.
    """
    now = at or datetime.now(UTC)
    kind = type(error).__name__ if isinstance(error, BaseException) else "Undeliverable"
    if sealed_original is not None and original:
        raise InvalidField("original", "an edge letter keeps its original only sealed")
    return {"message_id": dead_letter_id, "case_ref": case_ref, "source": "hub",
            "kind": "hub" if sealed_original is None else "edge",
            "sealed_original": sealed_original, "reentry": reentry, "redrive_of": redrive_of,
            "produced_at": now, "consumer": consumer, "source_topic": source_topic,
            "source_partition": partition, "source_offset": offset,
            "original_key": original_key, "original_value": original,
            "original_message_id": original_message_id, "error_type": kind,
            "error_message": redact(str(error))[:500] or kind, "attempts": attempts,
            "failed_at": now}


class DeadLetters:
    """Sends one connector's dead letters (ids ``dl:<consumer>:<ident>``) and logs each."""

    def __init__(self, writer: RecordWriter, consumer: str,
                 sealer: PayloadSealer | None = None) -> None:
        self.writer, self.consumer, self.sealer = writer, consumer, sealer
        self.refused_again: set[str] = set()  # consumed re-drives that failed again here

    async def put_edge(self, source_topic: str, original: bytes, error: BaseException | str,
                       ident: str, *, media_type: str, reentry: str,
                       **fields: Any) -> dict[str, Any]:
        """Dead-letter a partner payload, sealed; ``reentry`` names how it comes back."""
        if self.sealer is None:
            raise TypeError(f"DeadLetters of {self.consumer} has no sealer for edge letters")
        sealed = self.sealer.seal_payload(original, media_type)
        return await self.put(source_topic, b"", error, ident, sealed_original=sealed,
                              reentry=reentry, **fields)

    async def put(self, source_topic: str, original: bytes, error: BaseException | str,
                  ident: str, **fields: Any) -> dict[str, Any]:
        """Dead-letter ``original`` (bytes from ``source_topic``'s side) with ``error``."""
        record = dead_letter(consumer=self.consumer, source_topic=source_topic,
                             original=original, error=error,
                             dead_letter_id=f"dl:{self.consumer}:{ident}", **fields)
        await self.writer.send(topics.dead_letter_of(source_topic), record)
        log.warning("dead_lettered consumer=%s topic=%s id=%s kind=%s attempts=%d "
                    "error_type=%s error=%s", self.consumer, source_topic, ident, record["kind"],
                    record["attempts"], record["error_type"], record["error_message"][:160])
        return record

    async def put_consumed(self, topic: str, message: ConsumerRecord[bytes, bytes],
                           error: BaseException | str, *, attempts: int = 1,
                           record: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Dead-letter a consumed message (its record, when it decoded, names the case); a
        re-driven one counts the attempts of the letters before it too."""
        known = record or {}
        headers = dict(message.headers or ())
        redrive_of = headers.get(REDRIVE_HEADER)
        if redrive_of:
            self.refused_again.add(redrive_of.decode("utf-8", "replace"))
        return await self.put(
            topic, message.value or b"", error,
            f"{topic}/{message.partition}/{message.offset}",
            attempts=_earlier_attempts(headers) + attempts,
            partition=message.partition, offset=message.offset, original_key=message.key,
            original_message_id=_text(known.get("message_id")),
            case_ref=_text(known.get("case_ref")) or "",
            redrive_of=redrive_of.decode("utf-8", "replace") if redrive_of else None)


def _earlier_attempts(headers: Mapping[str, bytes]) -> int:
    """The tries of the letters before this one (a re-drive's ``hub-attempts`` header)."""
    try:
        return max(0, int(headers.get(ATTEMPTS_HEADER, b"0").decode("ascii")))
    except (UnicodeDecodeError, ValueError):
        return 0


def _text(value: Any) -> str | None:
    return None if value is None else str(value)

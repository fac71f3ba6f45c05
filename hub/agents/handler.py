"""The one shared agent handler: decode, store once, dead-letter what is refused.

Principles 2 and 4 of ARCHITECTURE.md live here and nowhere else. A batch of raw messages is
decoded; the good ones are written with their inbox rows in ONE store transaction, the refused ones
become dead letters, recorded in the store's ``dead_letter`` table and its outbox (for their
dead-letter topic) in that same transaction. A store outage (full disk, read-only file, a lock
held too long) is not a bad message: the batch waits, retried with growing delays, until the
store takes it (``store_outage.OutagePolicy``): nothing is dead-lettered for it. A batch that
fails for another reason is split until the message at fault is isolated and dead-lettered
alone, so one poison message never blocks its neighbours. ``handle`` never raises (Faust acks
a message when an agent raises, which would lose it), except ``StoreStopping`` when the worker
stops during an outage: then the batch is not committed and is read again after the restart.
A message carrying the ``hub-redrive-of`` header is the re-drive of that dead letter: stored,
it resolves the letter; refused again, its new letter marks the old one failed-again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import topics
from hub.agents.store_outage import OutagePolicy
from hub.codec import AvroCodec
from hub.errors import BadMessage, InvalidField, PermanentError, TransientError
from hub.privacy import redact
from hub.store import BatchOutcome, InboundMessage, OutboxMessage, Refusal, Store

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "hub-attempts"
REDRIVE_HEADER = "hub-redrive-of"
KEY_SCHEMA = "nl.inburgering.hub.CaseKey"
DEAD_LETTER_SCHEMA = "nl.inburgering.hub.DeadLetter"

Check = Callable[[InboundMessage], None]


@dataclass(frozen=True)
class RawMessage:
    """A message as the transport delivered it; ``topic`` is the logical (declared) name."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Mapping[str, bytes] = field(default_factory=dict)

    @property
    def position(self) -> str:
        """topic/partition/offset, for logs and dead-letter ids."""
        return f"{self.topic}/{self.partition}/{self.offset}"


@dataclass(frozen=True)
class HandleResult:
    """What a batch came to; ``unstored`` dead letters must be sent to their topic directly."""

    outcome: BatchOutcome
    unstored: list[OutboxMessage]


@dataclass(frozen=True)
class Decoded:
    """A batch decoded and checked, not yet stored (``BatchHandler.decode``)."""

    accepted: list[InboundMessage]
    refused: list[Refusal]
    sources: dict[str, RawMessage]  # position -> raw message, for refusing one of ``accepted``


_last_batch_at = 0.0  # monotonic time of the last non-empty batch in this process


def last_batch_at() -> float:
    """When this process last handled a non-empty batch (``time.monotonic``), 0.0 if never.

    The projector reads it to leave the store to the recording agents during a burst.
    """
    return _last_batch_at


class BatchHandler:
    """Turns batches of raw messages into store transactions for one consumer."""

    def __init__(self, consumer: str, *, codec: AvroCodec, store: Store, check: Check | None = None,
                 attempts: int = 5, backoff_s: float = 0.2,
                 sleep: Callable[[float], None] | None = None,
                 outage: OutagePolicy | None = None) -> None:
        self.consumer = consumer
        self._codec = codec
        self._store = store
        self._check = check
        self.outage = outage or OutagePolicy(quiet_attempts=attempts, backoff_s=backoff_s,
                                             sleep=sleep)

    def handle(self, batch: Sequence[RawMessage]) -> HandleResult:
        """Process one batch; never raises."""
        return self.store(self.decode(batch))

    def decode(self, batch: Sequence[RawMessage]) -> Decoded:
        """The first half of ``handle``: decode and check, no store access; never raises.

        The batch driver runs it on a thread of its own, beside the store thread's previous
        batch (``hub.agents.batch``)."""
        global _last_batch_at
        if batch:
            _last_batch_at = time.monotonic()
        decoded = Decoded([], [], {})
        for raw in batch:
            try:
                inbound = self._decode(raw)
                if self._check is not None:
                    self._check(inbound)
            except PermanentError as exc:
                decoded.refused.append(self._refusal(raw, exc))
            except Exception as exc:  # a bug in a check must not lose the message
                log.exception("check_failed position=%s", raw.position)
                decoded.refused.append(self._refusal(raw, exc))
            else:
                decoded.accepted.append(inbound)
                decoded.sources[_position(inbound)] = raw
        return decoded

    def store(self, decoded: Decoded) -> HandleResult:
        """The second half of ``handle``: one store transaction (split to isolate a fault)."""
        unstored: list[OutboxMessage] = []
        outcome = self._commit(decoded.accepted, decoded.refused, decoded.sources, unstored)
        return HandleResult(outcome, unstored)

    def _decode(self, raw: RawMessage) -> InboundMessage:
        spec = topics.by_name(raw.topic)
        name, record = self._codec.decode(raw.value)
        if name != spec.value_schema:
            raise BadMessage(f"value schema {name} is not allowed on {raw.topic}")
        key = self._decode_key(raw.key)
        if not record.get("message_id"):
            raise InvalidField("message_id", "missing")
        if record.get("case_ref") != key["case_ref"]:
            raise InvalidField("case_ref", "differs from the message key")
        return InboundMessage(topic=raw.topic, partition=raw.partition, offset=raw.offset,
                              message_id=str(record["message_id"]),
                              case_ref=str(record["case_ref"]), kind=name, record=record,
                              redrive_of=_redrive_of(raw))

    def _decode_key(self, data: bytes | None) -> dict[str, Any]:
        try:
            name, key = self._codec.decode(data)
        except BadMessage as exc:
            raise type(exc)(f"key: {exc}") from exc
        if name != KEY_SCHEMA:
            raise BadMessage(f"key schema {name} is not {KEY_SCHEMA}")
        return key

    def _commit(self, accepted: list[InboundMessage], refused: list[Refusal],
                sources: dict[str, RawMessage], unstored: list[OutboxMessage]) -> BatchOutcome:
        try:
            return self.outage.run(self.consumer, lambda: self._store.record_batch(
                self.consumer, accepted, refused))
        except TransientError:
            raise  # only StoreStopping leaves the outage loop: the batch stays uncommitted
        except Exception as exc:
            return self._isolate(accepted, refused, sources, unstored, exc)

    def _isolate(self, accepted: list[InboundMessage], refused: list[Refusal],
                 sources: dict[str, RawMessage], unstored: list[OutboxMessage],
                 exc: Exception) -> BatchOutcome:
        """Split a failing batch until the message at fault stands alone, then refuse it."""
        if not accepted:
            log.error("dead_letter_store_failed consumer=%s error=%s", self.consumer,
                      type(exc).__name__)
            unstored.extend(r.dead_letter for r in refused)
            return BatchOutcome(0, 0, len(refused), 0)
        if len(accepted) == 1:
            log.warning("apply_failed consumer=%s error=%s", self.consumer, type(exc).__name__)
            extra = [self._refusal(sources[_position(m)], exc) for m in accepted]
            return self._commit([], [*refused, *extra], sources, unstored)
        half = len(accepted) // 2
        first = self._commit(accepted[:half], refused, sources, unstored)
        second = self._commit(accepted[half:], [], sources, unstored)
        return BatchOutcome(*(a + b for a, b in zip(_fields(first), _fields(second), strict=True)))

    def _refusal(self, raw: RawMessage, exc: Exception) -> Refusal:
        tries = _attempts(raw) + 1
        error = redact(str(exc))[:500] or type(exc).__name__
        log.warning("dead_lettered consumer=%s position=%s error_type=%s", self.consumer,
                    raw.position, type(exc).__name__)
        case_ref, message_id = self._peek(raw)
        record: dict[str, Any] = {
            "message_id": f"dl:{self.consumer}:{raw.position}", "case_ref": case_ref,
            "source": "hub", "produced_at": datetime.now(UTC), "consumer": self.consumer,
            "source_topic": raw.topic, "source_partition": raw.partition,
            "source_offset": raw.offset, "original_key": raw.key,
            "original_value": raw.value or b"", "original_message_id": message_id,
            "error_type": type(exc).__name__, "error_message": error, "attempts": tries,
            "failed_at": datetime.now(UTC), "redrive_of": _redrive_of(raw),
        }
        dead = OutboxMessage(
            message_id=record["message_id"], topic=topics.dead_letter_of(raw.topic),
            key=self._codec.encode(KEY_SCHEMA, {"case_ref": case_ref}),
            value=self._codec.encode(DEAD_LETTER_SCHEMA, record))
        return Refusal(topic=raw.topic, partition=raw.partition, offset=raw.offset,
                       error_type=type(exc).__name__, error_message=error, attempts=tries,
                       dead_letter=dead, case_ref=case_ref, original_key=raw.key,
                       original_value=raw.value or b"", original_message_id=message_id,
                       redrive_of=_redrive_of(raw))

    def _peek(self, raw: RawMessage) -> tuple[str, str | None]:
        """Best-effort case reference and message id of a refused message."""
        try:
            _, record = self._codec.decode(raw.value)
            return str(record.get("case_ref") or ""), str(record.get("message_id") or "") or None
        except PermanentError:
            pass
        try:
            return str(self._codec.decode(raw.key)[1].get("case_ref") or ""), None
        except PermanentError:
            return "", None


def _redrive_of(raw: RawMessage) -> str | None:
    value = raw.headers.get(REDRIVE_HEADER)
    try:
        return value.decode("utf-8")[:400] or None if value else None
    except UnicodeDecodeError:
        return None


def _attempts(raw: RawMessage) -> int:
    value = raw.headers.get(ATTEMPTS_HEADER, b"0")
    try:
        return max(0, int(value.decode("ascii")))
    except (UnicodeDecodeError, ValueError):
        return 0


def _position(message: InboundMessage) -> str:
    return f"{message.topic}/{message.partition}/{message.offset}"


def _fields(outcome: BatchOutcome) -> tuple[int, int, int, int]:
    return (outcome.applied, outcome.duplicates, outcome.dead_lettered, outcome.views_changed)

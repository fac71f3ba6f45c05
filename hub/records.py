"""The plain values the hub passes between its layers: messages in, facts and outbox rows out.

Plain data only (no store, no codec, no broker): the rules in ``hub.reconcile`` and the store in
``hub.store`` both import from here, so the rules never load the store."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.versions import VersionKey, version_key


@dataclass(frozen=True)
class InboundMessage:
    """A decoded message an agent accepted; its record becomes a fact.

    ``record`` is the decoded Avro value (dicts with str keys, lists, bytes, dates, Decimal):
    the projection sees it as given in this batch and as read back later, so it must be what
    ``jsonsafe`` round-trips exactly (no tuples, no non-str keys).
    """

    topic: str
    partition: int
    offset: int
    message_id: str
    case_ref: str
    kind: str
    record: dict[str, Any]
    redrive_of: str | None = None  # the dead letter this message is the re-drive of


@dataclass(frozen=True)
class OutboxMessage:
    """An encoded message to publish; ``message_id`` is reused on every publish retry."""

    message_id: str
    topic: str
    key: bytes | None
    value: bytes


@dataclass(frozen=True)
class Refusal:
    """A message that goes to its dead-letter topic, with the encoded DeadLetter record."""

    topic: str
    partition: int
    offset: int
    error_type: str
    error_message: str
    attempts: int
    dead_letter: OutboxMessage
    case_ref: str = ""
    original_key: bytes | None = None
    original_value: bytes | None = None
    original_message_id: str | None = None
    redrive_of: str | None = None  # the dead letter this message was the re-drive of

    @property
    def position_key(self) -> str:
        """Inbox key of a refusal: its position, so a re-driven copy is processed again."""
        return position_key(self.topic, self.partition, self.offset)


@dataclass(frozen=True)
class NewDeadLetter:
    """A dead letter to record in the store (``hub.store.dead_letters.insert_letters``).

    ``kind`` is ``hub`` (in-hub: ``original_value`` holds the message's own bytes) or ``edge``
    (from a connector: the partner payload only as ``sealed_original``, an AES-GCM record).
    """

    letter_id: str
    consumer: str
    source_topic: str
    error_type: str
    error_message: str
    failed_at: datetime
    kind: str = "hub"
    source_partition: int = -1
    source_offset: int = -1
    case_ref: str = ""
    attempts: int = 1
    original_key: bytes | None = None
    original_value: bytes | None = None
    original_message_id: str | None = None
    sealed_original: dict[str, Any] | None = None
    reentry: str | None = None
    redrive_of: str | None = None
    dead_letter_topic: str = ""
    outbox_message_id: str | None = None


@dataclass(frozen=True)
class Fact:
    """A stored fact; ``record`` is restored to Python types (bytes, dates, Decimal)."""

    message_id: str
    case_ref: str
    kind: str
    record: dict[str, Any]
    source_topic: str
    source_partition: int
    source_offset: int


@dataclass(frozen=True)
class BatchOutcome:
    """What one ``record_batch`` call changed."""

    applied: int
    duplicates: int
    dead_lettered: int
    views_changed: int


@dataclass(frozen=True)
class OutboxRow:
    """An unpublished outbox row as the publisher sees it."""

    id: int
    message_id: str
    topic: str
    key: bytes | None
    value: bytes
    attempts: int


Projection = Callable[[str, Sequence[Fact]], dict[str, Any]]
"""(case_ref, facts sorted by ``fact_order``) -> the case view (JSON-safe dict).

Must be pure and must not mutate the facts: they may be shared with the store's cache."""

@dataclass(frozen=True)
class Emission:
    """What a view change sends: new effect-ledger entries (plain dicts with the columns of
    ``hub.store.models.EffectRow``, minus ``case_ref`` and ``created_at``) and their messages."""

    entries: Sequence[dict[str, Any]]
    messages: Sequence[OutboxMessage]


NOTHING = Emission((), ())

Emitter = Callable[[str, dict[str, Any], Sequence[dict[str, Any]], datetime], Emission]
"""(case_ref, new view, the case's effect ledger so far, now) -> what to add to the ledger and
the outbox (ARCHITECTURE §2.3: the difference between what the view implies and what was sent)."""


Derive = Callable[[InboundMessage], Sequence[InboundMessage]]
"""An accepted message -> further facts it implies for other cases (recorded with it, under
derived message ids); e.g. an invoice's lines for each case they bill. Must be pure."""


Links = Callable[[str, Sequence[Fact]], Sequence[str]]
"""(key, its own facts) -> the keys whose facts its projection also reads (``hub.store.linking``);
must be pure and symmetric."""


def no_links(key: str, facts: Sequence[Fact]) -> Sequence[str]:
    """The default: a projection reads its own key's facts only."""
    return ()


def no_derive(message: InboundMessage) -> Sequence[InboundMessage]:
    """The default: a message is one fact."""
    return ()


def position_key(topic: str, partition: int, offset: int) -> str:
    """``pos:<topic>/<partition>/<offset>``: the inbox key of a dead-lettered message."""
    return f"pos:{topic}/{partition}/{offset}"


def fact_order(fact: Fact) -> tuple[str, VersionKey]:
    """The deterministic order in which a projection sees a case's facts: by kind, then the
    partner's own version order (R21, ``hub.versions``; the message id only breaks ties)."""
    return fact.kind, version_key(fact.record, fact.message_id)


def default_projection(case_ref: str, facts: Sequence[Fact]) -> dict[str, Any]:
    """Stand-in view until the rules are wired in: how many facts, of which kinds."""
    return {"facts": len(facts), "kinds": sorted({fact.kind for fact in facts})}


def no_emitter(case_ref: str, view: dict[str, Any], ledger: Sequence[dict[str, Any]],
               now: datetime) -> Emission:
    """The default emitter: a view change sends nothing."""
    return NOTHING

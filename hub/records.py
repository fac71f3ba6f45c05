"""The plain values the hub passes between its layers: messages in, facts and outbox rows out.

Plain data only (no store, no codec, no broker): the rules in ``hub.reconcile`` and the store in
``hub.store`` both import from here, so the rules never load the store."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
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

    @property
    def position_key(self) -> str:
        """Inbox key of a refusal: its position, so a re-driven copy is processed again."""
        return position_key(self.topic, self.partition, self.offset)


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

Emitter = Callable[[str, dict[str, Any] | None, dict[str, Any]], Sequence[OutboxMessage]]
"""(case_ref, old view or None, new view) -> messages to put in the outbox; may be empty."""


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


def no_emitter(
    case_ref: str, old: dict[str, Any] | None, new: dict[str, Any]
) -> Sequence[OutboxMessage]:
    """The default emitter: a view change sends nothing."""
    return ()

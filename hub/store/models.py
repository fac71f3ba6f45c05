"""The store's tables as typed SQLAlchemy models (the hot path uses their ``__table__``).

Columns named ``source_*`` say where a message was read: topic, partition, offset.
JSON columns hold ``jsonsafe`` values (tagged bytes, dates, decimals).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# BIGINT on PostgreSQL; plain INTEGER on SQLite so the id stays the rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")

class Timestamp(TypeDecorator[datetime]):
    """A timezone-aware timestamp that converts a batch's shared ``now`` once, not per row."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Callable[[datetime | None], Any] | None:
        """The dialect's processor, remembering its last input (compared by identity)."""
        process = super().bind_processor(dialect)
        if process is None:
            return None
        memo: tuple[object, Any] = (object(), None)

        def remembered(value: datetime | None) -> Any:
            nonlocal memo
            seen, result = memo  # one tuple: consistent even if threads interleave
            if value is not seen:
                result = process(value)
                memo = (value, result)
            return result

        return remembered


NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING)


class FactRow(Base):
    """One fact the hub was told, deduplicated by message id across all consumers."""

    __tablename__ = "fact"
    # (case_ref, message_id): a case's message ids come from the index alone.
    __table_args__ = (Index(None, "case_ref", "message_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    case_ref: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(200))
    source_topic: Mapped[str] = mapped_column(String(249))
    source_partition: Mapped[int] = mapped_column(Integer)
    source_offset: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[Any] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(Timestamp)


class CaseViewRow(Base):
    """The case view: a pure function of the case's facts, versioned against lost updates."""

    __tablename__ = "case_view"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012

    case_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    view: Mapped[Any] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class InboxRow(Base):
    """A message a consumer has handled: the message id, or its position when refused."""

    __tablename__ = "inbox"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012

    consumer: Mapped[str] = mapped_column(String(200), primary_key=True)
    message_key: Mapped[str] = mapped_column(String(400), primary_key=True)
    source_topic: Mapped[str] = mapped_column(String(249))
    source_partition: Mapped[int] = mapped_column(Integer)
    source_offset: Mapped[int] = mapped_column(BigInteger)
    outcome: Mapped[str] = mapped_column(String(20))
    processed_at: Mapped[datetime] = mapped_column(Timestamp)


class OutboxEntry(Base):
    """A message to publish after commit; the publisher retries it under the same id."""

    __tablename__ = "outbox"
    __table_args__ = (Index(None, "published_at", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    topic: Mapped[str] = mapped_column(String(249))
    key: Mapped[bytes | None] = mapped_column(LargeBinary)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    published_at: Mapped[datetime | None] = mapped_column(Timestamp)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class DeadLetterRow(Base):
    """A dead letter: in-hub (written with its batch) or from a connector edge (recorded by the
    worker from its dead-letter topic). The store, not the topic, is its source of truth.

    ``status`` runs pending -> redriven -> resolved | failed-again, or pending -> discarded
    (resolved without re-drive); ``hub.store.dead_letters`` holds the names and the reads.
    An edge letter's partner payload is only in ``sealed_original`` (AES-GCM, key id).
    """

    __tablename__ = "dead_letter"
    __table_args__ = (Index(None, "status", "failed_at"), Index(None, "source_topic"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    letter_id: Mapped[str] = mapped_column(String(400), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    consumer: Mapped[str] = mapped_column(String(200))
    source_topic: Mapped[str] = mapped_column(String(249))
    source_partition: Mapped[int] = mapped_column(Integer)
    source_offset: Mapped[int] = mapped_column(BigInteger)
    case_ref: Mapped[str] = mapped_column(String(64))
    original_message_id: Mapped[str | None] = mapped_column(String(400))
    error_type: Mapped[str] = mapped_column(String(200))
    error_message: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    failed_at: Mapped[datetime] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    status: Mapped[str] = mapped_column(String(20))
    status_at: Mapped[datetime] = mapped_column(Timestamp)
    status_actor: Mapped[str | None] = mapped_column(String(200))
    status_reason: Mapped[str | None] = mapped_column(Text)
    redrive_of: Mapped[str | None] = mapped_column(String(400), index=True)
    next_letter: Mapped[str | None] = mapped_column(String(400))
    redriven_to: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))
    reentry: Mapped[str | None] = mapped_column(String(100))
    original_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    original_value: Mapped[bytes | None] = mapped_column(LargeBinary)
    sealed_original: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))
    dead_letter_topic: Mapped[str] = mapped_column(String(249))
    outbox_message_id: Mapped[str | None] = mapped_column(String(400))
    claimed_at: Mapped[datetime | None] = mapped_column(Timestamp)  # edge re-entry taken


class AuditRow(Base):
    """Who changed what, with the old and new value (one row per view write or operator act)."""

    __tablename__ = "audit"
    __table_args__ = (Index(None, "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(Timestamp)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(100))
    entity_id: Mapped[str] = mapped_column(String(400))
    old: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))
    new: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))
    reason: Mapped[str | None] = mapped_column(Text)


class CursorRow(Base):
    """A connector's pull cursor (last seen id, timestamp or token)."""

    __tablename__ = "cursor"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)


class DirtyCaseRow(Base):
    """A case with facts its stored view does not reflect yet (deferred projection).

    Written in the transaction that stores the facts; removed in the transaction that writes
    the view, only when ``token`` is unchanged (a newer mark keeps the case pending).
    ``marked_at`` is the first mark's time: a busy case keeps its place in the queue.
    """

    __tablename__ = "dirty_case"
    # oldest marks first; per projection shard (``hub.store.shards``) for N workers
    __table_args__ = (Index(None, "marked_at"), Index(None, "shard", "marked_at"))

    case_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[int] = mapped_column(BigInteger)
    marked_at: Mapped[datetime] = mapped_column(Timestamp)
    shard: Mapped[int] = mapped_column(SmallInteger, server_default="0")


class EffectRow(Base):
    """The effect ledger: one row per version of an outbound effect of a case (a booking, its
    reversal, a signal, its withdrawal, a registration, a correction), with the message that
    sent it (``effect_id`` is its outbox message id). Append-only: history is never rewritten."""

    __tablename__ = "effect"
    __table_args__ = (UniqueConstraint("case_ref", "effect_key", "seq"),
                      Index(None, "case_ref", "seq"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_ref: Mapped[str] = mapped_column(String(64))
    effect_key: Mapped[str] = mapped_column(String(400))
    seq: Mapped[int] = mapped_column(Integer)
    effect_id: Mapped[str] = mapped_column(String(200), unique=True)
    soort: Mapped[str] = mapped_column(String(20))
    topic: Mapped[str] = mapped_column(String(249))
    live: Mapped[bool] = mapped_column(Boolean)
    bedrag_cent: Mapped[int | None] = mapped_column(BigInteger)
    digest: Mapped[str] = mapped_column(String(64))
    reden: Mapped[str] = mapped_column(Text)
    record: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


metadata = Base.metadata
fact = _table(FactRow)
case_view = _table(CaseViewRow)
inbox = _table(InboxRow)
outbox = _table(OutboxEntry)
dead_letter = _table(DeadLetterRow)
audit = _table(AuditRow)
cursor = _table(CursorRow)
dirty_case = _table(DirtyCaseRow)
effect = _table(EffectRow)

TABLES = {t.name: t for t in (fact, case_view, inbox, outbox, dead_letter, audit, cursor,
                              dirty_case, effect)}

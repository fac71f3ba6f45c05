"""Dead letters in the store: their statuses and the reads the CLI, console and metrics share.

The ``dead_letter`` table is the source of truth (issue 18): in-hub letters are written in the
transaction of their batch, edge letters by the worker from the dead-letter topics, so they
survive a broker restart and can be listed with the broker down. A letter's status::

    pending ──re-drive──► redriven ──stored──► resolved
       │                     └──refused again──► failed-again (next_letter: the new letter)
       └──resolve with a reason──► discarded

Every change of status writes an audit row (entity ``dead_letter``, the letter id), which is
the letter's history. Writes live in ``hub.store.dead_letter_writes``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Select, func, select
from sqlalchemy.sql.elements import ColumnElement

from hub.store import models as m
from hub.store.engine import transaction

PENDING, REDRIVEN, RESOLVED, FAILED_AGAIN, DISCARDED = (
    "pending", "redriven", "resolved", "failed-again", "discarded")
STATUSES = (PENDING, REDRIVEN, RESOLVED, FAILED_AGAIN, DISCARDED)
OPEN = (PENDING,)  # what bulk selections take: a failed-again letter lives on in its next
UNSETTLED = (PENDING, REDRIVEN, FAILED_AGAIN)  # what an act or a verdict may still change
HUB, EDGE = "hub", "edge"
KINDS = (HUB, EDGE)
ENTITY = "dead_letter"
REDRIVE_ACTION = "dead_letter.redrive"
REDRIVE_FAILED_ACTION = "dead_letter.redrive_failed"
RESOLVE_ACTION = "dead_letter.resolve"
UNSEAL_ACTION = "dead_letter.unseal"
SETTLED_ACTION = "dead_letter.resolved"
FAILED_AGAIN_ACTION = "dead_letter.failed_again"


@dataclass(frozen=True)
class DeadLetter:
    """One row of the ``dead_letter`` table (see ``hub.store.models.DeadLetterRow``)."""

    id: int
    letter_id: str
    kind: str
    consumer: str
    source_topic: str
    source_partition: int
    source_offset: int
    case_ref: str
    original_message_id: str | None
    error_type: str
    error_message: str
    attempts: int
    failed_at: datetime
    created_at: datetime
    status: str
    status_at: datetime
    status_actor: str | None
    status_reason: str | None
    redrive_of: str | None
    next_letter: str | None
    redriven_to: dict[str, Any] | None
    reentry: str | None
    original_key: bytes | None
    original_value: bytes | None
    sealed_original: dict[str, Any] | None
    dead_letter_topic: str
    outbox_message_id: str | None
    claimed_at: datetime | None

    @property
    def sealed(self) -> bool:
        """Whether the original is a sealed partner payload (edge letters)."""
        return self.sealed_original is not None

    def as_json(self) -> dict[str, Any]:
        """Every field but the original bytes, datetimes as ISO text: safe to show and log."""
        data = {k: v for k, v in asdict(self).items()
                if k not in ("original_key", "original_value", "sealed_original")}
        for name, value in data.items():
            if isinstance(value, datetime):
                data[name] = value.isoformat()
        data["sealed"] = self.sealed
        data["media_type"] = (self.sealed_original or {}).get("media_type")
        return data


@dataclass(frozen=True)
class LetterFilter:
    """Which dead letters: every field that is set must match (age against ``failed_at``)."""

    status: str | None = None
    source_topic: str | None = None
    error_type: str | None = None
    kind: str | None = None
    consumer: str | None = None
    case_ref: str | None = None
    older_than: timedelta | None = None
    newer_than: timedelta | None = None
    letter_ids: tuple[str, ...] = ()

    def where(self, now: datetime | None = None) -> list[ColumnElement[bool]]:
        """The SQL conditions of this filter."""
        d = m.dead_letter.c
        now = now or datetime.now(UTC)
        found: list[ColumnElement[bool]] = [
            column == value for column, value in (
                (d.status, self.status), (d.source_topic, self.source_topic),
                (d.error_type, self.error_type), (d.kind, self.kind),
                (d.consumer, self.consumer), (d.case_ref, self.case_ref)) if value]
        if self.older_than is not None:
            found.append(d.failed_at <= now - self.older_than)
        if self.newer_than is not None:
            found.append(d.failed_at >= now - self.newer_than)
        if self.letter_ids:
            found.append(d.letter_id.in_(self.letter_ids))
        return found


@dataclass(frozen=True)
class Facets:
    """Counts per value of the fields a list filters on (for filter menus)."""

    source_topics: dict[str, int]
    error_types: dict[str, int]
    statuses: dict[str, int]
    kinds: dict[str, int]


@dataclass(frozen=True)
class HistoryEntry:
    """One audit row of a dead letter: who did or saw what, when, why."""

    at: datetime
    actor: str
    action: str
    reason: str | None
    detail: dict[str, Any] | None


def aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; the store writes UTC."""
    return None if value is None or value.tzinfo else value.replace(tzinfo=UTC)


_NAMES = tuple(f.name for f in fields(DeadLetter))
_TIMES = ("failed_at", "created_at", "status_at", "claimed_at")


def from_row(row: Any) -> DeadLetter:
    """A ``DeadLetter`` from a selected row of every column."""
    values = dict(row._mapping)
    for name in _TIMES:
        values[name] = aware(values[name])
    return DeadLetter(**{name: values[name] for name in _NAMES})


def select_all() -> Select[Any]:
    return select(*(m.dead_letter.c[name] for name in _NAMES))


def list_letters(engine: Engine, flt: LetterFilter = LetterFilter(), *, limit: int = 100,
                 offset: int = 0, oldest_first: bool = False) -> list[DeadLetter]:
    """Dead letters matching ``flt``, newest first (by failure time) unless ``oldest_first``."""
    d = m.dead_letter.c
    order = (d.failed_at, d.id) if oldest_first else (d.failed_at.desc(), d.id.desc())
    with transaction(engine, write=False) as conn:
        rows = conn.execute(select_all().where(*flt.where()).order_by(*order)
                            .limit(limit).offset(offset)).all()
    return [from_row(row) for row in rows]


def count_letters(engine: Engine, flt: LetterFilter = LetterFilter()) -> int:
    """How many dead letters match ``flt``."""
    with transaction(engine, write=False) as conn:
        return int(conn.scalar(select(func.count()).select_from(m.dead_letter)
                               .where(*flt.where())) or 0)


def get_letter(engine: Engine, letter_id: str) -> DeadLetter | None:
    """One dead letter by its id, or None."""
    with transaction(engine, write=False) as conn:
        row = conn.execute(select_all().where(m.dead_letter.c.letter_id == letter_id)).first()
    return None if row is None else from_row(row)


def letter_facets(engine: Engine) -> Facets:
    """Counts per source topic, error type, status and kind over every dead letter."""
    d = m.dead_letter.c
    found: list[dict[str, int]] = []
    with transaction(engine, write=False) as conn:
        for column in (d.source_topic, d.error_type, d.status, d.kind):
            rows = conn.execute(select(column, func.count()).group_by(column)
                                .order_by(column)).all()
            found.append({str(value): int(n) for value, n in rows})
    return Facets(*found)


def letter_counts(engine: Engine) -> list[tuple[str, str, str, int]]:
    """(source topic, error type, status, count) over every dead letter, for metrics."""
    d = m.dead_letter.c
    with transaction(engine, write=False) as conn:
        rows = conn.execute(select(d.source_topic, d.error_type, d.status, func.count())
                            .group_by(d.source_topic, d.error_type, d.status)).all()
    return [(str(t), str(e), str(s), int(n)) for t, e, s, n in rows]


def letter_history(engine: Engine, letter_id: str) -> list[HistoryEntry]:
    """The letter's audit rows, oldest first (re-drives, resolutions, unsealings, fates)."""
    a = m.audit.c
    with transaction(engine, write=False) as conn:
        rows = conn.execute(select(a.at, a.actor, a.action, a.reason, a.new)
                            .where(a.entity == ENTITY, a.entity_id == letter_id)
                            .order_by(a.id)).all()
    return [HistoryEntry(aware(r.at) or r.at, r.actor, r.action, r.reason,
                         r.new if isinstance(r.new, dict) else None) for r in rows]

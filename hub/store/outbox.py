"""The outbox: messages written with the facts, published after commit under a stable id."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Connection, select, update

from hub.store import models as m
from hub.store.records import OutboxMessage, OutboxRow
from hub.store.sql import among, chunks, upsert_insert

MAX_ERROR_CHARS = 2000


def insert_outbox(conn: Connection, messages: Iterable[OutboxMessage], now: datetime) -> None:
    """Add ``messages``; a message id already in the outbox is left as it is."""
    unique = {msg.message_id: msg for msg in reversed(list(messages))}  # first one wins
    if not unique:
        return
    rows = [
        {"message_id": msg.message_id, "topic": msg.topic, "key": msg.key, "value": msg.value,
         "created_at": now, "published_at": None, "attempts": 0, "last_error": None}
        for msg in sorted(unique.values(), key=lambda msg: msg.message_id)
    ]
    stmt = upsert_insert(conn, m.outbox).on_conflict_do_nothing(index_elements=["message_id"])
    conn.execute(stmt, rows)


def insert_new(conn: Connection, messages: Sequence[OutboxMessage], now: datetime) -> int:
    """``insert_outbox``, counting the messages whose id the outbox did not have yet."""
    ids = sorted({msg.message_id for msg in messages})
    known: set[str] = set()
    for chunk in chunks(ids):
        known.update(conn.scalars(select(m.outbox.c.message_id)
                                  .where(among(conn, m.outbox.c.message_id, chunk))))
    insert_outbox(conn, [msg for msg in messages if msg.message_id not in known], now)
    return len(set(ids) - known)


def pending(conn: Connection, limit: int) -> list[OutboxRow]:
    """Unpublished rows, oldest first."""
    c = m.outbox.c
    stmt = (
        select(c.id, c.message_id, c.topic, c.key, c.value, c.attempts)
        .where(c.published_at.is_(None))
        .order_by(c.id)
        .limit(limit)
    )
    return [
        OutboxRow(row.id, row.message_id, row.topic,
                  None if row.key is None else bytes(row.key), bytes(row.value), row.attempts)
        for row in conn.execute(stmt)
    ]


def mark_published(conn: Connection, ids: Sequence[int], now: datetime) -> None:
    """Stamp ``ids`` as published."""
    for chunk in chunks(sorted(set(ids))):
        conn.execute(
            update(m.outbox).where(among(conn, m.outbox.c.id, chunk)).values(published_at=now)
        )


def mark_failed(conn: Connection, ids: Sequence[int], error: str) -> None:
    """Count a failed publish attempt on ``ids`` and keep the (shortened) error."""
    for chunk in chunks(sorted(set(ids))):
        conn.execute(
            update(m.outbox)
            .where(among(conn, m.outbox.c.id, chunk))
            .values(attempts=m.outbox.c.attempts + 1, last_error=error[:MAX_ERROR_CHARS])
        )

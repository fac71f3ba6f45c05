"""The outbox: messages written with the facts, published after commit under a stable id."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Connection, select, update

from hub.store import models as m
from hub.store.dead_letter_writes import insert_letters
from hub.store.records import NewDeadLetter, OutboxMessage, OutboxRow
from hub.store.sql import among, chunks, upsert_insert

MAX_ERROR_CHARS = 2000
COLLISION_CONSUMER = "outbox"
log = logging.getLogger(__name__)


def insert_outbox(conn: Connection, messages: Iterable[OutboxMessage], now: datetime) -> None:
    """Add ``messages``; a message id already in the outbox with the same payload is a retry and
    left as it is. A *different* payload under a known id is refused, never dropped silently: it
    is logged and kept as a dead letter (``OutboxIdCollision``) for an operator (principle 3)."""
    unique: dict[str, OutboxMessage] = {}
    clashes: list[OutboxMessage] = []
    for msg in messages:
        first = unique.setdefault(msg.message_id, msg)
        if first is not msg and first.value != msg.value:
            clashes.append(msg)
    if not unique:
        return
    clashes += _known_clashes(conn, unique)
    if clashes:
        _refuse(conn, clashes, now)
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


def _known_clashes(conn: Connection, unique: dict[str, OutboxMessage]) -> list[OutboxMessage]:
    """Messages whose id the outbox holds with another payload."""
    c = m.outbox.c
    out = []
    for chunk in chunks(sorted(unique)):
        for ident, value in conn.execute(select(c.message_id, c.value)
                                         .where(among(conn, c.message_id, chunk))):
            if bytes(value) != unique[ident].value:
                out.append(unique[ident])
    return out


def _refuse(conn: Connection, clashes: Sequence[OutboxMessage], now: datetime) -> None:
    for msg in clashes:
        log.error("outbox_id_collision message_id=%s topic=%s", msg.message_id, msg.topic)
    insert_letters(conn, [NewDeadLetter(
        letter_id=f"dl:{COLLISION_CONSUMER}:{msg.message_id}:{_position(msg):x}",
        consumer=COLLISION_CONSUMER, source_topic=msg.topic, error_type="OutboxIdCollision",
        error_message=f"another payload is already in the outbox under message id "
                      f"{msg.message_id}; this one is refused (ARCHITECTURE §2.3)",
        failed_at=now, source_offset=_position(msg), original_key=msg.key,
        original_value=msg.value, original_message_id=msg.message_id,
        outbox_message_id=msg.message_id) for msg in clashes], now)


def _position(msg: OutboxMessage) -> int:
    """A stable stand-in offset per refused payload (the same clash is kept once)."""
    digest = hashlib.sha256(msg.message_id.encode() + b"\0" + msg.value).digest()
    return int.from_bytes(digest[:7], "big")

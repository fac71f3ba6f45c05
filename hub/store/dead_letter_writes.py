"""Writing dead letters and their status changes, inside the caller's transaction.

Each status change is one UPDATE guarded by the statuses it may leave, plus one audit row, so
two operators (or an operator and the worker) acting at once cannot both win.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, or_, select, update

import topics
from hub.store import models as m
from hub.store.dead_letters import (
    DISCARDED,
    EDGE,
    ENTITY,
    FAILED_AGAIN,
    FAILED_AGAIN_ACTION,
    REDRIVE_ACTION,
    REDRIVE_FAILED_ACTION,
    REDRIVEN,
    RESOLVE_ACTION,
    RESOLVED,
    SETTLED_ACTION,
    UNSETTLED,
    DeadLetter,
    from_row,
    select_all,
)
from hub.store.records import NewDeadLetter
from hub.store.sql import upsert_insert


def insert_letters(conn: Connection, letters: Sequence[NewDeadLetter], now: datetime
                   ) -> set[str]:
    """Record dead letters not yet known by id; the ids that were new.

    A new letter that is the re-drive of an earlier one marks that one ``failed-again``.
    """
    if not letters:
        return set()
    rows = [_row(letter, now) for letter in letters]
    rows.sort(key=lambda row: row["letter_id"])  # one lock order for racing workers
    stmt = (upsert_insert(conn, m.dead_letter)
            .on_conflict_do_nothing(index_elements=["letter_id"])
            .returning(m.dead_letter.c.letter_id))
    new = set(conn.execute(stmt, rows).scalars())
    for letter in letters:
        if letter.letter_id in new and letter.redrive_of:
            _failed_again(conn, letter.redrive_of, letter, now)
    return new


def _row(letter: NewDeadLetter, now: datetime) -> dict[str, Any]:
    row = asdict(letter)
    row["dead_letter_topic"] = letter.dead_letter_topic or topics.dead_letter_of(
        letter.source_topic)
    row.update(created_at=now, status="pending", status_at=now, status_actor=None,
               status_reason=None, next_letter=None, redriven_to=None, claimed_at=None)
    return row


def _failed_again(conn: Connection, earlier: str, letter: NewDeadLetter, now: datetime) -> None:
    d = m.dead_letter.c
    changed = conn.execute(update(m.dead_letter).where(
        d.letter_id == earlier, d.status.in_(UNSETTLED))
        .values(status=FAILED_AGAIN, status_at=now, status_actor=f"consumer:{letter.consumer}",
                next_letter=letter.letter_id)).rowcount
    if changed:
        _audit(conn, now, f"consumer:{letter.consumer}", FAILED_AGAIN_ACTION, earlier, None,
               {"next_letter": letter.letter_id, "error_type": letter.error_type})


def settle(conn: Connection, letter_ids: Sequence[str], consumer: str, now: datetime, *,
           delivered: bool = False) -> int:
    """Mark re-driven letters ``resolved`` now that ``consumer`` stored their message (an edge
    letter's, or its own in-hub letter's) or, ``delivered``, handed its own letter's message
    to its partner; how many. A letter another consumer failed on stays as it is."""
    d = m.dead_letter.c
    mine = d.consumer == consumer
    whose = mine if delivered else or_(d.kind == EDGE, mine)
    actor, detail = f"consumer:{consumer}", {"delivered" if delivered else "stored": True}
    done = 0
    for letter_id in sorted(set(letter_ids)):
        changed = conn.execute(update(m.dead_letter).where(
            d.letter_id == letter_id, d.status.in_(UNSETTLED), whose)
            .values(status=RESOLVED, status_at=now, status_actor=actor)).rowcount
        if changed:
            _audit(conn, now, actor, SETTLED_ACTION, letter_id, None, detail)
            done += 1
    return done


def mark_redriven(conn: Connection, letter_id: str, *, actor: str, reason: str,
                  to: dict[str, Any], now: datetime) -> bool:
    """Mark a letter ``redriven`` (to where) with its audit row; False if it was not open."""
    d = m.dead_letter.c
    changed = conn.execute(update(m.dead_letter).where(
        d.letter_id == letter_id, d.status.in_(UNSETTLED))
        .values(status=REDRIVEN, status_at=now, status_actor=actor, status_reason=reason,
                redriven_to=to, claimed_at=None)).rowcount
    if changed:
        _audit(conn, now, actor, REDRIVE_ACTION, letter_id, reason, to)
    return bool(changed)


def set_redriven_to(conn: Connection, letter_id: str, to: dict[str, Any]) -> None:
    """Record where the re-driven message went (whatever its status is by now)."""
    conn.execute(update(m.dead_letter).where(m.dead_letter.c.letter_id == letter_id)
                 .values(redriven_to=to))


def redrive_failed(conn: Connection, letter_id: str, *, back_to: str, actor: str,
                   now: datetime) -> None:
    """Put a letter whose re-drive could not be sent back to ``back_to``, audited."""
    d = m.dead_letter.c
    changed = conn.execute(update(m.dead_letter).where(
        d.letter_id == letter_id, d.status == REDRIVEN)
        .values(status=back_to, status_at=now, status_actor=actor)).rowcount
    if changed:
        _audit(conn, now, actor, REDRIVE_FAILED_ACTION, letter_id, None, {"status": back_to})


def discard(conn: Connection, letter_id: str, *, actor: str, reason: str, now: datetime
            ) -> bool:
    """Resolve a letter without re-drive (``discarded``), audited; False if not open."""
    d = m.dead_letter.c
    changed = conn.execute(update(m.dead_letter).where(
        d.letter_id == letter_id, d.status.in_(UNSETTLED))
        .values(status=DISCARDED, status_at=now, status_actor=actor,
                status_reason=reason)).rowcount
    if changed:
        _audit(conn, now, actor, RESOLVE_ACTION, letter_id, reason, {"status": DISCARDED})
    return bool(changed)


def claim_reentries(conn: Connection, consumer: str, now: datetime, limit: int = 20
                    ) -> list[DeadLetter]:
    """Edge letters of ``consumer`` re-driven and not yet taken: taken now (``claimed_at``)."""
    d = m.dead_letter.c
    rows = conn.execute(select_all().where(d.kind == EDGE, d.consumer == consumer,
                                        d.status == REDRIVEN, d.claimed_at.is_(None))
                        .order_by(d.status_at, d.id).limit(limit)).all()
    letters = [from_row(row) for row in rows]
    if letters:
        conn.execute(update(m.dead_letter).where(d.id.in_([x.id for x in letters]))
                     .values(claimed_at=now))
    return letters


def release_reentry(conn: Connection, letter_id: str) -> None:
    """Clear a claim, so the connector takes the letter again."""
    d = m.dead_letter.c
    conn.execute(update(m.dead_letter).where(d.letter_id == letter_id, d.status == REDRIVEN)
                 .values(claimed_at=None))


def known(conn: Connection, letter_ids: Sequence[str]) -> set[str]:
    """Which of these letter ids the store already holds."""
    if not letter_ids:
        return set()
    d = m.dead_letter.c
    return set(conn.scalars(select(d.letter_id).where(d.letter_id.in_(list(letter_ids)))))


def audit_letter(conn: Connection, now: datetime, actor: str, action: str, letter_id: str,
                 reason: str | None, new: dict[str, Any] | None) -> None:
    """One audit row about a dead letter (unsealing, for example)."""
    _audit(conn, now, actor, action, letter_id, reason, new)


def _audit(conn: Connection, now: datetime, actor: str, action: str, letter_id: str,
           reason: str | None, new: dict[str, Any] | None) -> None:
    conn.execute(m.audit.insert().values(at=now, actor=actor, action=action, entity=ENTITY,
                                         entity_id=letter_id, old=None, new=new, reason=reason))

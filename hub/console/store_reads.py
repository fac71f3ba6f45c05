"""Read-only questions the console asks the case store's tables (it never writes them here).

Writes go through ``Store`` (``Store.audit``); these reads cover what ``Store`` has no method
for: agent activity from the inbox, processing latency from facts, re-drive history from the
audit trail and what became of each re-driven message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Integer, and_, func, or_, select

from hub.store import models as m
from hub.store.engine import transaction

REDRIVE_ACTION = "dead_letter.redrive"
DEAD_LETTERED = "dead_lettered"


@dataclass(frozen=True)
class AgentActivity:
    """One inbox consumer: how much it handled and when it last did."""

    consumer: str
    handled: int
    dead_lettered: int
    last_processed_at: datetime | None


def aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; the store writes UTC."""
    return None if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def agent_activity(engine: Engine) -> list[AgentActivity]:
    """Per inbox consumer: messages handled, dead-lettered, last processed time."""
    i = m.inbox.c
    with transaction(engine, write=False) as conn:
        rows = conn.execute(
            select(i.consumer, func.count(), func.sum((i.outcome == DEAD_LETTERED).cast(
                Integer)), func.max(i.processed_at)).group_by(i.consumer)).all()
    return [AgentActivity(r[0], int(r[1]), int(r[2] or 0), aware(r[3])) for r in rows]


def new_latencies(engine: Engine, after_id: int, limit: int = 5000
                  ) -> tuple[int, list[tuple[str, float]]]:
    """(last fact id, [(source topic, seconds from produced_at to recorded_at)]) after an id."""
    f = m.fact.c
    with transaction(engine, write=False) as conn:
        if after_id < 0:  # first call: history is not latency, start from now
            return int(conn.scalar(select(func.max(f.id))) or 0), []
        rows = conn.execute(select(f.id, f.source_topic, f.payload, f.recorded_at)
                            .where(f.id > after_id).order_by(f.id).limit(limit)).all()
    found: list[tuple[str, float]] = []
    for row in rows:
        produced = row.payload.get("produced_at") if isinstance(row.payload, dict) else None
        recorded = aware(row.recorded_at)
        if isinstance(produced, datetime) and recorded is not None:
            seconds = (recorded - (aware(produced) or recorded)).total_seconds()
            found.append((row.source_topic, max(0.0, seconds)))
    return (rows[-1].id if rows else after_id), found


def redrives(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Audit rows of re-drives by dead-letter id, oldest first."""
    a = m.audit.c
    with transaction(engine, write=False) as conn:
        rows = conn.execute(select(a.at, a.actor, a.entity_id, a.new, a.reason)
                            .where(a.action == REDRIVE_ACTION).order_by(a.id)).all()
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row.entity_id, []).append({
            "at": aware(row.at), "actor": row.actor, "reason": row.reason,
            "to": row.new if isinstance(row.new, dict) else None})
    return found


def fate(engine: Engine, consumer: str, to: dict[str, Any], message_id: str | None) -> str:
    """What became of a re-driven message: processed, failed again, or pending."""
    i = m.inbox.c
    position = and_(i.source_topic == to.get("topic"), i.source_partition == to.get("partition"),
                    i.source_offset == to.get("offset"))
    match = position if not message_id else or_(position, i.message_key == message_id)
    with transaction(engine, write=False) as conn:
        outcome = conn.scalar(select(i.outcome).where(i.consumer == consumer, match)
                              .order_by(i.processed_at.desc()).limit(1))
        stored = bool(message_id) and conn.scalar(
            select(func.count()).select_from(m.fact).where(m.fact.c.message_id == message_id))
    if stored:
        return "processed"
    if outcome is None:
        return "pending"
    return "failed again" if outcome == DEAD_LETTERED else "processed"

"""Read-only questions the console asks the case store's tables (it never writes them here).

Writes go through ``Store`` (``Store.audit``); these reads cover what ``Store`` has no method
for: agent activity from the inbox and processing latency from facts. Dead letters have their
own reads in ``hub.store.dead_letters``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, Integer, func, select

from hub.store import models as m
from hub.store.engine import transaction

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

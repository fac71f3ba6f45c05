"""Builders and a sample projection/emitter shared by the store's component tests (no tests)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

import topics
from hub.store import Fact, InboundMessage, OutboxMessage, Refusal
from hub.store import models as m
from hub.store.engine import make_engine
from hub.store.records import Emission

EXAM = "nl.inburgering.hub.Examenresultaat"
HOURS = "nl.inburgering.hub.Presentie"
TOPIC = "inburgering.examenresultaat"


def message(
    n: int, case: str = "CR-A", *, kind: str = EXAM, offset: int | None = None,
    partition: int = 0, topic: str = TOPIC, amount: str = "1.50",
) -> InboundMessage:
    """Message ``m<n>`` about ``case``, with a record holding every awkward Avro type."""
    record = {
        "examen": "LEZEN",
        "datum": date(2024, 1, 1 + n % 28),
        "ontvangen": datetime(2024, 2, 1, 12, 0, n % 60, 123000, tzinfo=UTC),
        "bedrag": Decimal(amount),
        "bsn": {"key_id": "dev1", "nonce": bytes([n % 256]) * 12, "ciphertext": b"\x00\xff"},
        "opmerking": None,
    }
    return InboundMessage(topic, partition, n if offset is None else offset, f"m{n}", case,
                          kind, record)


def refusal(offset: int, *, topic: str = TOPIC, partition: int = 0) -> Refusal:
    """A refused message at ``offset`` with its encoded dead-letter record."""
    dead = OutboxMessage(f"dl:{topic}:{partition}:{offset}", f"{topic}.dlq", None,
                         f"dead {offset}".encode())
    return Refusal(topic, partition, offset, "InvalidField", "bsn: not a valid BSN", 3, dead)


def ledger(case_ref: str, facts: Sequence[Fact]) -> dict[str, Any]:
    """An order-sensitive projection: proves the store sorts facts before projecting."""
    return {
        "ids": [fact.message_id for fact in facts],
        "total": str(sum((Decimal(fact.record["bedrag"]) for fact in facts), Decimal(0))),
        "hours": sum(1 for fact in facts if fact.kind == HOURS),
    }


def milestones(case_ref: str, view: dict[str, Any], ledger: Sequence[dict[str, Any]],
               now: datetime) -> Emission:
    """One message per fact-count milestone reached and not in the case's ledger yet (ids
    stable across retries): a fake of the ledger's diff on a toy view."""
    sent = {e["effect_key"] for e in ledger}
    due = [count for count in range(2, len(view["ids"]) + 1, 2)
           if f"milestone:{count}" not in sent]
    entries = [{"effect_key": f"milestone:{count}", "seq": 1,
                "effect_id": f"{case_ref}:facts:{count}", "soort": "SIGNAAL",
                "topic": topics.SIGNAAL, "live": True, "bedrag_cent": None,
                "digest": str(count), "reden": "mijlpaal", "record": {"count": count}}
               for count in due]
    return Emission(entries, [OutboxMessage(f"{case_ref}:facts:{count}", topics.SIGNAAL,
                                            case_ref.encode(), str(count).encode())
                              for count in due])


def table_rows(url: str, table: str, order_by: str = "") -> list[dict[str, Any]]:
    """Every row of a store table as dicts, JSON decoded as the store does (for assertions)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            stmt = select(m.TABLES[table])
            if order_by:
                stmt = stmt.order_by(m.TABLES[table].c[order_by])
            return [dict(row._mapping) for row in conn.execute(stmt)]
    finally:
        engine.dispose()

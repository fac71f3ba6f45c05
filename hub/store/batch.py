"""One consumer batch in one transaction: inbox, facts, views, dead letters, outbox.

The inbox insert is the deduplication: ``INSERT .. ON CONFLICT DO NOTHING RETURNING`` names
exactly the messages this consumer has not handled before, also when two workers race.
Facts are deduplicated by message id across consumers the same way; only cases that got a
new fact are re-projected: at once (inline), or marked dirty in this same transaction and
projected later by ``views.plan_dirty`` and ``apply_plan`` (deferred), which coalesces a busy
case's facts into one projection.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection

from hub.store import bulk
from hub.store import models as m
from hub.store.dead_letter_writes import insert_letters, settle
from hub.store.outbox import insert_outbox
from hub.store.records import (
    BatchOutcome,
    Fact,
    InboundMessage,
    NewDeadLetter,
    OutboxMessage,
    Refusal,
)
from hub.store.views import Rules, mark_dirty, refresh

T = TypeVar("T")
APPLIED = "applied"
DEAD_LETTERED = "dead_lettered"


def record_batch(
    conn: Connection, rules: Rules, consumer: str, accepted: Sequence[InboundMessage],
    refused: Sequence[Refusal], outbox: Sequence[OutboxMessage], now: datetime, *,
    project: bool = True,
) -> tuple[BatchOutcome, list[Fact]]:
    """Write one batch inside the caller's transaction: what changed, and the new facts.

    The caller caches the new facts once the transaction has committed.
    """
    fresh = _first_each(accepted, lambda msg: msg.message_id)
    fresh_refused = _first_each(refused, lambda ref: ref.position_key)
    new_keys = _claim(conn, consumer, fresh, fresh_refused, now)
    applied = [msg for msg in fresh if msg.message_id in new_keys]
    dead = [ref for ref in fresh_refused if ref.position_key in new_keys]
    derived = [extra for msg in applied for extra in rules.derive(msg)]
    new_facts = _insert_facts(conn, [*applied, *derived], now)
    touched = {fact.case_ref for fact in new_facts}
    if project:
        views_changed = refresh(
            conn, touched, rules, actor=f"consumer:{consumer}", action="case_view.update",
            now=now, pending={f.message_id: f for f in new_facts},
        )
    else:
        mark_dirty(conn, touched, now)
        views_changed = 0
    _insert_refusals(conn, consumer, dead, now)
    settled = [msg.redrive_of for msg in accepted if msg.redrive_of]
    if settled:  # the re-driven message is stored (now or before): its letter is resolved
        settle(conn, settled, consumer, now)
    insert_outbox(conn, outbox, now)
    duplicates = len(accepted) + len(refused) - len(applied) - len(dead)
    return BatchOutcome(len(applied), duplicates, len(dead), views_changed), new_facts


def _first_each(items: Sequence[T], key: Callable[[T], Hashable]) -> list[T]:
    seen: set[Hashable] = set()
    unique = []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            unique.append(item)
    return unique


def _claim(
    conn: Connection, consumer: str, accepted: Sequence[InboundMessage],
    refused: Sequence[Refusal], now: datetime,
) -> set[str]:
    """Insert inbox rows; return the keys that were new for ``consumer``."""
    rows = [_inbox_row(consumer, msg.message_id, msg, APPLIED, now) for msg in accepted]
    rows += [_inbox_row(consumer, ref.position_key, ref, DEAD_LETTERED, now) for ref in refused]
    if not rows:
        return set()
    rows.sort(key=lambda row: row["message_key"])  # one lock order for racing workers
    return set(bulk.insert_many(conn, m.inbox, rows, conflict=["consumer", "message_key"],
                                returning="message_key"))


def _inbox_row(
    consumer: str, key: str, source: InboundMessage | Refusal, outcome: str, now: datetime
) -> dict[str, Any]:
    return {"consumer": consumer, "message_key": key, "source_topic": source.topic,
            "source_partition": source.partition, "source_offset": source.offset,
            "outcome": outcome, "processed_at": now}


def _insert_facts(
    conn: Connection, applied: Sequence[InboundMessage], now: datetime
) -> list[Fact]:
    """Store the facts not yet known under their message id; return those that were new."""
    if not applied:
        return []
    ordered = sorted(applied, key=lambda msg: msg.message_id)  # one lock order for racers
    rows = [
        {"message_id": msg.message_id, "case_ref": msg.case_ref, "kind": msg.kind,
         "source_topic": msg.topic, "source_partition": msg.partition,
         "source_offset": msg.offset, "payload": msg.record, "recorded_at": now}
        for msg in ordered
    ]
    stored = set(bulk.insert_many(conn, m.fact, rows, conflict=["message_id"],
                                  returning="message_id"))
    return [
        Fact(msg.message_id, msg.case_ref, msg.kind, msg.record, msg.topic, msg.partition,
             msg.offset)
        for msg in ordered if msg.message_id in stored
    ]


def _insert_refusals(
    conn: Connection, consumer: str, refused: Sequence[Refusal], now: datetime
) -> None:
    if not refused:
        return
    insert_letters(conn, [NewDeadLetter(
        letter_id=ref.dead_letter.message_id, consumer=consumer, source_topic=ref.topic,
        source_partition=ref.partition, source_offset=ref.offset, case_ref=ref.case_ref,
        error_type=ref.error_type, error_message=ref.error_message, attempts=ref.attempts,
        failed_at=now, original_key=ref.original_key, original_value=ref.original_value,
        original_message_id=ref.original_message_id, redrive_of=ref.redrive_of,
        dead_letter_topic=ref.dead_letter.topic, outbox_message_id=ref.dead_letter.message_id)
        for ref in refused], now)
    insert_outbox(conn, [ref.dead_letter for ref in refused], now)

"""The store on SQLite and PostgreSQL: effectively once, facts in/view out, outbox, audit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from hub.errors import ConfigurationError
from hub.store import BatchOutcome, Fact, InboundMessage, OutboxMessage, Store
from tests.component.test_store_support import (
    EXAM,
    HOURS,
    ledger,
    message,
    milestones,
    refusal,
    table_rows,
)

OpenStore = Callable[..., Store]


@pytest.fixture
def open_store(store_url: str) -> Iterator[OpenStore]:
    """Open stores on this test's database (ledger projection by default); closed after."""
    stores: list[Store] = []

    def open_(url: str = store_url, **options: Any) -> Store:
        options.setdefault("projection", ledger)
        stores.append(Store(url, **options))
        return stores[-1]

    yield open_
    for store in stores:
        store.close()


def counts(store: Store) -> dict[str, int]:
    """Row count of every table the tests look at."""
    tables = ("fact", "inbox", "case_view", "audit", "outbox", "dead_letter")
    return {table: store.count(table) for table in tables}


def test_batch_applies_facts_inbox_and_views_once(open_store: OpenStore) -> None:
    store = open_store()
    batch = [message(1, "CR-A"), message(2, "CR-A"), message(3, "CR-B")]

    first = store.record_batch("exams", batch)
    digest, rows = store.content_hash(), counts(store)
    again = store.record_batch("exams", batch)

    assert first == BatchOutcome(applied=3, duplicates=0, dead_lettered=0, views_changed=2)
    assert again == BatchOutcome(applied=0, duplicates=3, dead_lettered=0, views_changed=0)
    assert rows == {"fact": 3, "inbox": 3, "case_view": 2, "audit": 2, "outbox": 0,
                    "dead_letter": 0}
    assert counts(store) == rows
    assert store.content_hash() == digest
    assert store.case_view("CR-A") == {"ids": ["m1", "m2"], "total": "3.00", "hours": 0}
    assert store.case_view("CR-unknown") is None


def test_inbox_rows_name_consumer_position_and_outcome(
    open_store: OpenStore, store_url: str
) -> None:
    store = open_store()
    store.record_batch("exams", [message(7, offset=70, partition=2)], [refusal(71)])

    rows = table_rows(store_url, "inbox", order_by="message_key")

    assert [(r["consumer"], r["message_key"], r["source_partition"], r["source_offset"],
             r["outcome"]) for r in rows] == [
        ("exams", "m7", 2, 70, "applied"),
        ("exams", "pos:inburgering.examenresultaat/0/71", 0, 71, "dead_lettered"),
    ]


def test_duplicates_inside_one_batch_count_once(open_store: OpenStore) -> None:
    store = open_store()
    first = message(1)
    redelivered = message(1, offset=99)  # same message id at a later offset

    outcome = store.record_batch("exams", [first, redelivered, first], [refusal(5), refusal(5)])

    assert outcome == BatchOutcome(applied=1, duplicates=3, dead_lettered=1, views_changed=1)
    assert counts(store)["fact"] == 1
    assert counts(store)["dead_letter"] == 1
    assert store.facts_for("CR-A")[0].source_offset == 1


def test_fact_from_another_consumer_is_stored_once(open_store: OpenStore) -> None:
    store = open_store()
    store.record_batch("exams", [message(1)])
    digest = store.content_hash()

    outcome = store.record_batch("reports", [message(1, offset=500)])

    assert outcome == BatchOutcome(applied=1, duplicates=0, dead_lettered=0, views_changed=0)
    assert counts(store)["fact"] == 1
    assert counts(store)["inbox"] == 2
    assert store.content_hash() == digest


def test_refused_messages_become_dead_letters_and_outbox_rows(
    open_store: OpenStore, store_url: str
) -> None:
    store = open_store()

    outcome = store.record_batch("exams", [], [refusal(10), refusal(11)])
    again = store.record_batch("exams", [], [refusal(10)])

    assert outcome == BatchOutcome(applied=0, duplicates=0, dead_lettered=2, views_changed=0)
    assert again == BatchOutcome(applied=0, duplicates=1, dead_lettered=0, views_changed=0)
    dead = table_rows(store_url, "dead_letter", order_by="source_offset")
    assert [(d["consumer"], d["source_offset"], d["error_type"], d["attempts"],
             d["outbox_message_id"]) for d in dead] == [
        ("exams", 10, "InvalidField", 3, "dl:inburgering.examenresultaat:0:10"),
        ("exams", 11, "InvalidField", 3, "dl:inburgering.examenresultaat:0:11"),
    ]
    pending = store.pending_outbox()
    assert [(row.message_id, row.topic, row.value) for row in pending] == [
        ("dl:inburgering.examenresultaat:0:10", "inburgering.examenresultaat.dlq", b"dead 10"),
        ("dl:inburgering.examenresultaat:0:11", "inburgering.examenresultaat.dlq", b"dead 11"),
    ]


def test_redriven_message_is_applied(open_store: OpenStore) -> None:
    store = open_store()
    store.record_batch("exams", [], [refusal(10)])  # m10 at offset 10 was refused

    redriven = store.record_batch("exams", [message(10, offset=40)])

    assert redriven == BatchOutcome(applied=1, duplicates=0, dead_lettered=0, views_changed=1)
    assert [f.source_offset for f in store.facts_for("CR-A")] == [40]
    assert store.record_batch("exams", [], [refusal(10)]).duplicates == 1


def test_emitted_messages_land_in_the_outbox_once(open_store: OpenStore) -> None:
    store = open_store(emitter=milestones)
    batches = [[message(1), message(2)], [message(3), message(4), message(5)]]

    for batch in batches:
        store.record_batch("exams", batch)
    for batch in batches:  # the whole stream redelivered
        store.record_batch("exams", batch)
    extra = OutboxMessage("CR-A:facts:2", "inburgering.signaal", None, b"again")
    store.record_batch("exams", [], outbox=[extra])  # same id again: ignored

    pending = store.pending_outbox()
    assert [(row.message_id, row.key, row.value) for row in pending] == [
        ("CR-A:facts:2", b"CR-A", b"2"),
        ("CR-A:facts:4", b"CR-A", b"4"),
    ]


def test_outbox_publish_bookkeeping(open_store: OpenStore, store_url: str) -> None:
    store = open_store()
    messages = [OutboxMessage(f"out-{n}", "t.out", None if n else b"k", bytes([n]))
                for n in range(4)]
    store.record_batch("connector", [], outbox=messages)

    first_two = store.pending_outbox(limit=2)
    store.mark_published([first_two[0].id])
    store.mark_failed([first_two[1].id], "UpstreamUnavailable: DUO timed out")
    store.mark_failed([first_two[1].id], "UpstreamUnavailable: DUO timed out again")

    pending = store.pending_outbox()
    assert [(row.message_id, row.key, row.attempts) for row in first_two] == [
        ("out-0", b"k", 0), ("out-1", None, 0)]
    assert [(row.message_id, row.attempts) for row in pending] == [
        ("out-1", 2), ("out-2", 0), ("out-3", 0)]
    failed = next(r for r in table_rows(store_url, "outbox") if r["message_id"] == "out-1")
    assert failed["last_error"] == "UpstreamUnavailable: DUO timed out again"
    assert failed["published_at"] is None


def test_views_version_and_audit_old_and_new(open_store: OpenStore, store_url: str) -> None:
    store = open_store()
    store.record_batch("exams", [message(1)])
    store.record_batch("hours", [message(2, kind=HOURS)])
    store.record_batch("hours", [message(2, kind=HOURS, offset=9)])  # duplicate: no write

    views = table_rows(store_url, "case_view")
    audit = table_rows(store_url, "audit", order_by="id")
    assert [(v["case_ref"], v["version"]) for v in views] == [("CR-A", 2)]
    assert [(a["actor"], a["action"], a["entity"], a["entity_id"]) for a in audit] == [
        ("consumer:exams", "case_view.update", "case_view", "CR-A"),
        ("consumer:hours", "case_view.update", "case_view", "CR-A"),
    ]
    assert audit[0]["old"] is None
    assert audit[0]["new"] == {"ids": ["m1"], "total": "1.50", "hours": 0}
    assert audit[1]["old"] == audit[0]["new"]
    assert audit[1]["new"] == {"ids": ["m1", "m2"], "total": "3.00", "hours": 1}


def test_audit_method_writes_a_row(open_store: OpenStore, store_url: str) -> None:
    store = open_store()
    store.audit("user:jan", "dead_letter.redrive", "dead_letter", "42",
                old={"state": "open"}, new={"state": "redriven", "at": date(2024, 5, 1)},
                reason="partner fixed the BSN")
    store.audit("user:jan", "bsn.unmask", "case", "CR-A")

    rows = table_rows(store_url, "audit", order_by="id")
    assert [(r["actor"], r["action"], r["entity_id"], r["old"], r["new"], r["reason"])
            for r in rows] == [
        ("user:jan", "dead_letter.redrive", "42", {"state": "open"},
         {"state": "redriven", "at": date(2024, 5, 1)}, "partner fixed the BSN"),
        ("user:jan", "bsn.unmask", "CR-A", None, None, None),
    ]


def test_rebuild_views_reproduces_and_repairs_views(open_store: OpenStore, store_url: str) -> None:
    store = open_store()
    for n in range(1, 8):
        store.record_batch("exams", [message(n, f"CR-{n % 3}")])
    views = {ref: store.case_view(ref) for ref in ("CR-0", "CR-1", "CR-2")}
    digest = store.content_hash()

    assert store.rebuild_views(batch_size=2) == 0
    assert store.content_hash() == digest

    def fixed_rule(case_ref: str, facts: Any) -> dict[str, Any]:
        return {**ledger(case_ref, facts), "rule": 2}

    fixed = open_store(projection=fixed_rule)
    assert fixed.rebuild_views(batch_size=2) == 3
    assert {ref: fixed.case_view(ref) for ref in views} == {
        ref: {**view, "rule": 2} for ref, view in views.items() if view is not None}
    rebuilt = [a for a in table_rows(store_url, "audit") if a["action"] == "case_view.rebuild"]
    assert len(rebuilt) == 3


def test_cursor_get_and_set(open_store: OpenStore) -> None:
    store = open_store()
    assert store.get_cursor("duo.uitslagen") is None
    store.set_cursor("duo.uitslagen", "2024-05-01T00:00:00Z")
    store.set_cursor("duo.uitslagen", "2024-05-02T00:00:00Z")
    store.set_cursor("isi.presentie", "17")
    assert store.get_cursor("duo.uitslagen") == "2024-05-02T00:00:00Z"
    assert store.get_cursor("isi.presentie") == "17"


def test_records_round_trip_exactly(open_store: OpenStore) -> None:
    store = open_store(projection=None)  # the default projection
    record = {
        "bytes": b"\x00\x01\xfe\xff", "empty": b"", "date": date(2024, 2, 29),
        "aware": datetime(2024, 3, 31, 1, 59, 59, 999999, tzinfo=UTC),
        "naive": datetime(2024, 1, 1, 0, 0), "time": time(23, 59, 1, 500),
        "decimal": Decimal("-12345678901234567890.000100"), "uuid": UUID(int=7),
        "nested": {"list": [b"x", Decimal("0E-8"), None, True, 1.25], "map": {"$b64": "not"}},
        "$dollar": "a key that looks like a tag", "float": float("inf"), "text": "ĳssel €",
    }
    store.record_batch("exams", [InboundMessage("t", 0, 1, "m1", "CR-A", EXAM, record)])

    [fact] = store.facts_for("CR-A")
    assert fact == Fact("m1", "CR-A", EXAM, record, "t", 0, 1)
    assert type(fact.record["nested"]["map"]) is dict


def test_facts_for_hands_out_copies(open_store: OpenStore) -> None:
    store = open_store()
    store.record_batch("exams", [message(1), message(2)])

    store.facts_for("CR-A")[0].record["bedrag"] = Decimal("999")
    store.record_batch("exams", [message(3)])  # re-projects CR-A from the store's facts

    assert store.case_view("CR-A") == {"ids": ["m1", "m2", "m3"], "total": "4.50", "hours": 0}


def test_a_failing_batch_leaves_nothing_behind(open_store: OpenStore) -> None:
    def explode(case_ref: str, facts: Any) -> dict[str, Any]:
        if case_ref == "CR-bad":
            raise ZeroDivisionError("a bug in a rule")
        return ledger(case_ref, facts)

    store = open_store(projection=explode, emitter=milestones)
    batch = [message(1, "CR-A"), message(2, "CR-A"), message(3, "CR-bad")]

    with pytest.raises(ZeroDivisionError):
        store.record_batch("exams", batch, [refusal(9)], [OutboxMessage("x", "t", None, b"")])

    assert counts(store) == dict.fromkeys(counts(store), 0)


def test_count_names_only_store_tables(open_store: OpenStore) -> None:
    with pytest.raises(ConfigurationError, match="unknown table"):
        open_store().count("fact; DROP TABLE fact")

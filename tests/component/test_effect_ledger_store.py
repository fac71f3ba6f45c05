"""The effect ledger in the store (issue 15), on SQLite and PostgreSQL: written with the view in
one transaction, encoded to the outbox under each version's id, reversals after a refusal, and
a second payload under a known id refused with a dead letter (never dropped silently)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import topics
from hub.codec import AvroCodec
from hub.outbound.emit import LedgerEmitter
from hub.registry import FileSchemaRegistry
from hub.store import Fact, InboundMessage, OutboxMessage, Store
from hub.store.records import Emission
from schemas import LOCK_PATH
from tests.component.test_store_support import table_rows

CASE = "CR" + "B" * 30
CODEC = AvroCodec(FileSchemaRegistry(LOCK_PATH))


def line(n: int, approved: bool, cents: int = 120_000) -> InboundMessage:
    """A toy fact: the decision on line 1 of document D1, as the rules would give it."""
    return InboundMessage("t", 0, n, f"m{n}", CASE, "Regel", {
        "n": n, "approved": approved, "cents": cents})


def decisions(case_ref: str, facts: Sequence[Fact]) -> dict[str, Any]:
    """The latest toy fact decides the line (a projection of the facts, as the rules are)."""
    last = max(facts, key=lambda f: f.record["n"]).record
    ok = last["approved"]
    return {"beslissingen": [{
        "factuur_key": "FA1", "factuur_message_id": "doc-D1", "factuurnummer": "2024-7",
        "leverancier_id": "B10001", "regelnummer": "1", "documentsoort": "INVOICE",
        "dienstdatum": "2024-03-01", "beslissing": "GOEDGEKEURD" if ok else "AFGEWEZEN",
        "reden": "R9.akkoord" if ok else "R9.uren-niet-geleverd", "regel": "R9",
        "goedgekeurd_cent": last["cents"] if ok else 0, "gemeentecode": "0363",
        "begrotingsjaar": 2024, "kostenplaats": "KP6210", "kostensoort": "KS4380",
        "iban_begunstigde": "NL91ABNA0417164300", "leverancier_naam": "School"}],
        "signalen": [], "uitgaand": []}


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store(store_url, projection=decisions, emitter=LedgerEmitter(CODEC))
    yield opened
    opened.close()


def test_a_booking_then_its_reversal_leave_with_the_view_under_their_ledger_ids(
        store: Store, store_url: str) -> None:
    store.record_batch("c", [line(1, True)])
    store.record_batch("c", [line(2, False)])
    ledger = store.effects(CASE)
    assert [(e["seq"], e["soort"], e["bedrag_cent"], e["live"]) for e in ledger] == [
        (1, "BOEKING", 120_000, True), (2, "TEGENBOEKING", -120_000, False)]
    assert ledger[1]["reden"] == "R9.uren-niet-geleverd"
    outbox = {r["message_id"]: r for r in table_rows(store_url, "outbox")}
    booked = CODEC.decode(outbox[ledger[0]["effect_id"]]["value"])[1]
    back = CODEC.decode(outbox[ledger[1]["effect_id"]]["value"])[1]
    assert back["tegenboeking_van"] == booked["boekingskenmerk"] != back["boekingskenmerk"]
    assert back["bedrag_cent"] == -booked["bedrag_cent"]
    assert booked["boekingsdatum"] == ledger[0]["created_at"].date()  # dated when made
    store.record_batch("c", [line(1, True)])  # a redelivery: nothing new anywhere
    assert len(store.effects(CASE)) == 2 and store.count("outbox") == 2


def test_every_version_stays_in_the_ledger_and_the_outbox(store: Store) -> None:
    for n, (ok, cents) in enumerate([(True, 100), (True, 250), (False, 0), (True, 250)], 1):
        store.record_batch("c", [line(n, ok, cents or 1)])
    soorten = [e["soort"] for e in store.effects(CASE)]
    assert soorten == ["BOEKING", "TEGENBOEKING", "BOEKING", "TEGENBOEKING", "BOEKING"]
    assert store.count("outbox") == len(soorten)
    assert sum(e["bedrag_cent"] for e in store.effects(CASE)) == 250


def clashing(case_ref: str, view: dict[str, Any], ledger: Sequence[dict[str, Any]],
             now: datetime) -> Emission:
    """A broken emitter: the same id for every payload (what the outbox must refuse)."""
    value = str(view["beslissingen"][0]["goedgekeurd_cent"]).encode()
    return Emission((), [OutboxMessage("one-id", topics.BOEKING, None, value)])


def test_a_second_payload_under_a_known_id_is_refused_logged_and_dead_lettered(
        store_url: str, caplog: pytest.LogCaptureFixture) -> None:
    store = Store(store_url, projection=decisions, emitter=clashing)
    try:
        store.record_batch("c", [line(1, True, 100)])
        store.record_batch("c", [line(2, True, 100)])  # same payload again: a retry, fine
        assert store.count("dead_letter") == 0
        store.record_batch("c", [line(3, True, 999)])
    finally:
        store.close()
    [row] = table_rows(store_url, "outbox")
    assert bytes(row["value"]) == b"100"  # the first stays as it was
    [dead] = table_rows(store_url, "dead_letter")
    assert (dead["error_type"], dead["outbox_message_id"]) == ("OutboxIdCollision", "one-id")
    assert "outbox_id_collision message_id=one-id" in caplog.text


def test_an_upgraded_store_seeds_the_ledger_with_what_the_old_emitter_booked(
        tmp_path: Path) -> None:
    """Migration 0005: a store of before the ledger; the first change after the upgrade reverses
    the booking under the kenmerk the old emitter sent (supplier + number + line), once."""
    import importlib
    import json as _json
    from datetime import UTC
    from datetime import datetime as _dt

    from hub.store import models as m
    from hub.store.engine import make_engine, transaction
    from hub.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0004_i19_isi_keyed_ids")
    first = line(1, True)
    view = decisions(CASE, [Fact(first.message_id, CASE, first.kind, first.record, "t", 0, 1)])
    now = _dt.now(UTC)
    with transaction(engine, write=True) as conn:
        conn.execute(m.fact.insert().values(
            message_id=first.message_id, case_ref=CASE, kind=first.kind, source_topic="t",
            source_partition=0, source_offset=1, payload=first.record, recorded_at=now))
        conn.execute(m.case_view.insert().values(case_ref=CASE, view=_json.loads(
            _json.dumps(view)), version=1, updated_at=now))
    engine.dispose()
    old = importlib.import_module("hub.store.migrations.versions.0005_i15_effect_ledger")
    old_kenmerk = old._old_booking(CASE, view["beslissingen"][0])[1]["boekingskenmerk"]

    store = Store(url, projection=decisions, emitter=LedgerEmitter(CODEC))
    try:
        [seeded] = store.effects(CASE)
        assert (seeded["soort"], seeded["record"]["boekingskenmerk"]) == ("BOEKING", old_kenmerk)
        while store.project_pending():
            pass
        assert len(store.effects(CASE)) == 1  # the same view: nothing sent again
        store.record_batch("c", [line(2, False)])
        back = store.effects(CASE)[-1]
        assert (back["soort"], back["record"]["tegenboeking_van"]) == ("TEGENBOEKING",
                                                                       old_kenmerk)
    finally:
        store.close()


def test_hub_case_effects_lists_the_ledger_with_reasons_and_state(tmp_path: Path) -> None:
    """``hub case effects``: every entry with its reason; the reversed booking ``vervallen``."""
    import json as _json

    from typer.testing import CliRunner

    from hub.cli import app

    url = f"sqlite:///{tmp_path / 'hub.db'}"
    store = Store(url, projection=decisions, emitter=LedgerEmitter(CODEC))
    try:
        store.record_batch("c", [line(1, True)])
        store.record_batch("c", [line(2, False)])
    finally:
        store.close()
    env = {"HUB_HOME": str(tmp_path), "HUB_DATABASE_URL": url}
    result = CliRunner().invoke(app, ["case", "effects", CASE, "--json"], env=env)
    assert result.exit_code == 0, result.output
    rows = [_json.loads(line) for line in result.output.splitlines()]
    assert [(r["soort"], r["staat"], r["reden"]) for r in rows] == [
        ("BOEKING", "vervallen", "R9.akkoord"),
        ("TEGENBOEKING", "intrekking", "R9.uren-niet-geleverd")]
    assert rows[1]["verwijst_naar"] == rows[0]["kenmerk"]
    table = CliRunner().invoke(app, ["case", "effects", CASE], env=env)
    assert "TEGENBOEKING" in table.output and "R9.uren-niet-geleverd" in table.output

"""ISI message ids: keyed (no BSN derivable), the same for the same data however it is written,
and the store migration re-keys facts imported under the old ids so a re-import adds nothing."""

from __future__ import annotations

import hashlib
import importlib
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

import topics
from connectors.edge import Routed, RuntimeSealer
from connectors.isi.translate import translate_row
from hub.runtime import Runtime
from hub.settings import from_env
from hub.store import InboundMessage, Store
from hub.store import models as m
from hub.store.engine import make_engine, transaction
from hub.store.migrate import upgrade

RECEIVED = datetime(2024, 5, 6, tzinfo=UTC)
MIGRATION = importlib.import_module("hub.store.migrations.versions.0004_i19_isi_keyed_ids")
HEADER = {"message_id", "case_ref", "source", "produced_at", "bsn"}
EXPORT = [
    "PERSOON;111222333;1234567890;WI2007;GEZINSMIGRANT;01-03-2009",
    "PERSOON;111222333;1234567890;wi2007;gezinsmigrant;2009-03-01",  # the same, written anew
    "TRAJECT;111222333;T-1;WI2007;0392;PIB;Taalcentrum;12345678;2009-04-01;2010-06-30;"
    "4875,00;650;AFGEROND",
    "PIBBUDGET;111222333;PIB-7;0392;2009-03-20;5000;650;250",
    "VOUCHER;111222333;PIB-7;V-1;0392;INBURGERAAR;VOUCHER;250;UITGEREIKT;2010-07-15;2009-04-01",
    "EXAMEN;123456782;EX-1;ONA;A2;2015-02-03;NIET_GESLAAGD;41",
]


def legacy_id(values: list[str]) -> str:
    """The id the importer gave before issue 19: uuid5 over an unkeyed hash of the raw row."""
    kind = values[0].strip().upper()
    key = {"PERSOON": 1, "TRAJECT": 2, "EXAMEN": 2, "PIBBUDGET": 2, "VOUCHER": 3}[kind]
    digest = hashlib.sha256(";".join(v.strip() for v in values[1:]).encode()).hexdigest()
    namespace = uuid.UUID("1f0e3c59-8a0b-5d7e-b6c2-4a9d2e7f1b30")
    return str(uuid.uuid5(namespace, f"isi:{kind}:{values[key].strip()}:{digest}"))


def _runtime(tmp_path: Path) -> Runtime:
    return Runtime(from_env({"HUB_HOME": str(tmp_path)}))


def _routed(runtime: Runtime) -> list[Routed]:
    sealer = RuntimeSealer(runtime)
    return [translate_row(line.split(";"), sealer=sealer, received_at=RECEIVED)
            for line in EXPORT]


def _decoded(runtime: Runtime, routed: Routed) -> dict[str, Any]:
    spec = topics.by_name(routed.topic)
    return dict(runtime.codec.decode(runtime.codec.encode(spec.value_schema, routed.record))[1])


def test_ids_are_keyed_and_the_same_for_the_same_data(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path)
    routed = _routed(runtime)
    ids = [r.record["message_id"] for r in routed]
    assert ids[0] == ids[1] and len(set(ids)) == len(ids) - 1
    assert all(i.startswith("isi:") for i in ids)
    other = Runtime(from_env({"HUB_HOME": str(tmp_path / "other"),
                              "HUB_CASE_REF_KEY": "another-key-" + "x" * 40}))
    assert not set(ids) & {r.record["message_id"] for r in _routed(other)}  # keyed
    assert legacy_id(EXPORT[0].split(";")) != ids[0]


def test_the_migration_computes_the_importers_id_from_what_the_store_holds(
        tmp_path: Path) -> None:
    runtime = _runtime(tmp_path)
    for r in _routed(runtime):
        stored = _decoded(runtime, r)
        _, names = MIGRATION.TOPICS[r.topic]
        assert set(names) == set(r.record) - HEADER, r.topic  # the frozen field lists agree
        assert MIGRATION.new_id(r.topic, stored["case_ref"], stored) == stored["message_id"]


def _old_store(runtime: Runtime, url: str) -> None:
    """A store at revision 0003 holding the export as the old importer recorded it."""
    engine = make_engine(url)
    upgrade(engine, "0003_dirty_case")
    now = datetime.now(UTC)
    with transaction(engine, write=True) as conn:
        for offset, (line, r) in enumerate(zip(EXPORT, _routed(runtime), strict=True)):
            record = {**_decoded(runtime, r), "message_id": legacy_id(line.split(";"))}
            spec = topics.by_name(r.topic)
            conn.execute(m.fact.insert().values(
                message_id=record["message_id"], case_ref=record["case_ref"],
                kind=spec.value_schema, source_topic=r.topic, source_partition=0,
                source_offset=offset, payload=record, recorded_at=now))
            conn.execute(m.inbox.insert().values(
                consumer=f"record:{r.topic}", message_key=record["message_id"],
                source_topic=r.topic, source_partition=0, source_offset=offset,
                outcome="applied", processed_at=now))
    engine.dispose()


def test_facts_imported_under_the_old_ids_are_rekeyed_and_a_reimport_adds_nothing(
        tmp_path: Path) -> None:
    runtime = _runtime(tmp_path)
    url = f"sqlite:///{tmp_path / 'old.db'}"
    _old_store(runtime, url)
    store = Store(url)  # migrates to head
    with transaction(make_engine(url), write=False) as conn:
        facts = conn.execute(select(m.fact.c.message_id, m.fact.c.payload)).all()
        inbox = set(conn.execute(select(m.inbox.c.message_key)).scalars())
        marked = set(conn.execute(select(m.dirty_case.c.case_ref)).scalars())
    expected = {r.record["message_id"] for r in _routed(runtime)}
    assert {f.message_id for f in facts} == expected == inbox  # the duplicate row kept once
    assert all(f.payload["message_id"] == f.message_id for f in facts)
    assert len(facts) == len(EXPORT) - 1 and len(marked) == 2

    again = [InboundMessage(r.topic, 0, 100 + n, r.record["message_id"], r.record["case_ref"],
                            topics.by_name(r.topic).value_schema, _decoded(runtime, r))
             for n, r in enumerate(_routed(runtime))]
    for r in again:
        outcome = store.record_batch(f"record:{r.topic}", [r])
        assert outcome.applied == 0, r.topic
    assert store.count("fact") == len(EXPORT) - 1
    store.close()

"""Every file of a generated scenario in its partner's contract: read with the connector's own
parser and translator, valid Avro for its topic, and refused exactly where the ground truth
says (dead letter, quarantine or reject)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

import topics
from connectors.duo.config import XSD
from connectors.financieel.camt import parse_statement
from connectors.isam.notification import parse as parse_notification
from connectors.isam.simulator import IsamSimulator
from hub.errors import FileRefused
from hub.reconcile.tables import load_tables
from hub.scenario import Params, generate
from hub.scenario.feeds import _body, load_duo, notifications
from hub.scenario.offline import Sealer, replay, routed
from hub.scenario.replay import scenario_key


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("contracts") / "s"
    generate(Params(seed=21, gemeenten=2, cases=120, years=2), out)
    return out


@pytest.fixture(scope="module")
def truth(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "ground_truth.json").read_text(encoding="utf-8")))


def test_duo_file_is_a_valid_haal_wijzigingen_response(folder: Path) -> None:
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    document = etree.parse(str(folder / "duo" / "wijzigingen.xml"))
    assert schema.validate(document), schema.error_log.last_error
    changes = load_duo(folder / "duo" / "wijzigingen.xml")
    assert [c.sequence for c in changes] == list(range(1, len(changes) + 1))
    assert len({c.change_id for c in changes}) == len(changes)
    assert [c.at for c in changes] == sorted(c.at for c in changes)  # time order


def test_only_the_injected_inputs_are_refused_by_the_translators(
        folder: Path, truth: dict[str, Any]) -> None:
    refused = sorted(where for where, _ in (
        item for item in routed(folder, Sealer(scenario_key(folder) or "")) if
        isinstance(item, tuple)))
    expected = sorted(
        [f"duo/{d['id'].rsplit(':', 1)[1]}" for d in truth["dead_letters"] if "id" in d]
        + [f"taalaanbieder/{q['map']}/{q['bestand']}" for q in truth["quarantaine"]
           if q["partner"] == "taalaanbieder"]
        + [f"isi/export.csv line {r['regel']}" for r in truth["rejects"]])
    isam = [w for w in refused if w.startswith("isam/")]
    kredietbank = [w for w in refused if w.startswith("kredietbank/")]
    assert [w for w in refused if w not in isam + kredietbank] == expected
    assert len(isam) == len(kredietbank) == 1  # the invalid BSN and the broken invoice


def test_every_record_is_valid_avro_for_its_topic(folder: Path) -> None:
    result = replay(folder, scenario_key(folder) or "", load_tables())
    for topic in (topics.DUO_INBURGERINGSPLICHT_VASTGESTELD, topics.KOPPELING_GEMEENTE,
                  topics.VOORTGANG, topics.TAALAANBIEDER_FACTUUR, topics.ISAM_PIP_VASTGESTELD,
                  topics.GESPREK, topics.ISAM_ONTZORGEN_BESLUIT, topics.ONTZORGEN_BETALING,
                  topics.KREDIETBANK_FACTUUR, topics.ISI_INBURGERINGSPLICHT_VASTGESTELD,
                  topics.ISI_PIB_BUDGET):
        assert result.records.get(topic, 0) > 0, topic
    assert len(result.views) > 100


def test_school_files_are_cumulative_or_periodic_per_school(folder: Path) -> None:
    duo_files = sorted(folder.glob("taalaanbieder/B20002/inbox/B20002Aanlevering*.csv"))
    presentie = sorted(folder.glob("taalaanbieder/B10001/inbox/presentie_2*.csv"))
    assert duo_files and presentie
    assert not list(folder.glob("taalaanbieder/B20002/inbox/presentie_*.csv"))


def test_bank_statements_parse_and_the_broken_one_is_refused(folder: Path) -> None:
    statements = sorted((folder / "financieel" / "inbox").iterdir())
    good = [p for p in statements if "kapot" not in p.name]
    assert len(good) == 2  # one per year
    for path in good:
        movements = parse_statement(path.read_bytes(), name=path.name, max_bytes=10**7)
        assert {m.debit for m in movements} == {True, False}  # foreign debit and a credit
    with pytest.raises(FileRefused) as refused:
        broken = folder / "financieel" / "inbox" / "camt053_kapot.xml"
        parse_statement(broken.read_bytes(), name=broken.name, max_bytes=10**7)
    assert refused.value.rule == "XML-SYNTAX"


def test_isam_lines_become_notifications_the_webhook_accepts(folder: Path) -> None:
    sim = IsamSimulator(base_url="http://isam.test")
    for item in notifications(folder / "isam" / "notificaties.jsonl"):
        key = (item["resource"], item["gegevens"]["uuid"])
        note = parse_notification(json.dumps(_body(sim, item, key)).encode())
        assert note.resource_url.endswith(f"/api/v1/{key[0]}/{key[1]}")
        assert str(item["gegevens"]["bsn"]) not in json.dumps(_body(sim, item, key))

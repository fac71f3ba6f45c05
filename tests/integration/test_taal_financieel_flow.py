"""School and bank files through the real broker into the store; refused files quarantined.

One connector process runs both file connectors (`hub connectors run taalaanbieder financieel`)
against the simulators' folders; a real `hub worker` records the facts in a SQLite file.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest
from lxml import etree

import topics
from connectors.financieel.demo import bookings
from connectors.financieel.sepa import schema
from connectors.financieel.simulator import FinancialSystemSimulator
from connectors.kit.folder import DropFolder
from connectors.taalaanbieder.demo import make_schools, play, publish_aanmeldingen
from connectors.ubl import invoice_key
from hub.runtime import Runtime
from tests.integration.conftest import HubEnv, stop_process, wait_until
from tests.integration.taal_support import facts, publish, spawn_connectors

pytestmark = pytest.mark.integration
PEOPLE = 3
VOORTGANG_ROWS = 4 * PEOPLE * 2 + PEOPLE * 2  # four weekly files and one DUO file per school
INVOICES = 6  # school 1: clean, wrong price, duplicate number, hours not delivered, credit note


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


@pytest.mark.slow(15)
def test_school_and_bank_files_land_in_the_store_and_bad_files_in_quarantine(
        hub_env: HubEnv, worker: subprocess.Popen[bytes]) -> None:
    settings = hub_env.settings()
    runtime = Runtime(settings)
    schools = make_schools(settings.var_dir / "taalaanbieder", runtime, people=PEOPLE, seed=7)
    play(schools)
    bank = FinancialSystemSimulator(DropFolder(settings.var_dir / "financieel").create())
    connector = spawn_connectors(hub_env, "taalaanbieder", "financieel")
    try:
        asyncio.run(publish_aanmeldingen(runtime, schools))  # message 10 for every learner
        publish(hub_env, topics.BOEKING, bookings())
        wait_until(lambda: len(facts(hub_env, topics.VOORTGANG)) >= VOORTGANG_ROWS, timeout=90)
        wait_until(lambda: len(facts(hub_env, topics.TAALAANBIEDER_FACTUUR)) >= INVOICES)
        wait_until(lambda: all(list(s.folder.outbox.glob("aanmelding_*.csv")) for s in schools))
        answered = sum(s.answer_aanmeldingen(refuse_every=2) for s in schools)
        wait_until(lambda: len(facts(hub_env, topics.AANMELDING_BEVESTIGING)) >= answered)
        wait_until(lambda: list(bank.folder.outbox.glob("pain001_*.xml")))
        pain = next(bank.folder.outbox.glob("pain001_*.xml")).read_bytes()
        assert bank.step() == 1  # the bank pays and drops a camt.053 statement
        wait_until(lambda: len(facts(hub_env, topics.BETALING)) >= 6)
        wait_until(lambda: not list(bank.folder.inbox.iterdir()))
    finally:
        stop_process(connector)

    voortgang = facts(hub_env, topics.VOORTGANG)
    assert len(voortgang) == VOORTGANG_ROWS
    assert sum(v["cumulatief"] for v in voortgang) == PEOPLE * 2  # the DUO rows
    learner = schools[0].learners[0]
    weekly = sorted((v for v in voortgang if v["case_ref"] == learner.case_ref
                     and not v["cumulatief"]), key=lambda v: v["periode_begindatum"])
    assert [str(v["periode_begindatum"]) for v in weekly] == [
        "2024-01-08", "2024-01-15", "2024-01-22", "2024-01-29"]
    duo = next(v for v in voortgang if v["case_ref"] == learner.case_ref and v["cumulatief"])
    assert duo["minuten_gevolgd_taal"] == 4 * 12 * 60 and duo["minuten_ingekocht"] == 600 * 60

    invoices = facts(hub_env, topics.TAALAANBIEDER_FACTUUR)
    assert sorted(f["factuurnummer"] for f in invoices) == [
        "2024-0001", "2024-0001", "2024-0002", "2024-0003", "2024-0004", "F-881"]
    wrong_price = next(f for f in invoices if f["factuurnummer"] == "2024-0002")
    assert {r["eenheidsprijs_cent"] for r in wrong_price["regels"]} == {4750}
    credit = next(f for f in invoices if f["factuurnummer"] == "2024-0004")
    assert credit["documentsoort"] == "CREDIT_NOTE"
    assert credit["gecrediteerde_factuurnummer"] == "2024-0002"
    assert credit["case_ref"] == invoice_key("B10001", "2024-0004")
    assert {r["case_ref"] for r in wrong_price["regels"]} == {x.case_ref
                                                             for x in schools[0].learners}

    confirmations = facts(hub_env, topics.AANMELDING_BEVESTIGING)
    assert len(confirmations) == answered == 2 * PEOPLE
    assert {c["aanmelding_message_id"] for c in confirmations} == {
        x.aanmelding_id for s in schools for x in s.learners}
    assert [c["status"] for c in confirmations].count("AFGEWEZEN") == 2 * (PEOPLE // 2)

    # quarantine: the invoice whose sums fail, the broken XML and the broken CSV, with reasons
    second = schools[1].folder
    reasons = {p.name: p.read_text() for p in second.quarantine.glob("*.reason.txt")}
    assert len(reasons) == 3 and len(list(second.quarantine.iterdir())) == 6
    text = "\n".join(reasons.values())
    assert "BR-CO-16" in text and "XML-SYNTAX" in text and "header" in text
    assert not any(x.bsn in text for x in schools[1].learners)
    for school in schools:
        assert _files(school.folder.inbox) == []  # nothing left, nothing deleted
        archived, quarantined = _files(school.folder.archive), _files(school.folder.quarantine)
        assert len(archived) + len(quarantined) // 2 == len(school.written)

    # financial system: the pain.001 validates; camt.053 payments matched by EndToEndId
    assert schema("pain.001.001.03").validate(etree.fromstring(pain))
    payments = facts(hub_env, topics.BETALING)
    payable = [b for b in bookings() if b["bedrag_cent"] > 0 and b["iban_begunstigde"]]
    assert sorted((p["bankreferentie"], p["bedrag_cent"], p["case_ref"]) for p in payments) == \
        sorted((b["boekingskenmerk"], b["bedrag_cent"],
                invoice_key(b["leverancier_id"], b["factuurnummer"])) for b in payable)
    export = next(bank.folder.outbox.rglob("boekingen_*.csv")).read_text()
    assert "CREDITERING" in export and "GEEN_IBAN" in export and "KP6110;KS4380;2024" in export
    unmatched = next(bank.folder.archive.rglob("*.unmatched.csv")).read_text()
    assert "HUUR-2024-02" in unmatched and len(unmatched.strip().splitlines()) == 3

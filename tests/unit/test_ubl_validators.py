"""What the hub writes passes the official validators (tests/ubl_oracle.py): the UBL 2.1 XSD,
CEN EN 16931, Peppol BIS 3.0.19 and SI-UBL 2.0, on every kind of document the school and
Kredietbank simulators and the scenario generator produce."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from connectors.kit.folder import DropFolder
from connectors.kredietbank.simulator import KredietbankSimulator
from connectors.taalaanbieder.simulator import Learner, SchoolSimulator
from connectors.ubl import InvoiceRejected, parse_invoice
from hub.scenario import Params, generate
from tests.shared_fixtures import PEPPOL
from tests.ubl_oracle import CAC, CBC, PEPPOL_SCH, OracleMissing, UblOracle, need

REF = "CR" + "0" * 30
OTHER = {"peppol": "si-ubl", "si-ubl": "peppol"}
SCENARIO_CASES = 150


def _valid_as_both(oracle: UblOracle, data: bytes, name: str, *, other: bool = True) -> str:
    """Assert ``data`` passes as written (and under the other CIUS); return the CIUS it claims."""
    report = oracle.check(data)
    assert report.valid, (name, report.cius, sorted(report.fatal), report.xsd_errors[:2])
    if other:
        again = oracle.check(data, as_cius=OTHER[report.cius])
        assert again.valid, (name, again.cius, sorted(again.fatal), again.xsd_errors[:2])
    return report.cius


def test_the_real_peppol_examples_pass(ubl_oracle: UblOracle) -> None:
    names = sorted(p.name for p in PEPPOL.glob("*.xml"))  # exactly these, none lost
    assert names == ["base-creditnote-correction.xml", "base-example.xml", "vat-category-E.xml"]
    for name in names:
        report = ubl_oracle.check((PEPPOL / name).read_bytes())
        assert report.cius == "peppol" and report.valid, (name, report.fatal)


def test_a_missing_validator_fails_loudly_instead_of_skipping(tmp_path: Path) -> None:
    assert need(PEPPOL_SCH) == PEPPOL_SCH
    with pytest.raises(OracleMissing, match=r"validation/README\.md"):
        need(tmp_path / "PEPPOL-EN16931-UBL.sch")


def _school(tmp_path: Path) -> SchoolSimulator:
    sim = SchoolSimulator(DropFolder(tmp_path / "B10001").create(), name="Taalschool & Zoon")
    sim.learners = [Learner("", REF, "B1", date(2024, 1, 8), 600, aanmelding_id="a-1", weeks=4),
                    Learner("", "CR" + "1" * 30, "Z", date(2024, 1, 8), 1600, weeks=4)]
    return sim


def test_the_oracle_catches_what_the_hub_used_to_write(ubl_oracle: UblOracle,
                                                       tmp_path: Path) -> None:
    """The 2026 documents: no street or postcode, no seller VAT id, order lines without order."""
    root = etree.fromstring(_school(tmp_path).invoice("F-1", date(2024, 2, 1),
                                                      date(2024, 2, 29)).read_bytes())
    for party in ("AccountingSupplierParty", "AccountingCustomerParty"):
        address = root.find(f"{{{CAC}}}{party}/{{{CAC}}}Party/{{{CAC}}}PostalAddress")
        for tag in ("StreetName", "PostalZone"):
            address.remove(address.find(f"{{{CBC}}}{tag}"))
    supplier = root.find(f"{{{CAC}}}AccountingSupplierParty/{{{CAC}}}Party")
    supplier.remove(supplier.find(f"{{{CAC}}}PartyTaxScheme"))
    root.remove(root.find(f"{{{CAC}}}OrderReference"))
    old = etree.tostring(root)
    assert {"BR-E-02", "NL-R-002", "NL-R-004", "NL-R-009"} <= ubl_oracle.check(old).fatal
    assert {"BR-E-02", "BR-NL-3", "BR-NL-4", "BR-NL-13"} <= ubl_oracle.check(
        old, as_cius="si-ubl").fatal
    misplaced = old.replace(b"<cbc:IssueDate>", b"<cbc:Note>x</cbc:Note><cbc:IssueDate>")
    assert ubl_oracle.check(misplaced).xsd_errors  # the XSD is really applied


def test_school_simulator_invoice_and_credit_note_pass(ubl_oracle: UblOracle,
                                                       tmp_path: Path) -> None:
    sim = _school(tmp_path)
    invoice = sim.invoice("F-2024-02", date(2024, 2, 1), date(2024, 2, 29))
    credit = sim.invoice("C-2024-02", date(2024, 2, 1), date(2024, 2, 29), hours=Decimal(2),
                         credit_note_for="F-2024-02", learners=sim.learners[:1])
    kinds = []
    for path in (invoice, credit):
        data = path.read_bytes()
        _valid_as_both(ubl_oracle, data, path.name)
        kinds.append(parse_invoice(data, source=path.name).kind)
    assert kinds == ["INVOICE", "CREDIT_NOTE"]


def test_kredietbank_simulator_invoice_passes(ubl_oracle: UblOracle) -> None:
    sim = KredietbankSimulator(months=2)
    sim.register({"huishoudenId": "HH-1", "bsn": "", "gemeentecode": "0344",
                  "ontzorgenStartdatum": "2024-03-01", "crediteuren": []})
    [(number, xml)] = sim.facturen
    _valid_as_both(ubl_oracle, xml, number)
    assert len(parse_invoice(xml, source=number).lines) == 3  # intake + two months


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scenario") / "s"
    generate(Params(seed=11, gemeenten=2, cases=SCENARIO_CASES, years=2), out)
    return out


def _kind(path: Path, root: Any) -> str:
    if path.parts[-2] == "facturen":
        return "kredietbank invoice"
    if etree.QName(root).localname == "CreditNote":
        return "school credit note"
    return "PIB invoice" if "-PIB-" in path.name else "school invoice"


@pytest.mark.slow(6)
def test_every_document_the_scenario_generator_writes_passes(ubl_oracle: UblOracle,
                                                             scenario: Path) -> None:
    truth = json.loads((scenario / "ground_truth.json").read_text(encoding="utf-8"))
    refused = {q["bestand"]: q["regel"] for q in truth["quarantaine"]
               if q["partner"] == "taalaanbieder" and q["bestand"].endswith(".xml")}
    broken_kb = Counter(d["bevat"] for d in truth["dead_letters"] if d["partner"] == "kredietbank")
    kinds: Counter[str] = Counter()
    failed_kb: Counter[str] = Counter()
    paths = sorted((scenario / "taalaanbieder").glob("*/inbox/*.xml"))
    paths += sorted((scenario / "kredietbank" / "facturen").glob("*.xml"))
    for path in paths:
        data = path.read_bytes()
        if refused.get(path.name, "").startswith("XML-"):
            continue  # not XML at all: the reader's XML-SYNTAX, no validator applies
        report = ubl_oracle.check(data)
        if path.name in refused or (path.parts[-2] == "facturen" and not report.valid):
            rule = refused.get(path.name) or next(iter(report.fatal), "?")
            failed_kb[rule] += path.parts[-2] == "facturen"
            assert report.fatal == {rule}, (path.name, report.fatal)  # broken on purpose only
            with pytest.raises(InvoiceRejected) as info:
                parse_invoice(data, source=path.name)
            assert info.value.rule == rule
            continue
        kind = _kind(path, etree.fromstring(data))
        # every document as written; the first few of each kind under the other CIUS too
        cius = _valid_as_both(ubl_oracle, data, path.name, other=kinds[kind] < 5)
        parse_invoice(data, source=path.name)  # and the hub reads what it wrote
        kinds[kind] += 1
        kinds[f"{kind} ({cius})"] += 1
    assert failed_kb == broken_kb
    for kind in ("school invoice (peppol)", "school invoice (si-ubl)",
                 "school credit note (peppol)", "PIB invoice (peppol)",
                 "kredietbank invoice (peppol)"):
        assert kinds[kind] > 0, (kind, kinds)
    print(dict(kinds))  # the figures for the report (pytest -s)

"""Bookings -> export CSV and SEPA pain.001.001.03 that validates against the official XSD."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from lxml import etree

from connectors.financieel import translate as t
from connectors.financieel.demo import bookings
from connectors.financieel.sepa import (
    PAIN_NS,
    Debtor,
    Transfer,
    end_to_end_id,
    pain001,
    schema,
    valid_iban,
)
from hub.errors import InvalidField

DEBTOR = Debtor("Gemeente Utrecht", "NL02ABNA0123456789", "ABNANL2A")
NS = {"p": PAIN_NS}


def test_plan_pays_only_positive_bookings_with_a_valid_iban() -> None:
    planned = t.plan(bookings())
    assert [p.status for p in planned].count(t.IN_BATCH) == 6
    assert {p.status for p in planned} == {t.IN_BATCH, t.CREDIT, t.NO_IBAN}
    bad = t.plan([{**bookings()[0], "iban_begunstigde": "NL91ABNA0417164301"}])
    assert bad[0].status == t.BAD_IBAN and bad[0].transfer is None


def test_pain001_validates_and_carries_every_transfer() -> None:
    planned = t.plan(bookings())
    transfers = [p.transfer for p in planned if p.transfer]
    xml = pain001("HUB-20240210-1", datetime(2024, 2, 10, 12, tzinfo=UTC), date(2024, 2, 11),
                  DEBTOR, transfers)
    root = etree.fromstring(xml)
    assert schema("pain.001.001.03").validate(root)
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "6"
    total = sum(x.amount_cent for x in transfers)
    assert root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == f"{total / 100:.2f}"
    assert [e.text for e in root.iterfind(".//p:EndToEndId", NS)] == [
        x.end_to_end_id for x in transfers]
    assert root.findtext(".//p:CdtTrfTxInf/p:Amt/p:InstdAmt", namespaces=NS) == "4920.00"


def test_xsd_catches_a_broken_document() -> None:
    transfer = Transfer("E2E-1", 100, "School", "NL91ABNA0417164300", "Factuur 1")
    root = etree.fromstring(pain001("M1", datetime(2024, 1, 1, tzinfo=UTC), date(2024, 1, 2),
                                    DEBTOR, [transfer]))
    root.find(".//p:IBAN", NS).text = "not an iban"
    assert not schema("pain.001.001.03").validate(root)
    with pytest.raises(InvalidField):
        pain001("M2", datetime(2024, 1, 1, tzinfo=UTC), date(2024, 1, 2), DEBTOR,
                [Transfer("E2E-2", -5, "S", "NL91ABNA0417164300", "credit")])


def test_export_lists_every_booking_with_kostenplaats_and_status() -> None:
    lines = t.export_csv(t.plan(bookings()), "HUB-1").decode().splitlines()
    assert lines[0].split(";") == list(t.EXPORT_HEADER)
    assert len(lines) == 9
    first = lines[1].split(";")
    assert first[:9] == ["BK2024000001", "2024-0001", "B10001", "0344", "KP6110", "KS4380",
                         "2024", "2024-02-10", "4920.00"]
    assert first[11:] == ["IN_BETAALOPDRACHT", "BK2024000001", "HUB-1"]
    assert lines[6].split(";")[8] == "-410.00" and "CREDITERING" in lines[6]


def test_iban_and_end_to_end_id_rules() -> None:
    assert valid_iban("NL91ABNA0417164300") and not valid_iban("NL91ABNA0417164301")
    assert end_to_end_id("BK-1") == "BK-1"
    long = end_to_end_id("x" * 40)
    assert long.startswith("HUB") and len(long) == 35 and long == end_to_end_id("x" * 40)

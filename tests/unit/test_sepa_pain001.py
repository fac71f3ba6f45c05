"""Bookings -> export CSV and SEPA pain.001.001.03 that validates against the official XSD."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from lxml import etree

from connectors.financieel import translate as t
from connectors.financieel.demo import bookings
from connectors.financieel.sepa import (
    PAIN_NS,
    SEPA_TEXT,
    Debtor,
    Transfer,
    end_to_end_id,
    is_sepa_id,
    pain001,
    schema,
    sepa_text,
)
from hub.errors import InvalidAccount, InvalidField

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
    assert first[11:] == ["IN_BETAALOPDRACHT", "BK2024000001", "HUB-1", "", ""]
    assert lines[6].split(";")[8] == "-410.00" and "CREDITERING" in lines[6]


def test_a_reversal_is_booked_not_paid_and_a_booking_it_reverses_in_the_batch_is_not_paid(
) -> None:
    """FORMAT.md, reversal booking: the storno carries the reversed kenmerk; neither it nor a
    booking it reverses in the same export enters a payment batch."""
    first, *_ = bookings()
    storno = {**first, "boekingskenmerk": "BK2024000099", "bedrag_cent": -first["bedrag_cent"],
              "tegenboeking_van": first["boekingskenmerk"], "message_id": "m-storno"}
    planned = {p.booking["boekingskenmerk"]: p for p in t.plan([first, storno])}
    assert planned[first["boekingskenmerk"]].status == t.REVERSED
    assert planned["BK2024000099"].status == t.REVERSAL
    assert all(p.transfer is None for p in planned.values())
    row = t.export_csv(list(planned.values()), None).decode().splitlines()[2].split(";")
    assert (row[8], row[11], row[-2]) == ("-4920.00", "TEGENBOEKING", first["boekingskenmerk"])
    alone = t.plan([first])  # without its reversal the same booking is paid
    assert alone[0].transfer is not None and alone[0].covered == first["bedrag_cent"]


def test_a_correction_pays_only_what_the_booking_it_replaces_did_not() -> None:
    """A reallocation (same amount, other gemeente) is paid by what was paid already; a higher
    amount pays the difference; replaced in the same export, the correction pays in full."""
    first, *_ = bookings()
    paid = {first["boekingskenmerk"]: first["bedrag_cent"]}
    moved = {**first, "boekingskenmerk": "BK-Y", "gemeentecode": "0363", "message_id": "y",
             "vervangt": first["boekingskenmerk"]}
    [same] = t.plan([moved], paid)
    assert (same.status, same.transfer, same.covered) == (t.SETTLED, None, first["bedrag_cent"])
    [more] = t.plan([{**moved, "bedrag_cent": first["bedrag_cent"] + 1000}], paid)
    assert more.transfer is not None and more.transfer.amount_cent == 1000
    storno = {**first, "boekingskenmerk": "BK-R", "bedrag_cent": -first["bedrag_cent"],
              "tegenboeking_van": first["boekingskenmerk"], "message_id": "r"}
    batch = {p.booking["boekingskenmerk"]: p for p in t.plan([first, storno, moved])}
    assert batch[first["boekingskenmerk"]].transfer is None
    assert batch["BK-Y"].transfer is not None
    assert batch["BK-Y"].transfer.amount_cent == first["bedrag_cent"]


def test_end_to_end_id_is_the_kenmerk_or_its_stable_hash() -> None:
    assert end_to_end_id("BK-1") == "BK-1"
    long = end_to_end_id("x" * 40)
    assert long.startswith("HUB") and len(long) == 35 and long == end_to_end_id("x" * 40)


@pytest.mark.parametrize("kenmerk", ["/BK1", "BK1/", "BK//1", "/", "BK 1", "Bk€1", ""])
def test_identifiers_never_start_or_end_with_a_slash_nor_contain_two(kenmerk: str) -> None:
    """EPC: identifiers use the basic Latin set without a leading/trailing '/' or '//'."""
    assert not is_sepa_id(kenmerk)
    encoded = end_to_end_id(kenmerk)
    assert is_sepa_id(encoded) and encoded.startswith("HUB") and encoded != kenmerk
    assert end_to_end_id("BK/2024/1") == "BK/2024/1"  # a slash inside is allowed


def test_pain001_refuses_an_identifier_the_epc_forbids() -> None:
    transfer = Transfer("E2E-1", 100, "School", "NL91ABNA0417164300", "Factuur 1")
    for msg_id in ("/HUB-1", "HUB-1/", "HUB//1"):
        with pytest.raises(InvalidField, match="MsgId"):
            pain001(msg_id, datetime(2024, 1, 1, tzinfo=UTC), date(2024, 1, 2), DEBTOR,
                    [transfer])
    with pytest.raises(InvalidField, match="EndToEndId"):
        pain001("M1", datetime(2024, 1, 1, tzinfo=UTC), date(2024, 1, 2), DEBTOR,
                [Transfer("E2E//1", 100, "School", "NL91ABNA0417164300", "Factuur 1")])


@pytest.mark.parametrize(("name", "latin"), [
    ("Jürgen & Zoon — Müller", "Jurgen + Zoon - Muller"),
    ("Straße Ærø Łódź", "Strasse Aero Lodz"),
    ("Café “Le Pré”", "Cafe 'Le Pre'"),
    ("Παπαδόπουλος", "Papadopoylos"),
    ("Stichting <Wonen> 100%", "Stichting .Wonen. 100."),
    ("\t  ", "-"),
])
def test_names_are_transliterated_to_the_epc_basic_latin_set(name: str, latin: str) -> None:
    assert sepa_text(name, 70) == latin
    assert not SEPA_TEXT.search(latin)


def test_a_batch_with_foreign_names_stays_xsd_valid_and_keeps_the_names() -> None:
    names = ["Jürgen & Zoon — Müller", "Ærø Ståløg", "Ἀθῆναι Ltd", "ü" * 100]
    transfers = [Transfer(f"E2E-{n}", 100 + n, name, "NL91ABNA0417164300", f"Factuur {name}")
                 for n, name in enumerate(names)]
    root = etree.fromstring(pain001("M1", datetime(2024, 1, 1, tzinfo=UTC), date(2024, 1, 2),
                                    DEBTOR, transfers))
    assert schema("pain.001.001.03").validate(root)
    written = [e.text for e in root.iterfind(".//p:Cdtr/p:Nm", NS)]
    assert written[:2] == ["Jurgen + Zoon - Muller", "Aero Stalog"]
    assert written[3] == "u" * 70 and all(not SEPA_TEXT.search(x or "") for x in written)


def test_only_sepa_zone_ibans_enter_a_batch_the_others_are_booked_with_their_reason() -> None:
    base = bookings()[0]
    planned = t.plan([{**base, "iban_begunstigde": "TR330006100519786457841326"},
                      {**base, "boekingskenmerk": "BK2", "iban_begunstigde":
                       "CH9300762011623852957"}])
    assert [p.status for p in planned] == [t.NOT_SEPA, t.IN_BATCH]
    lines = t.export_csv(planned, "HUB-1").decode().splitlines()
    assert lines[1].split(";")[11:] == ["BUITEN_SEPA", "", "", "", ""]  # booked, kept, not paid
    with pytest.raises(InvalidAccount, match="SEPA zone"):
        pain001("M1", datetime(2024, 1, 1, tzinfo=UTC), date(2024, 1, 2), DEBTOR,
                [Transfer("E2E-1", 100, "S", "TR330006100519786457841326", "Factuur 1")])

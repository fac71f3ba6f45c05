"""DUO translators on recorded envelopes (tests/fixtures/duo/): pure, R20 at the edge."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastavro.validation import validate
from lxml import etree

import schemas
import topics
from connectors.duo.translate import (
    RawChange,
    change_message_id,
    parse_changes,
    registration,
    topic_of_kind,
    translate_change,
    wsa_message_id,
)
from connectors.kit.deadletter import dead_letter
from hub.errors import InvalidField
from hub.privacy import BsnCipher
from tests.letters import opened

FIXTURES = Path(__file__).parents[1] / "fixtures" / "duo"
RECEIVED = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)
BSN = "111222333"

CIPHER = BsnCipher({"k1": bytes(range(32))}, "k1")  # seals the edge letters' originals


class FakeSealer:
    """Deterministic stand-in for the runtime's case-ref key and cipher."""

    def case_ref(self, bsn: str) -> str:
        return "CR" + hashlib.sha256(bsn.encode()).hexdigest()[:30].upper()

    def seal(self, bsn: str) -> dict[str, object]:
        return {"key_id": "k1", "nonce": b"\x00" * 12, "ciphertext": bsn.encode()[::-1]}


@pytest.fixture(scope="module")
def changes() -> list[RawChange]:
    envelope = etree.parse(str(FIXTURES / "haal_wijzigingen_response.xml")).getroot()
    return parse_changes(envelope)


def _translate(change: RawChange):  # type: ignore[no-untyped-def]
    return translate_change(change, sealer=FakeSealer(), received_at=RECEIVED)


def test_every_change_kind_is_parsed_with_its_own_xml(changes: list[RawChange]) -> None:
    assert [c.kind for c in changes[:7]] == [
        "InburgeringsplichtVastgesteld", "KoppelingGemeente", "LbtResultaat", "Examenresultaat",
        "TermijnBesluit", "Ontheffing", "Boete"]
    assert len(changes) == 9
    assert [c.sequence for c in changes] == list(range(1, 10))
    for change in changes:
        node = etree.fromstring(change.xml)
        assert etree.QName(node).localname == "Wijziging"
        assert change.change_id.encode() in change.xml


def test_valid_changes_become_records_that_fit_their_topic_schema(
        changes: list[RawChange]) -> None:
    routed = [_translate(c) for c in changes[:7]]
    assert [r.topic for r in routed] == [
        topics.DUO_INBURGERINGSPLICHT_VASTGESTELD, topics.KOPPELING_GEMEENTE,
        topics.LBT_RESULTAAT, topics.EXAMENRESULTAAT, topics.TERMIJN_BESLUIT,
        topics.ONTHEFFING, topics.DUO_BOETE]
    for r in routed:
        assert validate(r.record, schemas.load(topics.by_name(r.topic).value_schema),
                        raise_errors=True)
        assert r.record["case_ref"] == FakeSealer().case_ref(BSN)
        assert r.record["produced_at"] == RECEIVED
        assert BSN not in r.record["case_ref"]


def test_field_values_are_mapped(changes: list[RawChange]) -> None:
    plicht, koppeling, lbt, exam, termijn, ontheffing, boete = (
        _translate(c).record for c in changes[:7])
    assert (plicht["plicht_startdatum"], plicht["doelgroep"], plicht["regime"]) == (
        date(2023, 3, 1), "ASIELSTATUSHOUDER", "WI2021")
    assert (koppeling["gemeentecode"], koppeling["azc"]) == ("0363", "AZC Ter Apel")
    assert lbt["uitkomst_b1_haalbaar"] is True
    assert (exam["onderdeel"], exam["niveau"], exam["uitslag"], exam["score"]) == (
        "LEZEN", "B1", "GESLAAGD", 512)
    assert (termijn["verlenging_weken"], termijn["beslissing"], termijn["einddatum"]) == (
        26, "TOEGEKEND", date(2026, 12, 1))
    assert (ontheffing["grond"], ontheffing["soort"]) == ("MEDISCH", "ONTHEFFING")
    assert (boete["bedrag_cent"], boete["vooraankondiging"]) == (34000, True)


def test_message_ids_derive_from_duo_change_ids(changes: list[RawChange]) -> None:
    first = _translate(changes[0]).record["message_id"]
    assert first == _translate(changes[0]).record["message_id"] == change_message_id(
        changes[0].change_id)
    assert len({_translate(c).record["message_id"] for c in changes[:7]}) == 7


def test_invalid_bsn_is_refused_naming_the_field_not_the_value(
        changes: list[RawChange]) -> None:  # R20
    with pytest.raises(InvalidField) as caught:
        _translate(changes[7])
    assert caught.value.field == "InburgeringsplichtVastgesteld.Bsn"
    assert "111222334" not in str(caught.value)


def test_invalid_date_is_refused_naming_the_field(changes: list[RawChange]) -> None:
    with pytest.raises(InvalidField) as caught:
        _translate(changes[8])
    assert caught.value.field == "Examenresultaat.Examendatum"


def test_dead_letter_keeps_the_raw_change_and_fits_the_schema(
        changes: list[RawChange]) -> None:
    bad = changes[7]
    try:
        _translate(bad)
    except InvalidField as exc:
        letter = dead_letter(consumer="connector-duo", source_topic=topic_of_kind(bad.kind) or "",
                             original=b"", error=exc, dead_letter_id="dl:x", at=RECEIVED,
                             original_message_id=change_message_id(bad.change_id),
                             sealed_original=CIPHER.seal_payload(bad.xml, "application/xml"))
    assert opened(letter, CIPHER) == bad.xml
    assert letter["source_topic"] == topics.DUO_INBURGERINGSPLICHT_VASTGESTELD
    assert letter["error_type"] == "InvalidField"
    assert "Bsn" in letter["error_message"] and "111222334" not in letter["error_message"]
    assert validate(letter, schemas.load(topics.DEAD_LETTER_SCHEMA), raise_errors=True)


def test_unknown_change_kind_is_refused() -> None:
    odd = RawChange("W1", 1, "Verhuizing", {"Bsn": BSN}, b"<x/>")
    with pytest.raises(InvalidField, match="Wijziging"):
        _translate(odd)


def _pip_record() -> dict[str, object]:
    return {"message_id": "m-1", "case_ref": "CR1", "source": "hub", "gemeentecode": "0363",
            "soort": "VASTGESTELD", "pip_kenmerk": "PIP-1",
            "dagtekening_eerste_pip": date(2023, 6, 1), "dagtekening": date(2023, 6, 1),
            "leerroute": "B1", "niveau": "B1", "taalaanbieder": "Fairfield",
            "contract_id": None, "ontzorgen": False}


def test_outbound_pip_becomes_a_meld_pip_registration() -> None:
    operation, fields = registration(topics.HUB_PIP_VASTGESTELD, _pip_record(), BSN)
    assert operation == "MeldPip"
    assert fields["Bsn"] == BSN and fields["Leerroute"] == "B1"
    assert fields["DagtekeningEerstePip"] == date(2023, 6, 1)


def test_outbound_registration_refuses_invalid_bsn() -> None:  # R20
    with pytest.raises(InvalidField) as caught:
        registration(topics.HUB_PIP_VASTGESTELD, _pip_record(), "111222334")
    assert "111222334" not in str(caught.value)


def test_wsa_message_id_is_a_plain_uuid_and_stable() -> None:
    record_id = str(uuid.uuid4())
    assert wsa_message_id(record_id) == record_id
    derived = wsa_message_id("outbox:42")
    assert derived == wsa_message_id("outbox:42")
    assert not derived.startswith("urn:") and uuid.UUID(derived)

"""R21 at the edge: every translator puts the partner's own order in ``bron_versie`` (and the
record stays valid for its schema); the DUO simulator's correction names what it corrects."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastavro.validation import validate
from lxml import etree

import schemas
import topics
from connectors.duo.simulator import DuoSimulator, _change_element
from connectors.duo.translate import change_message_id, parse_changes, translate_change
from connectors.isam.translate import translate as isam_translate
from connectors.kredietbank.translate import mutatie
from connectors.taalaanbieder.translate import name_date, translate_file
from hub.privacy import case_ref

RECEIVED = datetime(2030, 1, 1, tzinfo=UTC)  # the hub's clock: never part of the order
BSN = "111222333"


class Sealer:
    def case_ref(self, bsn: str) -> str:
        return case_ref(bsn, "k" * 32)

    def seal(self, bsn: str) -> dict[str, object]:
        return {"key_id": "k", "nonce": b"\x00" * 12, "ciphertext": b"c"}


def _valid(topic: str, record: dict[str, Any]) -> None:
    assert validate(record, schemas.load(topics.by_name(topic).value_schema), raise_errors=True)


def _duo_records(sim: DuoSimulator) -> list[dict[str, Any]]:
    root = etree.Element("{http://inburgering-hub.nl/duo/inburgering/v1}Antwoord")
    for change in sim.changes:
        root.append(_change_element(change))
    return [translate_change(c, sealer=Sealer(), received_at=RECEIVED).record
            for c in parse_changes(root)]


def test_r21_duo_correction_carries_tijdstip_volgnummer_and_what_it_corrects() -> None:
    clock = iter([datetime(2024, 3, 1, 9, tzinfo=UTC), datetime(2024, 4, 15, 9, tzinfo=UTC)])
    sim = DuoSimulator(clock=lambda: next(clock))
    first = sim.add_change("Examenresultaat", Bsn=BSN, ExamenId="EX1", Onderdeel="SPREKEN",
                           Niveau="B1", Examendatum=date(2024, 2, 1), Uitslag="GESLAAGD")
    second = sim.correct(first, Uitslag="NIET_GESLAAGD")
    original, correction = _duo_records(sim)
    assert original["bron_versie"] == {
        "sleutel": "duo:examen:EX1", "tijdstip": datetime(2024, 3, 1, 9, tzinfo=UTC),
        "volgnummer": 1, "document": first, "corrigeert": None}
    assert correction["bron_versie"]["corrigeert"] == change_message_id(first)
    assert correction["bron_versie"]["corrigeert"] == original["message_id"]
    assert (correction["bron_versie"]["volgnummer"], correction["bron_versie"]["document"]) == \
        (2, second)
    assert correction["uitslag"] == "NIET_GESLAAGD" and correction["produced_at"] == RECEIVED
    _valid(topics.EXAMENRESULTAAT, correction)


def test_r21_duo_record_keys_per_change_kind() -> None:
    sim = DuoSimulator(clock=lambda: datetime(2024, 3, 1, tzinfo=UTC))
    sim.add_change("InburgeringsplichtVastgesteld", Bsn=BSN, PlichtStartdatum=date(2024, 1, 1),
                   Doelgroep="gezinsmigrant", Regime="Wi2021")
    sim.add_change("KoppelingGemeente", Bsn=BSN, Gemeentecode="0363",
                   Koppeldatum=date(2024, 1, 5))
    sim.add_change("Boete", Bsn=BSN, BoeteKenmerk="B7", BedragCent=100,
                   Boetedatum=date(2024, 5, 1), Vooraankondiging=True)
    keys = [r["bron_versie"]["sleutel"] for r in _duo_records(sim)]
    assert keys == ["duo:plicht", "duo:koppeling", "duo:boete:B7"]


def test_r21_isam_resource_uuid_and_versie() -> None:
    data = {"uuid": "u-1", "versie": 3, "bsn": BSN, "gemeentecode": "0363",
            "gespreksdatum": "2024-02-01"}
    routed = isam_translate("intake", data, sealer=Sealer(), received_at=RECEIVED)
    assert routed.record["bron_versie"] == {"sleutel": "isam:intake:u-1", "tijdstip": None,
                                            "volgnummer": 3, "document": None,
                                            "corrigeert": None}
    _valid(routed.topic, routed.record)


def test_r21_school_files_are_ordered_by_their_document_date_then_name() -> None:
    assert name_date("presentie_20240331.csv") == date(2024, 3, 31)
    assert name_date("presentie_202403.csv") == date(2024, 3, 1)
    assert name_date("presentie_week12.csv") is None
    ref = Sealer().case_ref(BSN)
    text = ("zaakreferentie;contract_id;leerroute;periode_begin;periode_eind;uren_aangeboden;"
            "uren_taal;uren_knm;uren_participatie;uren_ona;verzuim_geoorloofd;"
            f"verzuim_ongeoorloofd\n{ref};C-1;B1;2024-03-01;2024-03-31;10;8;1;0;0;0;0\n")
    [routed] = translate_file("presentie_202404-correctie.csv", text.encode(), school="B10001",
                              sealer=Sealer(), received_at=RECEIVED)
    assert routed.record["bron_versie"]["sleutel"] == \
        f"taalaanbieder:B10001:voortgang:{ref}:2024-03-01:2024-03-31"
    assert routed.record["bron_versie"]["tijdstip"] == datetime(2024, 4, 1, tzinfo=UTC)
    assert routed.record["bron_versie"]["document"] == "presentie_202404-correctie.csv"
    _valid(routed.topic, routed.record)


def test_r21_kredietbank_mutaties_carry_their_volgnummer() -> None:
    einde = {"volgnummer": 12, "soort": "EINDE", "huishoudenId": "HH1", "bsn": BSN,
             "einddatum": "2024-05-31", "reden": "BIJSTAND_BEEINDIGD"}
    routed = mutatie(einde, sealer=Sealer(), received_at=RECEIVED)
    assert (routed.record["bron_versie"]["sleutel"], routed.record["bron_versie"]["volgnummer"]) \
        == ("kredietbank:einde:HH1", 12)
    _valid(routed.topic, routed.record)

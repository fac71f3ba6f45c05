"""School files -> records (pure): DUO CSV, presentie, bevestiging, UBL; refusals name the rule."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

import topics
from connectors.taalaanbieder import ublgen
from connectors.taalaanbieder.translate import translate_file
from connectors.ubl import invoice_key
from hub.errors import FileRefused
from hub.privacy import case_ref
from tests.shared_fixtures import PEPPOL

KEY = "k" * 32
NOW = datetime(2024, 2, 5, 9, 0, tzinfo=UTC)
BSN = "111222333"
REF = case_ref(BSN, KEY)


class Sealer:
    """The connector edge on a fixed key."""

    def case_ref(self, bsn: str) -> str:
        return case_ref(bsn, KEY)

    def seal(self, bsn: str) -> dict[str, object]:
        raise AssertionError("the school files never need an encrypted BSN")


def _t(name: str, text: str | bytes, school: str = "B10001") -> list:  # type: ignore[type-arg]
    data = text.encode() if isinstance(text, str) else text
    return translate_file(name, data, school=school, sealer=Sealer(), received_at=NOW)


def _refused(name: str, text: str | bytes, school: str = "B10001") -> FileRefused:
    with pytest.raises(FileRefused) as info:
        _t(name, text, school)
    return info.value


DUO = ("BSN;Cursustype;Begindatum;Einddatum;UrenIngekocht;UrenGevolgd;UrenONA\r\n"
       f"{BSN};B1;2024-01-08;;600;48;0\r\n"
       f"{BSN};Z;08-01-2023;2023-12-31;800;790,5;12\r\n")
PRESENTIE = ("zaakreferentie;contract_id;leerroute;periode_begin;periode_eind;uren_aangeboden;"
             "uren_taal;uren_knm;uren_participatie;uren_ona;verzuim_geoorloofd;"
             f"verzuim_ongeoorloofd\n{REF};C-1;B1;2024-01-08;2024-01-14;14;10;2;0;0;1,5;0,25\n")


def test_duo_school_csv_gives_cumulative_voortgang_without_the_bsn() -> None:
    first, second = (r.record for r in _t("B10001Aanlevering20240201.csv", DUO))
    assert first["case_ref"] == REF and BSN not in repr(first)
    assert (first["leerroute"], first["periode_begindatum"], first["periode_einddatum"]) == (
        "B1", date(2024, 1, 8), date(2024, 2, 1))
    assert (first["minuten_ingekocht"], first["minuten_gevolgd_taal"], first["cumulatief"]) == (
        36000, 2880, True)
    assert second["periode_einddatum"] == date(2023, 12, 31)
    assert (second["minuten_gevolgd_taal"], second["minuten_gevolgd_ona"]) == (47430, 720)


def test_weekly_presentie_in_minutes() -> None:
    [routed] = _t("presentie_20240108.csv", PRESENTIE)
    rec = routed.record
    assert routed.topic == topics.VOORTGANG and rec["cumulatief"] is False
    assert (rec["minuten_aangeboden"], rec["minuten_gevolgd_taal"], rec["minuten_gevolgd_knm"],
            rec["minuten_verzuim_geoorloofd"], rec["minuten_verzuim_ongeoorloofd"]) == (
        840, 600, 120, 90, 15)


def test_message_ids_depend_on_content_only() -> None:
    again = translate_file("presentie_20240108b.csv", PRESENTIE.encode(), school="B10001",
                           sealer=Sealer(), received_at=datetime.now(UTC))
    assert again[0].record["message_id"] == _t("presentie_20240108.csv",
                                               PRESENTIE)[0].record["message_id"]
    changed = _t("presentie_x.csv", PRESENTIE.replace(";14;10;", ";14;11;"))
    assert changed[0].record["message_id"] != again[0].record["message_id"]


@pytest.mark.parametrize(("name", "text", "rule", "words"), [
    ("B10001Aanlevering20240201.csv", DUO.replace(BSN, "111222334", 1), "FORMAT", "line 2 BSN"),
    ("B99999Aanlevering20240201.csv", DUO, "DUO-BOW", "BOW-nummer"),
    ("B10001Aanlevering20240201.csv", DUO.replace(";48;", ";4x;"), "FORMAT", "UrenGevolgd"),
    ("B10001Aanlevering20240201.csv", DUO.replace(";48;", ";48,001;"), "FORMAT", "whole min"),
    ("presentie_1.csv", PRESENTIE.replace("2024-01-14", "2024-01-01"), "FORMAT", "periode_eind"),
    ("presentie_1.csv", PRESENTIE.replace(REF, "CR123"), "FORMAT", "zaakreferentie"),
    ("presentie_1.csv", PRESENTIE.replace("zaakreferentie;", "bsn;"), "FORMAT", "header"),
    ("presentie_1.csv", PRESENTIE.replace(";0,25\n", "\n"), "FORMAT", "columns"),
    ("rapport.pdf", "x", "FILE-NAME", "unknown file name"),
    ("kapot.xml", "<Invoice", "XML-SYNTAX", ""),
])
def test_refused_files_name_rule_and_place(name: str, text: str, rule: str, words: str) -> None:
    exc = _refused(name, text)
    assert exc.rule == rule and words in str(exc)
    assert "111222334" not in str(exc) and BSN not in str(exc)


def test_bevestiging_needs_reason_when_refused() -> None:
    head = "aanmelding_id;zaakreferentie;status;startdatum;reden;bevestigd_op\n"
    [ok] = _t("bevestiging_1.csv", head + f"A-1;{REF};geaccepteerd;2024-01-08;;2024-01-03\n")
    assert ok.topic == topics.AANMELDING_BEVESTIGING
    assert (ok.record["status"], ok.record["startdatum"]) == ("GEACCEPTEERD", date(2024, 1, 8))
    exc = _refused("bevestiging_2.csv", head + f"A-2;{REF};AFGEWEZEN;;;2024-01-03\n")
    assert "line 2 reden" in str(exc)


def test_peppol_example_becomes_a_factuur_record_in_cents() -> None:
    [routed] = _t("base-example.xml", (PEPPOL / "base-example.xml").read_bytes())
    rec = routed.record
    assert routed.topic == topics.TAALAANBIEDER_FACTUUR
    assert rec["case_ref"] == invoice_key("99887766", "Snippet1")
    assert (rec["leverancier_naam"], rec["koper_referentie"], rec["te_betalen_cent"],
            rec["btw_bedrag_cent"]) == ("SupplierOfficialName Ltd", "0150abc", 165625, 33125)
    assert [(r["hoeveelheid_milli"], r["eenheidsprijs_cent"], r["regelbedrag_cent"],
             r["btw_categorie"], r["btw_tarief_basispunten"], r["periode_begindatum"])
            for r in rec["regels"]] == [
        (7000, 40000, 280000, "S", 2500, date(2017, 11, 1)),
        (-3000, 50000, -150000, "S", 2500, date(2017, 11, 1))]


def test_school_invoice_carries_case_refs_periods_and_vat_e() -> None:
    line = ublgen.Line("Lesuren B1", Decimal("12.5"), Decimal("41.00"), date(2024, 1, 1),
                       date(2024, 1, 31), case_ref=REF, aanmelding_id="A-1")
    doc = ublgen.Document("F-1", date(2024, 2, 1), "B10001", "School", "30000001", "C-1",
                          "00000001001234567000", "Gemeente", "NL91ABNA0417164300", [line])
    [routed] = _t("F-1.xml", ublgen.render(doc))
    [regel] = routed.record["regels"]
    assert (regel["case_ref"], regel["koper_referentie"], regel["hoeveelheid_milli"],
            regel["regelbedrag_cent"], regel["btw_categorie"], regel["periode_einddatum"]) == (
        REF, "A-1", 12500, 51250, "E", date(2024, 1, 31))
    bad = ublgen.Document(**{**doc.__dict__, "payable_override": Decimal("1.00")})
    assert _refused("F-2.xml", ublgen.render(bad)).rule == "BR-CO-16"

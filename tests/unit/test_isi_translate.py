"""ISI bulk-export rows -> records (connectors/isi/FORMAT.md); the documented example must parse."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastavro.validation import validate

import schemas
import topics
from connectors.isi.translate import translate_row
from hub.errors import InvalidField

FORMAT = Path(__file__).parents[2] / "connectors" / "isi" / "FORMAT.md"
RECEIVED = datetime(2024, 5, 6, tzinfo=UTC)


class FakeSealer:
    def case_ref(self, bsn: str) -> str:
        return "CR" + hashlib.sha256(bsn.encode()).hexdigest()[:30].upper()

    def seal(self, bsn: str) -> dict[str, object]:
        return {"key_id": "k1", "nonce": b"\x00" * 12, "ciphertext": b"x"}


def _rows_of_the_documented_example() -> list[list[str]]:
    block = re.search(r"## Example\n\n```\n(.*?)```", FORMAT.read_text(), re.S)
    assert block is not None
    return [line.split(";") for line in block[1].splitlines() if not line.startswith("#")]


def _translate(values: list[str]):  # type: ignore[no-untyped-def]
    return translate_row(values, sealer=FakeSealer(), received_at=RECEIVED)


def test_documented_example_translates_to_records_that_fit_their_schemas() -> None:
    routed = [_translate(values) for values in _rows_of_the_documented_example()]
    assert [r.topic for r in routed] == [
        topics.ISI_INBURGERINGSPLICHT_VASTGESTELD, topics.ISI_TRAJECT, topics.ISI_PIB_BUDGET,
        topics.ISI_PIB_VOUCHER, topics.ISI_EXAMENRESULTAAT,
        topics.ISI_INBURGERINGSPLICHT_VASTGESTELD, topics.ISI_EXAMENRESULTAAT]
    for r in routed:
        assert validate(r.record, schemas.load(topics.by_name(r.topic).value_schema),
                        raise_errors=True)
        assert r.record["source"] == "isi"
    persoon, traject, budget, voucher = (r.record for r in routed[:4])
    assert persoon["plicht_startdatum"] == date(2009, 3, 1) and persoon["regime"] == "WI2007"
    assert (traject["bedrag_cent"], traject["meerkosten_cent"]) == (487_500, 65_000)
    assert (budget["scholingsbudget_cent"], budget["bonus_cent"]) == (500_000, 25_000)
    assert voucher["waarde_cent"] == 25_000 and "bsn" not in voucher
    assert routed[4].record["score"] is None and routed[6].record["score"] == 41


def test_message_ids_are_deterministic_and_change_with_the_content() -> None:
    rows = _rows_of_the_documented_example()
    assert [_translate(r).record["message_id"] for r in rows] == \
        [_translate(r).record["message_id"] for r in rows]
    corrected = [*rows[1][:11], "700", rows[1][12]]
    assert _translate(corrected).record["message_id"] != _translate(rows[1]).record["message_id"]


@pytest.mark.parametrize(("row", "field"), [
    ("PERSOON;111222334;;WI2007;GEZINSMIGRANT;2009-03-01", "PERSOON.bsn"),  # R20
    ("PERSOON;111222333;;WI2021;GEZINSMIGRANT;2009-03-01", "PERSOON.regime"),
    ("PERSOON;111222333;;WI2007;GEZINSMIGRANT;31-02-2009", "PERSOON.plicht_startdatum"),
    ("PERSOON;111222333;;WI2007;GEZINSMIGRANT", "PERSOON"),
    ("VERHUIZING;111222333", "row_type"),
    ("TRAJECT;111222333;T1;WI2007;0392;PIB;X;;2009-04-01;;4875;1000,01;AFGEROND",
     "TRAJECT.meerkosten"),  # R22
    ("TRAJECT;111222333;T1;WI2007;0392;PIB;X;;2009-04-01;2009-03-01;4875;;AFGEROND",
     "TRAJECT.einddatum"),
    ("TRAJECT;111222333;T1;WI2007;392;PIB;X;;2009-04-01;;4875;;AFGEROND",
     "TRAJECT.gemeentecode"),
    ("TRAJECT;111222333;T1;WI2007;0392;PIB;X;;2009-04-01;;4.875,00;;AFGEROND",
     "TRAJECT.bedrag"),
    ("VOUCHER;111222333;P1;V1;0392;INBURGERAAR;GELD;100;GEKOCHT;2009-05-01;", "VOUCHER.vorm"),
    ("VOUCHER;111222333;P1;V1;0392;INBURGERAAR;VOUCHER;250,01;GEKOCHT;2009-05-01;",
     "VOUCHER.waarde"),
    ("VOUCHER;111222333;P1;V1;0392;INBURGERAAR;VOUCHER;250;UITGEREIKT;2009-05-01;",
     "VOUCHER.trajectstartdatum"),  # R22: bonus only once the traject started
    ("PIBBUDGET;111222333;P1;0392;2009-03-20;5000;;250,50", "PIBBUDGET.bonus"),
    ("EXAMEN;111222333;E1;SPREKEN;C1;2010-06-12;GESLAAGD;", "EXAMEN.niveau"),
])
def test_refused_rows_name_the_field_never_the_bsn(row: str, field: str) -> None:
    with pytest.raises(InvalidField) as caught:
        _translate(row.split(";"))
    assert caught.value.field == field
    assert "11122233" not in str(caught.value)

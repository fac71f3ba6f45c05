"""Fuzzing the school files: DUO school CSV, weekly presentie CSV, bevestiging CSV and UBL.

``translate_file`` returns records that encode under their topic's schema, or raises
``FileRefused`` (rule + detail, no BSN): the connector quarantines exactly those.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import topics
from connectors.taalaanbieder import ublgen
from connectors.taalaanbieder.translate import (
    BEVESTIGING_HEADER,
    DUO_HEADER,
    PRESENTIE_HEADER,
    translate_file,
)
from hub.codec import AvroCodec
from hub.errors import FileRefused
from hub.registry import FileSchemaRegistry
from tests.unit.test_fuzz_kit import (
    FUZZ,
    SEALER,
    assert_refusal,
    hostile_text,
    mutated,
    single_edits,
)
from tests.unit.test_fuzz_xml import SCHOOL

NOW = datetime(2024, 5, 6, tzinfo=UTC)
CODEC = AvroCodec(FileSchemaRegistry())
REF = SEALER.case_ref("111222333")
DUO_NAME, PRESENTIE_NAME, BEVESTIGING_NAME = ("B10001Aanlevering20240301.csv",
                                              "presentie_w10.csv", "bevestiging_1.csv")
FILES: dict[str, tuple[tuple[str, ...], list[list[str]]]] = {
    DUO_NAME: (DUO_HEADER, [["111222333", "B1", "2024-01-08", "", "600", "48", "0"],
                            ["123456782", "Z", "08-01-2024", "2024-02-01", "10,5", "1.25", "2"]]),
    PRESENTIE_NAME: (PRESENTIE_HEADER, [[REF, "C-2024-01", "B1", "2024-01-08", "2024-01-14",
                                         "14", "10", "2", "0", "0", "1,5", "0"]]),
    BEVESTIGING_NAME: (BEVESTIGING_HEADER, [["a-1", REF, "GEACCEPTEERD", "2024-01-08", "",
                                             "2024-01-03"],
                                            ["a-2", REF, "AFGEWEZEN", "", "vol", "2024-01-03"]]),
}


def _csv(header: tuple[str, ...], rows: list[list[str]]) -> bytes:
    return "\n".join(";".join(r) for r in [list(header), *rows]).encode()


def _translate(name: str, data: bytes) -> int | None:
    """Number of records, or None when refused as documented."""
    try:
        routed = translate_file(name, data, school="B10001", sealer=SEALER, received_at=NOW)
    except FileRefused as exc:
        assert_refusal(exc, FileRefused)
        assert exc.rule and exc.name == name
        return None
    for r in routed:
        CODEC.encode(topics.by_name(r.topic).value_schema, r.record)
        CODEC.encode(topics.KEY_SCHEMA, {"case_ref": r.record["case_ref"]})
    return len(routed)


def test_the_valid_files_translate() -> None:
    for name, (header, rows) in FILES.items():
        assert _translate(name, _csv(header, rows)) == len(rows)
    assert _translate("F-2024-001.xml", SCHOOL) == 1


@given(st.sampled_from([*FILES, "x.xml", "presentie_.csv", "B2Aanlevering20240230.csv",
                        "other.txt"]), st.binary(max_size=400))
@FUZZ
def test_random_bytes_under_every_file_name_are_refused_or_read(name: str, data: bytes) -> None:
    _translate(name, data)


@st.composite
def mutated_files(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(FILES)))
    header, rows = FILES[name]
    rows = [draw(mutated(r)) if draw(st.booleans()) else list(r) for r in rows]
    if draw(st.integers(0, 5)) == 0:
        rows.append(draw(st.lists(hostile_text(), max_size=len(header) + 1)))
    top = draw(mutated(header)) if draw(st.integers(0, 9)) == 0 else list(header)
    text = "\n".join(";".join(r) for r in [top, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    return name, _encode(text, encoding)


def _encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


@given(mutated_files())
@FUZZ
def test_mutated_school_csv_files_translate_or_are_refused(case: tuple[str, bytes]) -> None:
    _translate(*case)


def test_every_cell_of_every_file_with_every_hostile_value() -> None:
    outcomes = [_translate(name, _csv(header, [*rows[:i], row, *rows[i + 1:]]))
                for name, (header, rows) in FILES.items() for i, base in enumerate(rows)
                for row in single_edits(base)]
    assert None in outcomes and any(outcomes)


@pytest.mark.parametrize("name", sorted(FILES))
def test_an_oversized_csv_field_is_refused_not_crashed(name: str) -> None:
    header, rows = FILES[name]
    data = _csv(header, rows) + b"\n" + b"9" * 200_000 + b";" * (len(header) - 1)
    assert _translate(name, data) is None


@pytest.mark.parametrize("price", [Decimal(10**18), Decimal(10**20)])
def test_a_consistent_invoice_with_absurd_amounts_is_refused_not_stuck(price: Decimal) -> None:
    doc = ublgen.render(ublgen.Document(
        number="F-1", issue_date=date(2024, 3, 1), supplier_id="B10001", supplier_name="T",
        supplier_kvk="12345678", buyer_reference="C-2024-01", buyer_oin="00000001001234567000",
        buyer_name="G", iban="NL91ABNA0417164300",
        lines=[ublgen.Line("Taalles", Decimal(12), price, date(2024, 2, 1), date(2024, 2, 29))]))
    assert _translate("big.xml", doc) is None

"""Fuzzing the ISI bulk import: rows translate or are refused with ``InvalidField``, and the
importer keeps every refused row in the rejects file with its line, field and reason.

Accepted rows must also encode under their topic's schema (the real codec), or the producer
would choke on them after the file was read.
"""

from __future__ import annotations

import asyncio
import csv
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import topics
from connectors.isi.importer import REJECTS_HEADER, import_file
from connectors.isi.translate import LAYOUTS, translate_row
from hub.codec import AvroCodec
from hub.errors import InvalidField, PermanentError
from hub.registry import FileSchemaRegistry
from tests.unit.test_fuzz_kit import (
    FUZZ,
    QUICK,
    SEALER,
    assert_refusal,
    bsns_in,
    hostile_text,
    mutated,
    single_edits,
)

FORMAT = Path(__file__).parents[2] / "connectors" / "isi" / "FORMAT.md"
RECEIVED = datetime(2024, 5, 6, tzinfo=UTC)
CODEC = AvroCodec(FileSchemaRegistry())


def _example_rows() -> list[list[str]]:
    block = re.search(r"## Example\n\n```\n(.*?)```", FORMAT.read_text(), re.S)
    assert block is not None
    return [line.split(";") for line in block[1].splitlines() if not line.startswith("#")]


EXAMPLE = _example_rows()


class RecordingWriter:
    """Stands in for the TopicWriter: encodes with the real codec and keeps what was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def send_many(self, topic: str, records: Sequence[Mapping[str, Any]]) -> None:
        for record in records:
            CODEC.encode(topics.by_name(topic).value_schema, record)
            CODEC.encode(topics.KEY_SCHEMA, {"case_ref": record["case_ref"]})
            self.sent.append((topic, dict(record)))


def _translate(values: list[str]) -> bool:
    """True when translated (and encodable); False when refused as documented."""
    try:
        routed = translate_row(values, sealer=SEALER, received_at=RECEIVED)
    except InvalidField as exc:
        assert_refusal(exc, InvalidField)
        return False
    CODEC.encode(topics.by_name(routed.topic).value_schema, routed.record)
    return True


@given(st.lists(hostile_text(), max_size=14))
@FUZZ
def test_random_rows_are_refused_naming_a_field(values: list[str]) -> None:
    assume(not values or values[0] not in LAYOUTS)  # a known row type is the test below
    assert not _translate(values), "a row of random fields was accepted"


@given(st.sampled_from(sorted(LAYOUTS)), st.lists(hostile_text(), max_size=12))
@FUZZ
def test_random_fields_under_a_known_row_type_translate_or_are_refused(
        kind: str, values: list[str]) -> None:
    _translate([kind, *values])


@given(st.sampled_from(EXAMPLE).flatmap(lambda row: mutated(row, keep_first=True)))
@FUZZ
def test_mutated_example_rows_translate_or_are_refused(values: list[str]) -> None:
    _translate(values)


def test_the_unmutated_example_translates() -> None:
    assert all(_translate(list(row)) for row in EXAMPLE)


def _write_export(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";", lineterminator="\n").writerows(rows)


def _rejects(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0] == list(REJECTS_HEADER)
    return rows[1:]


@given(st.lists(st.one_of(st.sampled_from(EXAMPLE).map(list),
                          st.sampled_from(EXAMPLE).flatmap(lambda r: mutated(r, keep_first=True)),
                          st.lists(hostile_text(), min_size=1, max_size=8)),
                min_size=1, max_size=12))
@QUICK
def test_import_keeps_every_refused_row_with_its_reason(tmp_path: Path,
                                                        rows: list[list[str]]) -> None:
    source, rejects = tmp_path / "export.csv", tmp_path / "export.csv.rejects.csv"
    _write_export(source, rows)
    expected = {}  # line -> refused? for the rows the reader sees
    for line, values in _read_back(source):
        expected[line] = not _translate(values)
    writer = RecordingWriter()
    result = asyncio.run(import_file(source, writer, SEALER, rejects,  # type: ignore[arg-type]
                                     received_at=RECEIVED, batch_size=3))
    refused = _rejects(rejects)
    assert result.rows == len(expected) == result.accepted + result.rejected
    assert len(writer.sent) == result.accepted
    assert sorted(int(r[0]) for r in refused) == sorted(k for k, v in expected.items() if v)
    for line, _row_type, field, reason in refused:
        assert field and reason, f"line {line} refused without a reason"
    assert bsns_in(rejects.read_text(encoding="utf-8")) == []


def _read_back(source: Path) -> list[tuple[int, list[str]]]:
    from connectors.isi.importer import read_rows

    return list(read_rows(source))


@given(st.binary(max_size=300))
@QUICK
def test_import_of_random_bytes_refuses_with_a_permanent_error_or_rejects(
        tmp_path: Path, data: bytes) -> None:
    source, rejects = tmp_path / "export.csv", tmp_path / "export.csv.rejects.csv"
    source.write_bytes(data)
    writer = RecordingWriter()
    try:
        result = asyncio.run(import_file(source, writer, SEALER, rejects,  # type: ignore[arg-type]
                                         received_at=RECEIVED))
    except PermanentError as exc:
        assert_refusal(exc)
        assert rejects.exists() and _rejects(rejects)[-1][3], "the stop reason is kept"
        assert source.read_bytes() == data
        return
    assert len(_rejects(rejects)) == result.rejected
    assert source.read_bytes() == data


def test_import_of_an_unreadable_line_stops_with_the_reason_kept(tmp_path: Path) -> None:
    source, rejects = tmp_path / "export.csv", tmp_path / "export.csv.rejects.csv"
    good = ";".join(EXAMPLE[0]).encode() + b"\n"
    source.write_bytes(good + b"PERSOON;" + b"9" * 200_000 + b"\n" + good)
    writer = RecordingWriter()
    with pytest.raises(PermanentError) as caught:
        asyncio.run(import_file(source, writer, SEALER, rejects,  # type: ignore[arg-type]
                                received_at=RECEIVED))
    assert_refusal(caught.value)
    assert len(writer.sent) == 1  # the good row before it was still produced
    assert _rejects(rejects)[-1][0] == "2" and _rejects(rejects)[-1][3]


def test_a_row_that_is_not_utf8_is_refused_alone(tmp_path: Path) -> None:
    source, rejects = tmp_path / "export.csv", tmp_path / "export.csv.rejects.csv"
    good = ";".join(EXAMPLE[0]).encode() + b"\n"
    source.write_bytes(good + b"PERSOON;111222333;;WI2007;\xff\xfe;2009-03-01\n" + good)
    writer = RecordingWriter()
    result = asyncio.run(import_file(source, writer, SEALER, rejects,  # type: ignore[arg-type]
                                     received_at=RECEIVED))
    assert (result.rows, result.accepted, result.rejected) == (3, 2, 1)
    assert _rejects(rejects) == [["2", "PERSOON", "row", "not UTF-8 text"]]


def test_a_row_without_its_row_type_keeps_no_bsn_in_the_rejects_file(tmp_path: Path) -> None:
    source, rejects = tmp_path / "export.csv", tmp_path / "export.csv.rejects.csv"
    source.write_text("111222333;;WI2007;GEZINSMIGRANT;2009-03-01\n", encoding="utf-8")
    result = asyncio.run(import_file(source, RecordingWriter(), SEALER,  # type: ignore[arg-type]
                                     rejects, received_at=RECEIVED))
    assert result.rejected == 1
    assert _rejects(rejects) == [["1", "<bsn>", "row_type", _rejects(rejects)[0][3]]]
    assert "111222333" not in rejects.read_text(encoding="utf-8")


def test_every_field_of_every_example_row_with_every_hostile_value() -> None:
    outcomes = [_translate(row) for example in EXAMPLE for row in single_edits(example, skip=1)]
    assert any(outcomes) and not all(outcomes)

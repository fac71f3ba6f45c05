"""Fuzzing the Avro codec with its Confluent framing: any bytes decode or raise BadMessage.

Covers random bytes, framed bodies under every locked schema id, and bit flips, truncations and
extensions of valid messages; encoding mutated records fails only with BadMessage too.
"""

from __future__ import annotations

import json
import struct
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import schemas
import topics
from hub.codec import AvroCodec
from hub.errors import BadMessage, PermanentError, UnknownSchema
from hub.registry import FileSchemaRegistry
from tests.unit.test_fuzz_kit import FUZZ, QUICK, SEALER, assert_refusal, hostile_text, valid_bsns

CODEC = AvroCodec(FileSchemaRegistry())
LOCKED_IDS = sorted(int(v["id"]) for versions in json.loads(schemas.LOCK_PATH.read_text())
                    ["schemas"].values() for v in versions)
EXAM = topics.by_name(topics.EXAMENRESULTAAT).value_schema


def _exam(bsn: str = "111222333") -> dict[str, Any]:
    return {"message_id": "m-1", "case_ref": SEALER.case_ref(bsn), "source": "duo",
            "produced_at": datetime(2024, 5, 6, tzinfo=UTC), "bsn": SEALER.seal(bsn),
            "examen_id": "EX1", "onderdeel": "LEZEN", "niveau": "B1",
            "examendatum": date(2024, 4, 1), "uitslag": "GESLAAGD", "score": 512,
            "bron_versie": {"sleutel": "duo:examen:EX1", "volgnummer": 7, "document": "W7",
                            "tijdstip": datetime(2024, 5, 6, tzinfo=UTC), "corrigeert": None}}


VALID = CODEC.encode(EXAM, _exam())


def _decode(data: bytes | None) -> tuple[str, dict[str, Any]] | None:
    try:
        name, record = CODEC.decode(data)
    except PermanentError as exc:
        assert_refusal(exc, BadMessage)
        return None
    assert isinstance(record, dict) and name
    return name, record


@given(st.binary(max_size=300))
@FUZZ
def test_random_bytes_decode_or_are_refused(data: bytes) -> None:
    _decode(data)


@given(st.sampled_from(LOCKED_IDS), st.binary(max_size=200))
@FUZZ
def test_random_bodies_under_every_locked_schema_decode_or_are_refused(
        schema_id: int, body: bytes) -> None:
    result = _decode(struct.pack(">bI", 0, schema_id) + body)
    if result is not None:
        assert result[0] == CODEC._reader(schema_id)[0]


@given(st.integers(0, 2**32 - 1), st.integers(-128, 127))
@QUICK
def test_unknown_ids_and_magic_bytes_are_unknown_schemas(schema_id: int, magic: int) -> None:
    data = struct.pack(">bI", magic, schema_id) + VALID[5:]
    if magic == 0 and schema_id in LOCKED_IDS:
        return
    with pytest.raises(UnknownSchema) as caught:
        CODEC.decode(data)
    assert_refusal(caught.value, UnknownSchema)


def test_an_unknown_schema_id_that_looks_like_a_bsn_is_not_quoted() -> None:
    with pytest.raises(UnknownSchema) as caught:  # found by the atheris harness
        CODEC.decode(bytes.fromhex("0006101043") + b"R")
    assert_refusal(caught.value, UnknownSchema)


@st.composite
def _mangled(draw: st.DrawFn) -> bytes:
    data = bytearray(VALID)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(("flip", "cut", "extend", "splice")))
        at = draw(st.integers(5, max(5, len(data) - 1)))
        if op == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            del data[at:]
        elif op == "extend":
            data[at:at] = draw(st.binary(min_size=1, max_size=20))
        else:
            data[at:at + 4] = draw(st.sampled_from([b"\xff\xff\xff\x7f", b"\x80\x80\x80\x80",
                                                    b"\x01", b"\x00" * 4, b"\xfe\xff\xff"]))
    return bytes(data)


@given(_mangled())
@FUZZ
def test_mangled_valid_messages_decode_to_their_schema_or_are_refused(data: bytes) -> None:
    result = _decode(data)
    if result is not None:
        assert result[0] == EXAM


@given(st.sampled_from(sorted(_exam())), st.one_of(
    hostile_text(), st.none(), st.integers(), st.floats(), st.binary(max_size=5),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(),
                                                         max_size=2)))
@FUZZ
def test_records_with_a_wrong_field_encode_or_are_refused(field: str, value: object) -> None:
    record = {**_exam(), field: value}
    try:
        data = CODEC.encode(EXAM, record)
    except PermanentError as exc:
        assert_refusal(exc, BadMessage)
        return
    # fastavro encodes an int as a date even outside date's range; decoding then refuses it
    result = _decode(data)
    if result is not None:
        assert result[0] == EXAM
        assert field == "message_id" or result[1]["message_id"] == "m-1"


@given(valid_bsns)
@QUICK
def test_valid_records_round_trip(bsn: str) -> None:
    record = _exam(bsn)
    name, back = CODEC.decode(CODEC.encode(EXAM, record))
    assert name == EXAM
    assert back == record

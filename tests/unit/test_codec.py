"""The Confluent-framed Avro codec: round trips, and permanent errors for what does not fit."""

from __future__ import annotations

import struct

import pytest
from fastavro.utils import generate_many

import schemas
import topics
from hub.codec import AvroCodec
from hub.errors import BadMessage, UnknownSchema
from hub.registry import FileSchemaRegistry

VALUE_SCHEMAS = sorted({spec.value_schema for spec in topics.TOPICS})


@pytest.fixture(scope="module")
def codec() -> AvroCodec:
    return AvroCodec(FileSchemaRegistry())


@pytest.mark.parametrize("name", VALUE_SCHEMAS)
def test_generated_records_round_trip_with_confluent_framing(codec: AvroCodec, name: str) -> None:
    for record in generate_many(schemas.load(name), 5):
        data = codec.encode(name, record)
        assert data[0] == 0
        assert struct.unpack(">I", data[1:5])[0] == codec.schema_id(name)
        decoded_name, decoded = codec.decode(data)
        assert decoded_name == name
        assert codec.encode(name, decoded) == data


def test_schema_id_is_the_locked_id(codec: AvroCodec) -> None:
    locked = FileSchemaRegistry().id_for(topics.KEY_SCHEMA, schemas.load(topics.KEY_SCHEMA))
    data = codec.encode(topics.KEY_SCHEMA, {"case_ref": "CR" + "0" * 30})
    assert data[:5] == b"\x00" + struct.pack(">I", locked)


@pytest.mark.parametrize("data", [None, b"", b"\x00\x00\x00"])
def test_short_or_empty_input_is_a_bad_message(codec: AvroCodec, data: bytes | None) -> None:
    with pytest.raises(BadMessage, match="shorter than"):
        codec.decode(data)


def test_unknown_magic_byte_is_permanent(codec: AvroCodec) -> None:
    data = codec.encode(topics.KEY_SCHEMA, {"case_ref": "CR1"})
    with pytest.raises(UnknownSchema, match="magic byte 1"):
        codec.decode(b"\x01" + data[1:])


def test_unknown_schema_id_is_permanent(codec: AvroCodec) -> None:
    with pytest.raises(UnknownSchema):
        codec.decode(b"\x00" + struct.pack(">I", 99_999) + b"\x02a")


def test_truncated_body_is_a_bad_message(codec: AvroCodec) -> None:
    data = codec.encode(topics.KEY_SCHEMA, {"case_ref": "CR" + "A" * 30})
    with pytest.raises(BadMessage, match="does not decode"):
        codec.decode(data[:-5])


def test_record_that_does_not_fit_names_the_schema(codec: AvroCodec) -> None:
    with pytest.raises(BadMessage, match="CaseKey"):
        codec.encode(topics.KEY_SCHEMA, {"case_ref": 12})

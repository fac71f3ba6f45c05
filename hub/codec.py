"""Avro with the Confluent wire framing: byte 0 = 0, 4-byte big-endian schema id, Avro binary.

Kafka UI, AKHQ and Confluent clients decode this framing. Writer schemas are looked up by id in
the ``SchemaRegistry`` port; records are read with the hub's current schema of the same name, so
BACKWARD-compatible evolution works. Anything that does not fit raises a permanent error.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Mapping
from typing import Any

from fastavro import parse_schema, schemaless_reader, schemaless_writer

import schemas
from hub.errors import BadMessage, UnknownSchema
from hub.privacy import redact
from hub.registry import SchemaRegistry

MAGIC = 0
_HEADER = struct.Struct(">bI")


class AvroCodec:
    """Encode and decode records of the hub's schemas with the Confluent framing."""

    def __init__(self, registry: SchemaRegistry) -> None:
        self._registry = registry
        self._writers: dict[str, tuple[bytes, Any]] = {}  # full name -> (header, parsed)
        self._readers: dict[int, tuple[str, Any, Any]] = {}  # id -> (name, writer, reader)

    def encode(self, full_name: str, record: Mapping[str, Any]) -> bytes:
        """Frame and encode ``record`` with the current schema ``full_name``."""
        header, parsed = self._writer(full_name)
        buffer = io.BytesIO()
        buffer.write(header)
        try:
            schemaless_writer(buffer, parsed, record)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            raise BadMessage(f"record does not fit {full_name}: {_brief(exc)}") from exc
        return buffer.getvalue()

    def decode(self, data: bytes | None) -> tuple[str, dict[str, Any]]:
        """Return (record full name, record) or raise a permanent error."""
        if not data or len(data) < _HEADER.size:
            raise BadMessage("message is empty or shorter than the 5-byte Confluent header")
        magic, schema_id = _HEADER.unpack_from(data)
        if magic != MAGIC:
            raise UnknownSchema(f"unknown magic byte {magic} (expected 0, Confluent framing)")
        try:
            name, writer, reader = self._reader(schema_id)
        except UnknownSchema as exc:  # the text quotes the id, which may pass the BSN test
            raise UnknownSchema(redact(str(exc))) from exc
        try:
            record = schemaless_reader(io.BytesIO(data[_HEADER.size:]), writer, reader)
        except (EOFError, ValueError, TypeError, IndexError, KeyError, UnicodeDecodeError,
                OverflowError, struct.error) as exc:
            raise BadMessage(f"Avro body does not decode as {name} (id {schema_id})") from exc
        if not isinstance(record, dict):
            raise BadMessage(f"schema id {schema_id} is not a record schema")
        return name, record

    def schema_id(self, full_name: str) -> int:
        """The registry id of the current schema ``full_name``."""
        header, _ = self._writer(full_name)
        return int(_HEADER.unpack(header)[1])

    def _writer(self, full_name: str) -> tuple[bytes, Any]:
        cached = self._writers.get(full_name)
        if cached is None:
            parsed = schemas.load(full_name)
            schema_id = self._registry.id_for(full_name, parsed)
            cached = (_HEADER.pack(MAGIC, schema_id), parsed)
            self._writers[full_name] = cached
        return cached

    def _reader(self, schema_id: int) -> tuple[str, Any, Any]:
        cached = self._readers.get(schema_id)
        if cached is None:
            writer = parse_schema(self._registry.schema_for(schema_id))
            name = str(writer.get("name", "")) if isinstance(writer, dict) else ""
            reader = None  # fastavro resolves schemas per record when given a reader: only
            if name in set(schemas.all_names()):  # ask for that when they differ
                current = schemas.load(name)
                reader = None if current == writer else current
            cached = (name, writer, reader)
            self._readers[schema_id] = cached
        return cached


def _brief(exc: Exception) -> str:
    """First line of an error, capped and BSN-redacted, so no record payload leaks into logs."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return redact(text)[:160]

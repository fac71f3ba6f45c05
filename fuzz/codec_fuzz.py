"""atheris: AvroCodec.decode on any bytes (Confluent framing) decodes or raises BadMessage."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime

import atheris
import common

with atheris.instrument_imports():
    import topics
    from hub.codec import AvroCodec
    from hub.errors import BadMessage
    from hub.registry import FileSchemaRegistry

CODEC = AvroCodec(FileSchemaRegistry())
EXAM = topics.by_name(topics.EXAMENRESULTAAT).value_schema


def test_one_input(data: bytes) -> None:
    """One input: decode, or a BadMessage without a BSN."""
    try:
        name, record = CODEC.decode(data)
    except BadMessage as exc:
        common.check_refusal(exc)
        return
    if not name or not isinstance(record, dict):
        raise AssertionError("decode returned no record")


def _seeds() -> list[bytes]:
    record = {"message_id": "m", "case_ref": "CR" + "0" * 30, "source": "duo",
              "produced_at": datetime(2024, 1, 1, tzinfo=UTC),
              "bsn": {"key_id": "k", "nonce": b"\0" * 12, "ciphertext": b"x"},
              "examen_id": "EX1", "onderdeel": "LEZEN", "niveau": "B1",
              "examendatum": date(2024, 1, 1), "uitslag": "GESLAAGD", "score": 1}
    return [CODEC.encode(EXAM, record), CODEC.encode(topics.KEY_SCHEMA, {"case_ref": "CR1"})]


if __name__ == "__main__":
    common.corpus(sys.argv, _seeds())
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()

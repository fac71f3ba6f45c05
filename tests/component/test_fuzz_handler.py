"""Fuzzing the shared batch handler against a real SQLite store.

Batches mix valid messages with hostile ones (random bytes, bit flips, wrong schemas, keys that
do not match, missing values, junk headers, a check that raises). ``handle`` never raises, every
message is applied, a duplicate or a dead letter, and every dead letter keeps the original bytes
and a reason without a BSN, in the store's dead-letter table and on the outbox.
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import topics
from hub.agents.handler import ATTEMPTS_HEADER, BatchHandler, RawMessage
from hub.codec import AvroCodec
from hub.errors import InvalidField
from hub.reconcile.view import case_view
from hub.registry import FileSchemaRegistry
from hub.store import InboundMessage, Store
from tests.unit.test_fuzz_codec import _exam
from tests.unit.test_fuzz_kit import FUZZ, bsns_in, valid_bsns

TOPIC = topics.EXAMENRESULTAAT
CODEC = AvroCodec(FileSchemaRegistry())
VALUE_SCHEMA = topics.by_name(TOPIC).value_schema
_TMP = tempfile.TemporaryDirectory(prefix="fuzz-handler-")
STORE = Store(f"sqlite:///{Path(_TMP.name) / 'hub.db'}", projection=case_view)
_offsets = itertools.count()
_ids = itertools.count()


def _check(message: InboundMessage) -> None:
    """A consumer's check: refuses, quoting a value (the handler must redact), or has a bug."""
    score = message.record.get("score")
    if score == 13:
        raise InvalidField("score", f"13 is unlucky for {message.record['examen_id']}")
    if score == 7:
        raise ZeroDivisionError("a bug in the check")


@st.composite
def _message(draw: st.DrawFn) -> RawMessage:
    bsn = draw(valid_bsns)  # ids below have a fixed width, so every draw has the same bounds
    record: dict[str, Any] = {**_exam(bsn), "message_id": f"m-{next(_ids):09d}",
                              "score": draw(st.sampled_from([512, 13, 7, None])),
                              "examen_id": draw(st.sampled_from(["EX1", bsn, "EX 123456782"]))}
    key = CODEC.encode(topics.KEY_SCHEMA, {"case_ref": record["case_ref"]})
    value = CODEC.encode(VALUE_SCHEMA, record)
    kind = draw(st.sampled_from(("valid", "valid", "random", "flip", "cut", "none", "no_key",
                                 "other_key", "wrong_schema", "empty_id", "value_as_key")))
    if kind == "random":
        value = draw(st.binary(max_size=60))
    elif kind == "flip":
        at = draw(st.integers(0, len(value) - 1))
        value = value[:at] + bytes([value[at] ^ (1 << draw(st.integers(0, 7)))]) + value[at + 1:]
    elif kind == "cut":
        value = value[:draw(st.integers(0, len(value) - 1))]
    elif kind == "none":
        value = None  # type: ignore[assignment]
    elif kind == "no_key":
        key = None  # type: ignore[assignment]
    elif kind == "other_key":
        key = CODEC.encode(topics.KEY_SCHEMA, {"case_ref": SEALER_REF})
    elif kind == "wrong_schema":
        value = key
    elif kind == "empty_id":
        value = CODEC.encode(VALUE_SCHEMA, {**record, "message_id": ""})
    elif kind == "value_as_key":
        key = value
    headers = {ATTEMPTS_HEADER: draw(st.sampled_from([b"0", b"2", b"x", b"\xff", b"-5"]))}
    return RawMessage(TOPIC, draw(st.integers(0, 2)), next(_offsets), key, value, headers)


SEALER_REF = "CR" + "A" * 30


@given(st.lists(_message(), min_size=1, max_size=12), st.booleans())
@FUZZ
def test_handle_never_raises_and_keeps_every_refused_message(batch: list[RawMessage],
                                                              redeliver: bool) -> None:
    handler = BatchHandler("record:fuzz", codec=CODEC, store=STORE, check=_check)
    before = STORE.count("dead_letter")
    result = handler.handle(batch)
    letters = {(d["source_partition"], d["source_offset"]): d for d in _dead_letters()}
    if redeliver:
        again = handler.handle(batch)  # a redelivered batch stores nothing twice
        assert again.outcome.applied == 0
        _dead_letters()
    out = result.outcome
    assert result.unstored == []
    assert out.applied + out.duplicates + out.dead_lettered == len(batch)
    assert STORE.count("dead_letter") == before + out.dead_lettered
    refused = [m for m in batch if (m.partition, m.offset) in letters]
    assert len(refused) == out.dead_lettered
    for raw in refused:
        letter = letters[(raw.partition, raw.offset)]
        assert letter["original_value"] == (raw.value or b"")
        assert letter["original_key"] == raw.key
        assert letter["error_type"] and letter["error_message"]
        assert bsns_in(letter["error_message"]) == []


def _dead_letters() -> list[dict[str, Any]]:
    """The dead letters waiting on the outbox; marked published so the next example starts empty."""
    rows = STORE.pending_outbox(100_000)
    STORE.mark_published([r.id for r in rows])
    return [CODEC.decode(r.value)[1] for r in rows if r.topic == topics.dead_letter_of(TOPIC)]

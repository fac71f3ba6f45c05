"""Masking: encrypted BSNs shown masked, plaintext BSNs redacted, case_ref shown."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import topics
from hub.codec import AvroCodec
from hub.console.masking import MASK, count_bsns, decode_masked, masked, unmask
from hub.demo import exam_results
from hub.privacy import BsnCipher
from hub.registry import FileSchemaRegistry
from hub.settings import from_env

BSN = "111222333"  # passes the eleven-test


def _cipher() -> BsnCipher:
    return BsnCipher({"k1": os.urandom(32)}, "k1")


def test_encrypted_bsn_is_masked_with_its_key_id_and_nothing_else() -> None:
    cipher = _cipher()
    record = {"case_ref": "CR0001", "bsn": cipher.encrypt(BSN).as_record(),
              "note": f"about {BSN}", "when": datetime(2026, 1, 2, tzinfo=UTC),
              "day": date(2026, 1, 2), "amount": Decimal("1.50"), "blob": b"\x00\x01"}
    shown = masked(record)
    assert shown["bsn"] == {"masked": MASK, "key_id": "k1"}
    assert shown["case_ref"] == "CR0001"
    assert shown["note"] == "about <bsn>"
    assert shown["blob"] == "<2 bytes>"
    assert shown["amount"] == "1.50" and shown["day"] == "2026-01-02"
    assert BSN not in json.dumps(shown)


def test_unmask_decrypts_and_counts() -> None:
    cipher = _cipher()
    facts = [{"record": {"bsn": cipher.encrypt(BSN).as_record()}}, {"record": {"x": 1}}]
    assert count_bsns(facts) == 1
    assert unmask(facts, cipher)[0]["record"]["bsn"] == {"bsn": BSN, "key_id": "k1"}


def test_unmask_with_an_unknown_key_stays_masked() -> None:
    other = BsnCipher({"k2": os.urandom(32)}, "k2")
    shown = unmask({"bsn": other.encrypt(BSN).as_record()}, _cipher())
    assert shown["bsn"]["masked"] == MASK and "error" in shown["bsn"]


def test_a_decoded_topic_message_never_shows_the_bsn(tmp_path: Path) -> None:
    settings = from_env({"HUB_HOME": str(tmp_path)})
    codec = AvroCodec(FileSchemaRegistry())
    record = exam_results(settings, cases=1, seed=3)[0]
    value = codec.encode(topics.by_name(topics.EXAMENRESULTAAT).value_schema, record)
    shown = decode_masked(codec, value)
    assert shown["schema"].endswith("Examenresultaat")
    assert shown["record"]["bsn"]["masked"] == MASK
    assert shown["record"]["case_ref"] == record["case_ref"]
    plain = BsnCipher.from_settings(settings).decrypt(record["bsn"])
    assert plain not in json.dumps(shown)


def test_undecodable_bytes_show_only_their_header() -> None:
    shown = decode_masked(AvroCodec(FileSchemaRegistry()), b"\x00\x7f\xff\xff\xff" + BSN.encode())
    assert shown["schema"] is None and "UnknownSchema" in shown["error"]
    assert BSN not in json.dumps(shown)

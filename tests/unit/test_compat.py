"""The private-API uses in hub/compat.py still work on the pinned libraries (fail loudly if not)."""

from __future__ import annotations

import json
from datetime import date

import hub.compat
from hub.compat import c_json_encoder
from hub.store import jsonsafe


def test_the_c_json_encoder_is_available_and_matches_the_public_one() -> None:
    encode = c_json_encoder(lambda value: {"$date": value.isoformat()})
    assert encode is not None, "json.encoder.c_make_encoder changed: hub.compat needs an update"
    value = {"z": [1, 2.5, None, True], "a": "€", "d": date(2024, 1, 2)}
    public = json.dumps(value, default=lambda v: {"$date": v.isoformat()}, sort_keys=True,
                        separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    assert encode(value) == public


def test_the_store_uses_the_fast_encoder() -> None:
    assert jsonsafe._encode.__name__ == "<lambda>", "jsonsafe fell back to the slow encoder"


def test_kafka_python_still_has_the_acl_hook_describe_groups_uses() -> None:
    import inspect

    from kafka import KafkaAdminClient

    from hub.compat import ACL_HOOK, known_acl_operations

    assert hasattr(KafkaAdminClient, ACL_HOOK), "kafka-python changed: update hub.compat"
    source = inspect.getsource(KafkaAdminClient._describe_groups_process_response)
    assert f"self.{ACL_HOOK}(" in source, "describe_groups no longer goes through the hook"
    # Tansu 0.6 answers 0..31; kafka-python's enum knows only some of them
    described = known_acl_operations({"authorized_operations": list(range(32))})
    assert "READ" in described["authorized_operations"]
    assert "DESCRIBE" in described["authorized_operations"]
    assert all(isinstance(op, str) for op in described["authorized_operations"])


def test_write_only_sheets_are_of_the_annotated_class() -> None:
    from openpyxl import Workbook

    sheet = Workbook(write_only=True).create_sheet("x")
    assert isinstance(sheet, hub.compat.WriteOnlyWorksheet), (
        "openpyxl moved its write-only sheet class: hub.compat needs an update")

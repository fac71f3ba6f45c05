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


def test_write_only_sheets_are_of_the_annotated_class() -> None:
    from openpyxl import Workbook

    sheet = Workbook(write_only=True).create_sheet("x")
    assert isinstance(sheet, hub.compat.WriteOnlyWorksheet), (
        "openpyxl moved its write-only sheet class: hub.compat needs an update")

"""The JSON-safe codec is lossless for every type a decoded Avro record can hold."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.store.jsonsafe import RawJson, canonical, dumps, from_jsonsafe, loads, to_jsonsafe

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=8),
    st.sampled_from(["$b64", "$date", "$$x", "$", "a\"$b"]),
    st.floats(allow_nan=False), st.binary(max_size=8), st.dates(),
    st.datetimes(timezones=st.sampled_from([None, UTC])), st.times(),
    st.decimals(allow_nan=False, allow_infinity=False), st.uuids(),
)
keys = st.one_of(st.text(max_size=5), st.sampled_from(["$b64", "$date", "$$b64", "$x", "$"]))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (1 is not 1.0 is not True)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Decimal):
        return str(a) == str(b)
    return bool(a == b)


@settings(max_examples=300)
@given(values)
def test_round_trip_is_exact(value: Any) -> None:
    assert same(from_jsonsafe(to_jsonsafe(value)), value)
    assert same(loads(dumps(value)), value)


@settings(max_examples=300)
@given(values)
def test_dumps_is_canonical_json_of_the_tagged_value(value: Any) -> None:
    text = dumps(value)
    assert text == canonical(to_jsonsafe(value))
    assert json.loads(text) == to_jsonsafe(value)


def test_tags_and_escapes() -> None:
    value = {"b": b"\x00", "d": date(2024, 1, 31), "$b64": "user data", "n": Decimal("1.50")}
    assert to_jsonsafe(value) == {
        "b": {"$b64": "AA=="}, "d": {"$date": "2024-01-31"}, "$$b64": "user data",
        "n": {"$decimal": "1.50"}}
    assert dumps(value) == '{"$$b64":"user data","b":{"$b64":"AA=="},' \
                           '"d":{"$date":"2024-01-31"},"n":{"$decimal":"1.50"}}'


def test_non_finite_floats_and_tuples() -> None:
    out = loads(dumps({"nan": math.nan, "inf": -math.inf, "tuple": (1, b"x")}))
    assert math.isnan(out["nan"]) and out["inf"] == -math.inf
    assert out["tuple"] == [1, b"x"]


def test_datetime_keeps_its_zone_and_microseconds() -> None:
    moment = datetime(2024, 3, 31, 2, 30, 0, 1, tzinfo=UTC)
    assert loads(dumps([moment, time(1, 2, 3, 4), UUID(int=1)])) == [
        moment, time(1, 2, 3, 4), UUID(int=1)]


def test_raw_json_passes_through() -> None:
    text = dumps({"a": b"1"})
    assert dumps(RawJson(text)) is not None and dumps(RawJson(text)) == text


def test_unsupported_types_are_refused() -> None:
    with pytest.raises(TypeError, match="not JSON-safe: set"):
        dumps({"a": {1, 2}})
    with pytest.raises(TypeError, match="keys must be str"):
        to_jsonsafe({(1, 2): "tuple key"})

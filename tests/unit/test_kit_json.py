"""Partner JSON and answer shapes: typed refusals naming what was read, never a RecursionError,
AttributeError, KeyError or TypeError escaping."""

from __future__ import annotations

import pytest

from connectors.kit.fields import Reader
from connectors.kit.jsonread import MAX_DEPTH, depth, read_json
from hub.errors import InvalidField, PayloadTooLarge
from tests.hostile import deep_json


def test_plain_json_is_read() -> None:
    assert read_json(b'{"a": [1, {"b": null}]}', what="x") == {"a": [1, {"b": None}]}
    assert read_json('\ufeff{"é": 1}'.encode(), what="x") == {"é": 1}


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 900, 30_000])
def test_deep_json_is_refused_typed(levels: int) -> None:
    with pytest.raises(InvalidField) as caught:
        read_json(deep_json(levels), what="notificatie")
    assert caught.value.field == "notificatie" and "deeper than 64" in caught.value.reason


def test_json_at_the_depth_limit_is_read() -> None:
    assert depth(read_json(deep_json(MAX_DEPTH), what="x"), limit=MAX_DEPTH) == MAX_DEPTH


def test_deep_lists_count_too() -> None:
    with pytest.raises(InvalidField):
        read_json(b"[" * 100 + b"]" * 100, what="x")


@pytest.mark.parametrize(("body", "reason"), [
    (b"\xff\xfe{", "not UTF-8"), (b"{", "not JSON"), (b"NaN", "not JSON"),
    (b'{"a": Infinity}', "not JSON"), (b"", "not JSON"), (b"1" * 5000, "not JSON")])
def test_what_is_not_json_is_refused_typed(body: bytes, reason: str) -> None:
    with pytest.raises(InvalidField) as caught:
        read_json(body, what="antwoord")
    assert caught.value.reason == reason


def test_a_body_over_the_limit_is_refused_before_parsing() -> None:
    with pytest.raises(PayloadTooLarge, match="11 bytes is over the 10-byte limit"):
        read_json(b'"123456789"', what="x", max_bytes=10)


@pytest.mark.parametrize(("value", "kind"), [([], "a list"), ("x", "a string"), (3, "a number"),
                                             (None, "null"), (True, "a boolean")])
def test_a_reader_wants_an_object(value: object, kind: str) -> None:
    with pytest.raises(InvalidField) as caught:
        Reader.of("mutaties page", value)
    assert caught.value.field == "mutaties page" and kind in caught.value.reason


@pytest.mark.parametrize(("data", "field", "reason"), [
    ({"volgende": "abc"}, "page.volgende", "not a whole number"),
    ({"volgende": True}, "page.volgende", "not a whole number"),
    ({"volgende": 2**40}, "page.volgende", "out of range"),
    ({}, "page.volgende", "missing")])
def test_integers_are_typed(data: dict[str, object], field: str, reason: str) -> None:
    with pytest.raises(InvalidField) as caught:
        Reader.of("page", data).integer("volgende")
    assert (caught.value.field, caught.value.reason) == (field, reason)


def test_lists_of_objects_and_texts_are_typed() -> None:
    page = Reader.of("page", {"facturen": [{"url": 5}, 7], "meer": "ja", "naam": {"x": 1}})
    with pytest.raises(InvalidField, match=r"page\.facturen: not a list of objects"):
        page.items("facturen")
    with pytest.raises(InvalidField, match=r"page\.meer: not true or false"):
        page.optional_boolean("meer")
    with pytest.raises(InvalidField, match=r"page\.naam: not a scalar"):
        page.text("naam")
    assert page.items("ontbreekt") == []
    items = Reader.of("page", {"facturen": [{"volgnummer": 1}]}).items("facturen")
    with pytest.raises(InvalidField, match=r"page.facturen\[0\].url: missing"):
        items[0].text("url")

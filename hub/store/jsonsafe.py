"""Decoded Avro values <-> JSON-safe values, losslessly.

JSON has no bytes, dates, times, decimals, UUIDs or non-finite floats, so those travel as a
one-key tag object and come back as the same Python value::

    b"\\x00"                      {"$b64": "AA=="}
    date(2024, 1, 31)            {"$date": "2024-01-31"}
    datetime(..., tzinfo=UTC)    {"$datetime": "2024-01-31T12:00:00+00:00"}
    time(12, 0)                  {"$time": "12:00:00"}
    Decimal("1.50")              {"$decimal": "1.50"}
    UUID(...)                    {"$uuid": "..."}
    float("nan")                 {"$float": "nan"}

Dict keys that start with ``$`` get one more ``$`` so they can never be taken for a tag
(Avro maps may have any string key). Tuples become lists, as Avro arrays do; int, float,
bool and None keys become strings, as ``json`` makes them.

``dumps``/``loads`` are the text form and the engine's JSON (de)serialiser, so every JSON
column holds tagged text. ``dumps`` sorts keys, so equal values give equal text. Both take
a fast path through the C ``json`` module and walk the value in Python only when a string
starts with ``$`` (rare) or a float is not finite.
"""

from __future__ import annotations

import base64
import json
import math
import threading
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from hub.compat import c_json_encoder

_DECODERS: dict[str, Callable[[str], Any]] = {
    "$b64": lambda text: base64.b64decode(text.encode("ascii"), validate=True),
    "$date": date.fromisoformat,
    "$datetime": datetime.fromisoformat,
    "$time": time.fromisoformat,
    "$decimal": Decimal,
    "$uuid": UUID,
    "$float": float,
}


def to_jsonsafe(value: Any) -> Any:
    """Return ``value`` as plain JSON types (dict/list/str/int/float/bool/None) with tags."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, dict):
        return {_escape(key): to_jsonsafe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonsafe(item) for item in value]
    return _tag(value)


def from_jsonsafe(value: Any) -> Any:
    """Exact inverse of ``to_jsonsafe``."""
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, item),) = value.items()
            decoder = _DECODERS.get(key)
            if decoder is not None:
                return decoder(item)
        return {_unescape(key): from_jsonsafe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_jsonsafe(item) for item in value]
    return value


def canonical(value: Any) -> str:
    """Deterministic JSON text of a JSON-safe value (sorted keys, no spaces), for hashing."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class RawJson(str):
    """Text that is already ``dumps`` output: ``dumps`` passes it through unchanged."""


def dumps(value: Any) -> str:
    """``canonical(to_jsonsafe(value))``, computed without a Python walk where possible."""
    if isinstance(value, RawJson):
        return value
    _counter.tags = 0
    try:
        text = _encode(value)
    except (TypeError, ValueError):  # non-finite float, mixed key types: take the long way
        return canonical(to_jsonsafe(value))
    # Every tag adds exactly one '"$'; any other one is a string starting with "$", which
    # might be a key needing escape: take the long way then.
    return text if text.count('"$') == _counter.tags else canonical(to_jsonsafe(value))


def loads(text: str | bytes) -> Any:
    """Inverse of ``dumps``: parse JSON text and restore tagged values."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if '"$' not in text:
        return json.loads(text)
    return (_decode_escaped if '"$$' in text else _decode)(text)


def _counted_tag(value: Any) -> dict[str, str]:
    _counter.tags += 1
    kind = type(value)  # exact-type fast lanes for what Avro records hold; subclasses below
    if kind is bytes:
        return {"$b64": base64.b64encode(value).decode("ascii")}
    if kind is datetime:
        return {"$datetime": value.isoformat()}
    if kind is date:
        return {"$date": value.isoformat()}
    if kind is Decimal:
        return {"$decimal": str(value)}
    return _tag(value)


def _make_encoder() -> Callable[[Any], str]:
    """The C encoder built once (``hub.compat``), else the public one with the same options."""
    fast = c_json_encoder(_counted_tag)
    if fast is not None:
        return fast
    return json.JSONEncoder(default=_counted_tag, allow_nan=False, sort_keys=True,
                            separators=(",", ":"), ensure_ascii=False).encode


def _tag(value: Any) -> dict[str, str]:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime):  # before date: a datetime is a date
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, UUID):
        return {"$uuid": str(value)}
    raise TypeError(f"not JSON-safe: {type(value).__name__}")


def _untag(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        ((key, item),) = obj.items()
        decoder = _DECODERS.get(key)
        if decoder is not None:
            return decoder(item)
    return obj


def _untag_unescape(obj: dict[str, Any]) -> Any:
    value = _untag(obj)
    if value is not obj:
        return value
    return {_unescape(key): item for key, item in obj.items()}


def _escape(key: object) -> str:
    if isinstance(key, str):
        return "$" + key if key.startswith("$") else key
    if key is None or isinstance(key, int | float):  # what json does with such keys
        return json.dumps(key)
    raise TypeError(f"JSON object keys must be str, not {type(key).__name__}")


def _unescape(key: str) -> str:
    return key[1:] if key.startswith("$$") else key


# one decoder each, made once (``json.loads`` with a hook builds a new one every call, ~30% of
# decoding a fact's payload); decoding holds the GIL throughout, so threads may share them
_decode = json.JSONDecoder(object_hook=_untag).decode
_decode_escaped = json.JSONDecoder(object_hook=_untag_unescape).decode
_counter = threading.local()  # how many values the current dumps call tagged
_encode = _make_encoder()

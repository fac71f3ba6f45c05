"""JSON from partners with typed refusals: too large, not UTF-8, not JSON, nested too deep.

``json.loads`` is fast but recurses; a 30k-deep document from a partner would raise
``RecursionError`` in it or later in any code that walks the value. Here every refusal is an
``InvalidField`` (or ``PayloadTooLarge``) naming what was read, and nothing deeper than
``MAX_DEPTH`` levels gets through.
"""

from __future__ import annotations

import json
from typing import Any

from hub.errors import InvalidField, PayloadTooLarge

MAX_DEPTH = 64  # partner documents are a few levels deep; 64 leaves room and stays far from
#                 Python's recursion limit
MAX_BYTES = 10 * 1024 * 1024


def read_json(data: bytes, *, what: str, max_bytes: int = MAX_BYTES,
              max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value in ``data``; a typed refusal naming ``what`` otherwise."""
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"{what}: {len(data)} bytes is over the {max_bytes}-byte limit")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidField(what, "not UTF-8") from None
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise InvalidField(what, f"JSON nested deeper than {max_depth} levels") from None
    except ValueError:
        raise InvalidField(what, "not JSON") from None
    if depth(value, limit=max_depth) > max_depth:
        raise InvalidField(what, f"JSON nested deeper than {max_depth} levels")
    return value


def _no_constant(name: str) -> Any:
    # library protocol: json.loads reports a bad document as ValueError (caught above)
    raise ValueError(f"{name} is not JSON")


def depth(value: Any, *, limit: int) -> int:
    """How deep ``value`` nests (a scalar is 0), counting no further than ``limit + 1``."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest

"""Stable ids for records about a person, from which no BSN can be derived.

An id that must be the same every time the same data arrives (so the inbox drops a repeat) is
a digest over the *keyed* case reference (an HMAC of the BSN, ``hub.privacy.case_ref``) and the
record's content, never over the BSN or a row holding it: without the case-reference key nobody
can compute the id for a guessed BSN, and the id tells nothing the record does not already say.
Ids that need not be stable are random (``uuid4``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def content_id(namespace: str, case_ref: str, fields: Mapping[str, Any]) -> str:
    """``<namespace>:<32 hex>``: SHA-256 over the namespace, case reference and ``fields``.

    Fields that are None are left out, so an optional field added later (None in old records)
    does not change the ids of records that lack it.
    """
    content = {key: value for key, value in fields.items() if value is not None}
    text = json.dumps([namespace, case_ref, content], sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, default=_plain)
    return f"{namespace}:{hashlib.sha256(text.encode()).hexdigest()[:32]}"


def _plain(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} has no stable text form for an id")

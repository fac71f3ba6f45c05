"""The message browser's rules, shared by the console page and ``hub topics tail``.

A ``Query`` says where to start in each partition (``oldest``, ``newest``, an ``offset`` or a
``timestamp``) and what to keep: ``key`` (a case reference, or any text of the decoded key),
``field`` (``path=value`` on the decoded record, dots for nesting: ``onderdeel=lezen``,
``bron_versie.volgnummer=3``) and ``grep`` (free text, case-insensitive, in the decoded and
masked value, so a search never matches on a BSN). Reading is bounded: at most ``scan``
messages per partition per page; ``newest`` scans the last ``scan`` and keeps the newest
matches. A page says where the next one starts (``cursor``: ``partition:offset`` pairs).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from hub.codec import AvroCodec
from hub.console.masking import decode_masked, masked
from hub.errors import ConfigurationError
from hub.offsets import Offsets

SEEKS = ("newest", "oldest", "offset", "timestamp")
MAX_LIMIT = 500
MAX_SCAN = 5000
_RELATIVE = re.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class RawRecord(Protocol):
    """What aiokafka's and kafka-python's ConsumerRecord both have."""

    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


@dataclass(frozen=True)
class Query:
    """Where to read and what to keep (see the module docstring)."""

    partition: int | None = None
    seek: str = "newest"
    offset: int = 0
    at_ms: int = 0
    key: str = ""
    field: str = ""
    grep: str = ""
    limit: int = 50
    scan: int = 1000

    def __post_init__(self) -> None:
        if self.seek not in SEEKS:
            raise ConfigurationError(f"seek must be one of {', '.join(SEEKS)}")
        if not 1 <= self.limit <= MAX_LIMIT or not 1 <= self.scan <= MAX_SCAN:
            raise ConfigurationError(f"limit 1..{MAX_LIMIT}, scan 1..{MAX_SCAN}")
        if self.field and "=" not in self.field:
            raise ConfigurationError("a field filter is path=value, e.g. onderdeel=lezen")

    @property
    def filtered(self) -> bool:
        """Whether any filter is set."""
        return bool(self.key or self.field or self.grep)


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``2026-12-03T10:00:00+01:00``, ``...Z``, or relative: ``90s``, ``15m``, ``2h``, ``1d``."""
    found = _RELATIVE.fullmatch(text.strip())
    if found:
        delta = timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})
        return (now or datetime.now(UTC)) - delta
    try:
        at = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigurationError("since: ISO 8601 with offset, or 15m / 2h / 1d") from exc
    if at.tzinfo is None:
        raise ConfigurationError("since: give the UTC offset (Z or +01:00)")
    return at


def starts(query: Query, offsets: Mapping[Any, Offsets],
           by_time: Mapping[Any, int | None] | None = None) -> dict[Any, int]:
    """Per partition the first offset to read, clamped to what is retained."""
    found: dict[Any, int] = {}
    for tp, off in offsets.items():
        if query.seek == "oldest":
            at = off.earliest
        elif query.seek == "newest":
            at = off.end - (query.scan if query.filtered else query.limit)
        elif query.seek == "offset":
            at = query.offset
        else:
            hit = (by_time or {}).get(tp)
            at = off.end if hit is None else hit
        found[tp] = min(max(at, off.earliest), off.end)
    return found


def _text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{len(value)} bytes>"


def row(codec: AvroCodec, record: RawRecord, show: Callable[[Any], Any] = masked
        ) -> dict[str, Any]:
    """One message for the screen: position, time, headers, key and value decoded and masked
    (or shown through ``show``, an audited unmasking)."""
    key = decode_masked(codec, record.key)
    value = decode_masked(codec, record.value, show)
    case_ref = None
    for part in (key, value):
        rec = (part or {}).get("record")
        if isinstance(rec, dict) and isinstance(rec.get("case_ref"), str):
            case_ref = rec["case_ref"]
            break
    return {"partition": record.partition, "offset": record.offset,
            "timestamp": record.timestamp,
            "time": datetime.fromtimestamp(record.timestamp / 1000, UTC).isoformat(),
            "headers": [{"key": k, "value": _text(v or b"")} for k, v in record.headers or ()],
            "case_ref": case_ref, "key": key, "value": value}


def _lookup(record: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(record, dict) or part not in record:
            return _MISSING
        record = record[part]
    return record


_MISSING = object()


def matches(found: Mapping[str, Any], query: Query) -> bool:
    """Whether a ``row`` passes the query's filters."""
    if query.key:
        wanted = query.key.strip().lower()
        key_text = json.dumps(found["key"], ensure_ascii=False, default=str).lower()
        if wanted != str(found.get("case_ref") or "").lower() and wanted not in key_text:
            return False
    value = (found.get("value") or {}).get("record")
    if query.field:
        path, _, expected = query.field.partition("=")
        got = _lookup(value, path.strip())
        if got is _MISSING or str(got).lower() != expected.strip().lower():
            return False
    if query.grep:
        text = json.dumps(found.get("value"), ensure_ascii=False, default=str).lower()
        if query.grep.lower() not in text:
            return False
    return True


def page(rows: list[dict[str, Any]], query: Query) -> list[dict[str, Any]]:
    """The kept rows of one page: the first ``limit`` matches, or the newest for ``newest``."""
    kept = sorted((r for r in rows if matches(r, query)),
                  key=lambda r: (r["timestamp"], r["partition"], r["offset"]))
    return kept[-query.limit:] if query.seek == "newest" else kept[:query.limit]


def cursor_of(positions: Mapping[int, int]) -> str:
    """``0:120,1:98``: where the next page starts per partition."""
    return ",".join(f"{p}:{o}" for p, o in sorted(positions.items()))


def parse_cursor(text: str) -> dict[int, int]:
    """The positions of a ``cursor_of`` text; ``ConfigurationError`` when it is not one."""
    try:
        return {int(p): int(o) for p, o in (part.split(":") for part in text.split(",") if part)}
    except ValueError as exc:
        raise ConfigurationError("cursor must look like 0:120,1:98") from exc

"""The partner's own version order of a fact (R21): one definition for the store and the rules.

A fact's record may carry ``bron_versie`` (schema ``BronVersie``): ``sleutel`` names the partner
record the fact is a version of, ``tijdstip``, ``volgnummer`` and ``document`` place the version
in the partner's own sequence (DUO: Tijdstip and Volgnummer; ISAM: versie; schools, banks and
the Kredietbank: the document date and file name), and ``corrigeert`` names the fact a
correction replaces. "The latest version" is the greatest ``version_key``; when the hub received
a fact never counts. Facts without ``bron_versie`` (the hub's own messages, ISI rows, facts
recorded before the field existed) are records of their own.

The message id is only the last element of the key, to make the order total: two versions of
one record with equal partner order are a partner error, and the content-derived id then picks
one deterministically (documented in each FORMAT.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
VersionKey = tuple[int, int, int, int, str, str]
T = TypeVar("T", bound=Mapping[str, Any])


def bron(record: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The record's ``bron_versie``, or None."""
    value = record.get("bron_versie")
    return value if isinstance(value, Mapping) else None


def record_key(record: Mapping[str, Any], message_id: str) -> str:
    """The partner record this fact is a version of (the message id when the partner names none)."""
    b = bron(record)
    return f"bron:{b['sleutel']}" if b and b.get("sleutel") else f"feit:{message_id}"


def version_key(record: Mapping[str, Any], message_id: str) -> VersionKey:
    """Where this version stands in the partner's order: (tijdstip, volgnummer, document)."""
    b = bron(record) or {}
    at, number = _millis(b.get("tijdstip")), b.get("volgnummer")
    return (0 if at is None else 1, at or 0, 0 if number is None else 1, int(number or 0),
            str(b.get("document") or ""), message_id)


def current(items: Iterable[tuple[str, T]]) -> list[tuple[str, T]]:
    """The latest version of each partner record, in version order.

    Versions with the same ``sleutel`` are one record; a version whose ``corrigeert`` names
    another fact belongs to that fact's record too (so a correction that changes the fields the
    ``sleutel`` is made of still replaces what it corrects).
    """
    listed = list(items)
    groups = _Groups([mid for mid, _ in listed])
    first_with: dict[str, str] = {}
    for mid, record in listed:
        key = record_key(record, mid)
        groups.union(mid, first_with.setdefault(key, mid))
        b = bron(record)
        if b and b.get("corrigeert"):
            groups.union(mid, str(b["corrigeert"]))
    latest: dict[str, tuple[VersionKey, tuple[str, T]]] = {}
    for mid, record in listed:  # each version's key made once (a projection asks per kind)
        root, order = groups.find(mid), version_key(record, mid)
        seen = latest.get(root)
        if seen is None or order > seen[0]:
            latest[root] = (order, (mid, record))
    return [item for _, item in sorted(latest.values(), key=lambda kept: kept[0])]


def ordered(items: Sequence[tuple[str, T]]) -> list[tuple[str, T]]:
    """Every version in version order."""
    return sorted(items, key=lambda item: version_key(item[1], item[0]))


def bron_versie(sleutel: str, *, tijdstip: datetime | date | None = None,
                volgnummer: int | None = None, document: str | None = None,
                corrigeert: str | None = None) -> dict[str, Any]:
    """A ``BronVersie`` record (connectors build theirs with this); a date becomes 00:00 UTC."""
    if isinstance(tijdstip, date) and not isinstance(tijdstip, datetime):
        tijdstip = datetime(tijdstip.year, tijdstip.month, tijdstip.day, tzinfo=UTC)
    return {"sleutel": sleutel, "tijdstip": tijdstip, "volgnummer": volgnummer,
            "document": document, "corrigeert": corrigeert}


def _millis(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return (aware - EPOCH) // timedelta(milliseconds=1)
    return int(value)


class _Groups:
    """Union-find over message ids (ids named only by ``corrigeert`` join lazily)."""

    def __init__(self, ids: Iterable[str]) -> None:
        self._parent = {i: i for i in ids}

    def find(self, item: str) -> str:
        parent = self._parent.setdefault(item, item)
        while parent != item:
            grand = self._parent[parent]
            self._parent[item] = grand
            item, parent = parent, grand
        return item

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)

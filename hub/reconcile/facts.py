"""A case's facts by kind, and the one version order every rule uses (R21).

Arrival order never decides anything: "the latest version" of a partner record is decided by
the partner's own order (``hub.versions``: DUO Tijdstip and Volgnummer, ISAM versie, document
dates), never by when the hub received it. Rules read ``current(kind)``: the latest version of
each partner record, so a corrected value replaces what it corrects in everything derived from
it. Any permutation or repetition of the same facts gives the same answer (principle 1).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from hub import versions
from hub.records import Fact

NS = "nl.inburgering.hub."
PLICHT = NS + "InburgeringsplichtVastgesteld"
KOPPELING = NS + "KoppelingGemeente"
VERHUIZING = NS + "Verhuizing"
PIP = NS + "PipVastgesteld"
TERMIJN = NS + "TermijnBesluit"
EXAMEN = NS + "Examenresultaat"
PVT = NS + "PvtVoldaan"
MAP = NS + "MapVoldaan"
ONTHEFFING = NS + "Ontheffing"
GESPREK = NS + "Gesprek"
VOORTGANG = NS + "Voortgang"
BEVESTIGING = NS + "AanmeldingBevestiging"
ONTZORGEN_BESLUIT = NS + "OntzorgenBesluit"
ONTZORGEN_EINDE = NS + "OntzorgenEinde"
PIB_PLAN = NS + "PibTrajectplan"
PIB_BUDGET = NS + "PibBudget"
PIB_VOUCHER = NS + "PibVoucher"
LEGACY_TRAJECT = NS + "LegacyTraject"
LBT = NS + "LbtResultaat"


Item = tuple[str, dict[str, Any]]
"""(message id, record): one fact as the rules see it."""


class CaseFacts:
    """Records of one case grouped by kind, each paired with its message id.

    The version orders are computed once per kind and kept (the rules ask for the same kind
    many times per projection); callers must treat the lists they get as read-only.
    """

    def __init__(self, facts: Iterable[Fact]) -> None:
        self._by_kind: dict[str, list[Item]] = defaultdict(list)
        self._count = 0
        for fact in facts:
            self._by_kind[fact.kind].append((fact.message_id, fact.record))
            self._count += 1
        self._ordered: dict[str, list[Item]] = {}
        self._current: dict[str, list[Item]] = {}

    @classmethod
    def from_items(cls, by_kind: Mapping[str, Sequence[Item]], count: int) -> CaseFacts:
        """Facts given per kind, of which ``count`` were told in all (``hub.reconcile.fold``
        keeps only the versions that decide the view of some kinds)."""
        cf = cls(())
        for kind, items in by_kind.items():
            cf._by_kind[kind].extend(items)
        cf._count = count
        return cf

    def records(self, kind: str) -> list[dict[str, Any]]:
        """Every version of every record of ``kind``, in version order."""
        return [r for _, r in self.with_ids(kind)]

    def with_ids(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        """(message id, record) of every version of ``kind``, in version order."""
        found = self._ordered.get(kind)
        if found is None:
            found = self._ordered[kind] = versions.ordered(self._by_kind.get(kind, ()))
        return list(found)

    def current(self, kind: str) -> list[dict[str, Any]]:
        """The latest version of each partner record of ``kind`` (R21), in version order."""
        return [r for _, r in self.current_with_ids(kind)]

    def current_with_ids(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        """(message id, record) of the latest version of each record of ``kind``."""
        found = self._current.get(kind)
        if found is None:
            found = self._current[kind] = versions.current(self._by_kind.get(kind, ()))
        return list(found)

    def count(self) -> int:
        """How many facts the case has."""
        return self._count


def latest_per(
    records: Sequence[dict[str, Any]], key: Callable[[dict[str, Any]], Any]
) -> list[dict[str, Any]]:
    """The last record per ``key`` (records already in version order)."""
    chosen: dict[Any, dict[str, Any]] = {}
    for record in records:
        chosen[key(record)] = record
    return list(chosen.values())


def iso(value: Any) -> str:
    """A date or timestamp as ISO text; anything else as str (None as '')."""
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


def as_date(value: Any) -> date:
    """A fact's date field (a ``date``; a ``datetime`` becomes its date)."""
    return value.date() if isinstance(value, datetime) else value

"""A case's facts by kind, and the one version order every rule uses (R21).

Arrival order never decides anything: "the latest version" of a partner record is decided by
the partner's own order (``hub.versions``: DUO Tijdstip and Volgnummer, ISAM versie, document
dates), never by when the hub received it. Rules read ``current(kind)``: the latest version of
each partner record, so a corrected value replaces what it corrects in everything derived from
it. Any permutation or repetition of the same facts gives the same answer (principle 1).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
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


class CaseFacts:
    """Records of one case grouped by kind, each paired with its message id."""

    def __init__(self, facts: Iterable[Fact]) -> None:
        self._by_kind: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        for fact in facts:
            self._by_kind[fact.kind].append((fact.message_id, fact.record))

    def records(self, kind: str) -> list[dict[str, Any]]:
        """Every version of every record of ``kind``, in version order."""
        return [r for _, r in self.with_ids(kind)]

    def with_ids(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        """(message id, record) of every version of ``kind``, in version order."""
        return versions.ordered(self._by_kind.get(kind, ()))

    def current(self, kind: str) -> list[dict[str, Any]]:
        """The latest version of each partner record of ``kind`` (R21), in version order."""
        return [r for _, r in self.current_with_ids(kind)]

    def current_with_ids(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        """(message id, record) of the latest version of each record of ``kind``."""
        return versions.current(self._by_kind.get(kind, ()))

    def count(self) -> int:
        """How many facts the case has."""
        return sum(len(v) for v in self._by_kind.values())


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

"""A case's facts by kind, and the one ordering every rule uses when a choice must be made.

Arrival order never decides anything: where a rule needs "the latest" or "the first" fact it
orders by the fact's own content (a business date, then ``produced_at``, then message id), so
any permutation or repetition of the same facts gives the same answer (R21, principle 1).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from hub.store import Fact

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
        """Every record of ``kind`` in version order (``produced_at``, message id)."""
        return [r for _, r in sorted(self._by_kind.get(kind, ()), key=_version)]

    def with_ids(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        """(message id, record) of ``kind`` in version order."""
        return sorted(self._by_kind.get(kind, ()), key=_version)

    def count(self) -> int:
        """How many facts the case has."""
        return sum(len(v) for v in self._by_kind.values())


def _version(item: tuple[str, dict[str, Any]]) -> tuple[str, str]:
    message_id, record = item
    return (iso(record.get("produced_at")), message_id)


def latest_per(
    records: Sequence[dict[str, Any]], key: Callable[[dict[str, Any]], Any]
) -> list[dict[str, Any]]:
    """The last version per ``key`` (records already in version order): corrections win."""
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

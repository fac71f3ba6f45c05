"""What needs action today: the report's first screen, in the ``ACTIONS`` column order.

Priorities, most pressing first: 1 new invoice exceptions (invoiced in the last ``NEW_DAYS``
days), 2 terugvorderingen (paid, no longer approved), 3 deadlines passed (one row per gemeente
and kind, the most overdue case named; the risk list has every case, most overdue first),
4 partners that went silent and refusals at the edge, 5 budget lines whose open commitments
exceed their budget. Every row is also in the section it comes from; the list stays small (a
week's exceptions, a row per gemeente and kind of deadline).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hub.report.budget import OVER_COMMITTED
from hub.report.columns import COMPLETENESS, EXCEPTIONS, LINES, RISKS, Row, euro_nl

NEW_DAYS = 7
NEW_EXCEPTION, RECLAIM, OVERDUE = "NIEUWE_UITZONDERING", "TERUGVORDEREN", "TERMIJN_VERSTREKEN"
EDGE, OVER_BUDGET = "PARTNER_STIL_OF_WEIGERING", OVER_COMMITTED


@dataclass
class Late:
    """Deadlines of one kind passed in one gemeente."""

    count: int
    days: int
    case_ref: str
    oldest: date


class Actions:
    """Builds the action rows while the sections are fed."""

    def __init__(self) -> None:
        self._late: dict[tuple[str, str], Late] = {}

    @staticmethod
    def exception(row: Row) -> Row | None:
        """A new exception: invoiced (or due) no more than ``NEW_DAYS`` days ago."""
        e = EXCEPTIONS.index
        days = row[e("dagen")]
        if days is None or days > NEW_DAYS:
            return None
        what = f"{row[e('leverancier')]} {row[e('factuurnummer')]} regel {row[e('regelnummer')]}"
        return (1, NEW_EXCEPTION, what, row[e("case_ref")], row[e("gemeente")],
                row[e("factuurdatum")], days, row[e("bedrag")],
                f"{row[e('beslissing')]} {row[e('reden')]}: {row[e('toelichting')]}")

    @staticmethod
    def reclaim(kenmerk: str, case_ref: str, gemeente: str, paid_on: date | None, days: int,
                cents: int, note: str) -> Row:
        """A terugvordering: paid on a booking that no longer stands."""
        return (2, RECLAIM, kenmerk, case_ref, gemeente, paid_on, days, cents, note)

    def risk(self, row: Row) -> None:
        """Remember a passed deadline (risk rows with days past their limit)."""
        r = RISKS.index
        days, limit = row[r("dagen")], row[r("uiterlijk")]
        if not days or limit is None:
            return
        key = (str(row[r("gemeente")]), str(row[r("risico")]))
        seen = self._late.get(key)
        if seen is None:
            self._late[key] = Late(1, days, row[r("case_ref")], limit)
            return
        seen.count += 1
        seen.oldest = min(seen.oldest, limit)
        if days > seen.days:
            seen.days, seen.case_ref = days, row[r("case_ref")]

    def overdue(self) -> list[Row]:
        """One row per gemeente and kind of passed deadline."""
        return [(3, OVERDUE, kind, late.case_ref, gemeente, late.oldest, late.days, None,
                 f"{late.count} {'zaak' if late.count == 1 else 'zaken'} over tijd, tot "
                 f"{late.days} dagen; de risicolijst "
                 "staat op urgentie")
                for (gemeente, kind), late in sorted(self._late.items())]

    @staticmethod
    def partner(row: Row) -> Row:
        """A silent partner or a group of edge refusals (a completeness row)."""
        c = COMPLETENESS.index
        count = row[c("aantal")]
        note = row[c("toelichting")] if count is None else \
            f"{count} stuks; {row[c('toelichting')]}; vindplaats {row[c('sleutel')]}"
        who = row[c("leverancier")] or row[c("sleutel")]  # silence names the system as key
        return (4, EDGE, f"{row[c('controle')]} {who}", None, None,
                row[c("datum")], row[c("dagen")], None, note)

    @staticmethod
    def budget_line(row: Row) -> Row | None:
        """A budget line whose open commitments exceed its budget."""
        b = LINES.index
        if row[b("signaal")] != OVER_COMMITTED:
            return None
        budget, committed = row[b("budget")], row[b("verplicht")]
        return (5, OVER_BUDGET, f"{row[b('post')]} {row[b('jaar')]} {row[b('kostenplaats')]}",
                None, row[b("gemeente")], None, None, committed - budget,
                f"verplicht {euro_nl(committed)} tegen budget {euro_nl(budget)}")

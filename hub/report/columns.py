"""The report's sections as tables: Dutch titles, typed columns, and how values are written.

Every section is one CSV, one XLSX sheet and one part of the HTML page, all from the same rows
(tuples in column order). Amounts travel as integer cents; only the writers turn them into
euros, so sums are exact everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from hub.spreadsheet import csv_text, csv_value

TEXT, INT, YEAR, EURO, DATE = "text", "int", "year", "euro", "date"
Row = tuple[Any, ...]


@dataclass(frozen=True)
class Column:
    """One column: its key (CSV header), Dutch label and kind (text, int, year, euro, date)."""

    key: str
    label: str
    kind: str = TEXT


@dataclass(frozen=True)
class Section:
    """One table of the report; ``group_by`` columns get counts and sums for the summaries."""

    key: str
    title: str
    sheet: str
    columns: tuple[Column, ...]
    group_by: tuple[str, ...] = ()
    amount: str | None = None  # the amount the groups add up
    # The HTML shows the rows first in ``rank`` (lowest first; ties: the earlier row), else the
    # first rows in order; ``sample_label`` says which ("grootste", "urgentste"). With
    # ``sorted_csv`` the CSV (and sheet) is in ``rank`` order too; ``sample_per`` keeps a sample
    # for each value of that column.
    rank: Callable[[Row], int] | None = None
    sample_label: str = "eerste"
    sorted_csv: bool = False
    sample_per: str | None = None

    def index(self, key: str) -> int:
        """Position of column ``key``; ``KeyError`` naming it when there is none."""
        for i, column in enumerate(self.columns):
            if column.key == key:
                return i
        raise KeyError(f"section {self.key} has no column {key!r}")

    def euro_columns(self) -> list[int]:
        """Positions of the amount columns (their totals tie out)."""
        return [i for i, c in enumerate(self.columns) if c.kind == EURO]


def _cols(*spec: tuple[str, str, str] | tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(*item) for item in spec)


BAND = 10**15  # rank bands: a rank is an int, lowest first; ties keep the earlier row


def _at(columns: tuple[Column, ...], key: str) -> int:
    return next(i for i, c in enumerate(columns) if c.key == key)


def _largest(columns: tuple[Column, ...], key: str) -> Callable[[Row], int]:
    """Rank: the largest ``key`` first."""
    i = _at(columns, key)
    return lambda row: -(row[i] or 0)


BUDGET_COLUMNS = _cols(
    ("gemeente", "Gemeente"), ("jaar", "Jaar", YEAR), ("zaken", "Zaken (peildatum)", INT),
    ("spuk_budget", "SPUK-budget", EURO), ("meegenomen", "Meegenomen uit vorig jaar", EURO),
    ("verplicht", "Verplicht (nog niet gefactureerd)", EURO),
    ("gefactureerd", "Gefactureerd", EURO), ("goedgekeurd", "Goedgekeurd", EURO),
    ("aangehouden", "Aangehouden", EURO), ("afgewezen", "Afgewezen en verschil", EURO),
    ("vouchers", "Vouchers goedgekeurd (R22)", EURO), ("betaald", "Betaald", EURO),
    ("besteed", "Besteed ten laste van SPUK", EURO), ("onbesteed", "Onbesteed", EURO),
    ("meeneem", "Mee naar volgend jaar (R16)", EURO),
    ("terugvordering", "Terug te betalen (R16)", EURO), ("status", "Status"))
BUDGET = Section("budget", "Budget per gemeente en jaar", "Budget", BUDGET_COLUMNS)

LINE_COLUMNS = _cols(
    ("gemeente", "Gemeente"), ("jaar", "Jaar", YEAR), ("post", "Post"),
    ("kostenplaats", "Kostenplaats"), ("kostensoort", "Kostensoort"),
    ("budget", "Budget", EURO), ("verplicht", "Verplicht (nog niet gefactureerd)", EURO),
    ("goedgekeurd", "Goedgekeurd", EURO), ("betaald", "Betaald", EURO),
    ("terug_te_vorderen", "Terug te vorderen (leverancier)", EURO),
    ("onbesteed", "Onbesteed (budget - goedgekeurd)", EURO), ("signaal", "Signaal"),
    ("toelichting", "Toelichting"))
OVER_COMMITTED, OVER_SPENT = "VERPLICHT_BOVEN_BUDGET", "UITPUTTING_BOVEN_BUDGET"


def line_urgency(row: Row) -> int:
    """Commitments over budget first, then spending and commitments over budget, then the
    rest (in gemeente, year and post order)."""
    return {OVER_COMMITTED: 0, OVER_SPENT: 1}.get(row[_at(LINE_COLUMNS, "signaal")], 2)


LINES = Section("begrotingsposten", "Begrotingsposten: per post en kostenplaats",
                "Begrotingsposten", LINE_COLUMNS, group_by=("post", "signaal"),
                amount="goedgekeurd", rank=line_urgency, sample_label="eerst gesignaleerde")

EXCEPTION_COLUMNS = _cols(
    ("case_ref", "Zaakreferentie"), ("leverancier", "Leverancier"),
    ("factuurnummer", "Factuurnummer"), ("regelnummer", "Regel"),
    ("documentsoort", "Documentsoort"), ("factuurdatum", "Factuurdatum", DATE),
    ("dienstdatum", "Dienstdatum", DATE), ("gemeente", "Gemeente"), ("jaar", "Jaar", YEAR),
    ("beslissing", "Beslissing"), ("reden", "Redencode"), ("regel", "Regel (R-id)"),
    ("gefactureerd", "Gefactureerd", EURO), ("goedgekeurd", "Goedgekeurd", EURO),
    ("bedrag", "Bedrag uitzondering", EURO), ("dagen", "Dagen oud", INT),
    ("ouderdom", "Ouderdom"), ("toelichting", "Toelichting"))
EXCEPTIONS = Section("uitzonderingen", "Factuuruitzonderingen", "Uitzonderingen",
                     EXCEPTION_COLUMNS, group_by=("reden", "ouderdom", "beslissing", "gemeente"),
                     amount="bedrag", rank=_largest(EXCEPTION_COLUMNS, "bedrag"),
                     sample_label="grootste")

MOVES = Section("verhuizingen", "Verhuizingen in de periode", "Verhuizingen", _cols(
    ("case_ref", "Zaakreferentie"), ("verhuisdatum", "Verhuisdatum", DATE),
    ("van", "Van gemeente"), ("naar", "Naar gemeente"), ("jaar", "Begrotingsjaar", YEAR),
    ("toegerekend_aan", "Budget toegerekend aan (R15)"), ("gevolg", "Gevolg")),
    group_by=("gevolg",))

RISK_COLUMNS = _cols(
    ("case_ref", "Zaakreferentie"), ("gemeente", "Gemeente"), ("risico", "Risico"),
    ("regel", "Regel (R-id)"), ("uiterlijk", "Uiterlijk", DATE),
    ("dagen", "Dagen na uiterlijk", INT), ("termijn_einde", "Einde termijn", DATE),
    ("toelichting", "Toelichting"))


def risk_urgency(row: Row) -> int:
    """Most urgent first (lowest): past the deadline, most days first; then deadlines still
    ahead, soonest first; then what has no deadline (afschalen possible)."""
    limit, late = row[_at(RISK_COLUMNS, "uiterlijk")], row[_at(RISK_COLUMNS, "dagen")] or 0
    if limit is None:
        return 2 * BAND
    return -late if late > 0 else BAND + limit.toordinal()


RISKS = Section("risicos", "Zaken met risico", "Risico", RISK_COLUMNS, group_by=("risico",),
                rank=risk_urgency, sample_label="urgentste", sorted_csv=True)

PIB_COLUMNS = _cols(
    ("case_ref", "Zaakreferentie"), ("gemeente", "Gemeente"), ("trajecten", "Trajecten", INT),
    ("budget", "Budget (R22)", EURO), ("bonus", "Bonusbudget", EURO),
    ("besteed", "Goedgekeurde facturen", EURO), ("restant", "Restant", EURO),
    ("vouchers", "Goedgekeurde vouchers", EURO))
PIB = Section("pib", "PIB-budgetten", "PIB", PIB_COLUMNS, amount="budget",
              rank=_largest(PIB_COLUMNS, "budget"), sample_label="grootste")

VOUCHERS = Section("vouchers", "Voucherregister (PIB)", "Vouchers", _cols(
    ("voucher_id", "Voucher"), ("case_ref", "Zaakreferentie"), ("traject", "PIB-traject"),
    ("gemeente", "Gemeente"), ("ontvanger", "Ontvanger"), ("vorm", "Vorm"),
    ("status", "Status"), ("statusdatum", "Statusdatum", DATE), ("waarde", "Waarde", EURO),
    ("beslissing", "Beslissing"), ("reden", "Redencode"),
    ("goedgekeurd", "Goedgekeurd", EURO)), group_by=("status", "beslissing"),
    amount="goedgekeurd")

COMPLETENESS = Section("volledigheid", "Volledigheid van de keten", "Volledigheid", _cols(
    ("controle", "Controle"), ("sleutel", "Kenmerk of vindplaats"),
    ("case_ref", "Zaakreferentie"), ("gemeente", "Gemeente"),
    ("leverancier", "Partner of leverancier"), ("datum", "Datum (oudste)", DATE),
    ("dagen", "Dagen", INT), ("bedrag", "Bedrag", EURO), ("aantal", "Aantal", INT),
    ("toelichting", "Toelichting")), group_by=("controle",), amount="bedrag")

RECLAIM_COLUMNS = _cols(
    ("case_ref", "Zaakreferentie"), ("leverancier", "Leverancier"),
    ("factuurnummer", "Factuurnummer"), ("regelnummer", "Regel"), ("gemeente", "Gemeente"),
    ("jaar", "Begrotingsjaar", YEAR), ("kostenplaats", "Kostenplaats"),
    ("boekingskenmerk", "Boekingskenmerk (betaald)"), ("tegenboeking", "Tegenboeking"),
    ("betaald_op", "Betaald op", DATE), ("tegengeboekt_op", "Tegengeboekt op", DATE),
    ("reden", "Redencode"), ("bedrag", "Terug te vorderen", EURO),
    ("toelichting", "Toelichting"))
RECLAIMS = Section("terugvorderingen", "Terugvorderingen: betaald, niet meer goedgekeurd",
                   "Terugvorderingen", RECLAIM_COLUMNS, group_by=("reden", "gemeente"),
                   amount="bedrag", rank=_largest(RECLAIM_COLUMNS, "bedrag"),
                   sample_label="grootste")

ACTION_COLUMNS = _cols(
    ("prioriteit", "Prioriteit", INT), ("actie", "Actie"), ("kenmerk", "Kenmerk"),
    ("case_ref", "Zaakreferentie"), ("gemeente", "Gemeente"), ("datum", "Datum", DATE),
    ("dagen", "Dagen", INT), ("bedrag", "Bedrag", EURO), ("toelichting", "Toelichting"))


BY_DAYS = frozenset({3, 4})  # priorities ranked by days (overdue, silent); the others by amount


def action_urgency(row: Row) -> int:
    """By priority; within it the most days (overdue deadlines, silent partners) or the
    largest amount (new exceptions, reclaims, commitments over budget)."""
    days = row[_at(ACTION_COLUMNS, "dagen")] or 0
    amount = abs(row[_at(ACTION_COLUMNS, "bedrag")] or 0)
    return row[0] * BAND - (days if row[0] in BY_DAYS else min(amount, BAND - 1))


ACTIONS = Section("acties", "Vandaag: wat actie vraagt", "Acties", ACTION_COLUMNS,
                  group_by=("actie",), amount="bedrag", rank=action_urgency,
                  sample_label="urgentste", sorted_csv=True, sample_per="actie")

SECTIONS = (ACTIONS, BUDGET, LINES, EXCEPTIONS, RECLAIMS, MOVES, RISKS, PIB, VOUCHERS,
            COMPLETENESS)
BY_KEY = {s.key: s for s in SECTIONS}


def euro_text(cents: int) -> str:
    """Cents as a plain decimal euro amount for CSV (``-1234.50``)."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def euro_nl(cents: int) -> str:
    """Cents as a Dutch euro amount for people (``€ -1.234,50``)."""
    sign = "-" if cents < 0 else ""
    whole = f"{abs(cents) // 100:,}".replace(",", ".")
    return f"€ {sign}{whole},{abs(cents) % 100:02d}"


def cell_text(kind: str, value: Any) -> str:
    """A value as CSV text: empty for None, ISO dates, euros from cents, text formula-safe
    (``hub.spreadsheet``: ``=HYPERLINK(..)`` is written ``'=HYPERLINK(..)``)."""
    if value is None:
        return ""
    if kind == EURO:
        return euro_text(int(value))
    if kind == DATE:
        return value.isoformat() if isinstance(value, date) else str(value)
    if kind == TEXT:
        return csv_text(str(value))
    return str(value)


def parse_cell(kind: str, text: str) -> Any:
    """CSV text back to its typed value (cents for amounts); None for an empty cell."""
    if text == "":
        return None
    if kind in (INT, YEAR):
        return int(text)
    if kind == EURO:
        sign = -1 if text.startswith("-") else 1
        whole, _, frac = text.lstrip("-").partition(".")
        return sign * (int(whole) * 100 + int(frac or 0))
    if kind == DATE:
        return date.fromisoformat(text)
    return csv_value(text) if kind == TEXT else text

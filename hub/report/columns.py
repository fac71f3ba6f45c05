"""The report's sections as tables: Dutch titles, typed columns, and how values are written.

Every section is one CSV, one XLSX sheet and one part of the HTML page, all from the same rows
(tuples in column order). Amounts travel as integer cents; only the writers turn them into
euros, so sums are exact everywhere.
"""

from __future__ import annotations

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
    largest: bool = False  # the HTML shows the rows largest in ``amount``, else the first ones

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


BUDGET = Section("budget", "Budget per gemeente en jaar", "Budget", _cols(
    ("gemeente", "Gemeente"), ("jaar", "Jaar", YEAR), ("zaken", "Zaken (peildatum)", INT),
    ("spuk_budget", "SPUK-budget", EURO), ("meegenomen", "Meegenomen uit vorig jaar", EURO),
    ("verplicht", "Verplicht", EURO), ("gefactureerd", "Gefactureerd", EURO),
    ("goedgekeurd", "Goedgekeurd", EURO), ("aangehouden", "Aangehouden", EURO),
    ("afgewezen", "Afgewezen en verschil", EURO), ("betaald", "Betaald", EURO),
    ("onbesteed", "Onbesteed", EURO), ("meeneem", "Mee naar volgend jaar (R16)", EURO),
    ("terugvordering", "Terug te betalen (R16)", EURO), ("status", "Status")))

EXCEPTIONS = Section("uitzonderingen", "Factuuruitzonderingen", "Uitzonderingen", _cols(
    ("case_ref", "Zaakreferentie"), ("leverancier", "Leverancier"),
    ("factuurnummer", "Factuurnummer"), ("regelnummer", "Regel"),
    ("documentsoort", "Documentsoort"), ("factuurdatum", "Factuurdatum", DATE),
    ("dienstdatum", "Dienstdatum", DATE), ("gemeente", "Gemeente"), ("jaar", "Jaar", YEAR),
    ("beslissing", "Beslissing"), ("reden", "Redencode"), ("regel", "Regel (R-id)"),
    ("gefactureerd", "Gefactureerd", EURO), ("goedgekeurd", "Goedgekeurd", EURO),
    ("bedrag", "Bedrag uitzondering", EURO), ("dagen", "Dagen oud", INT),
    ("ouderdom", "Ouderdom"), ("toelichting", "Toelichting")),
    group_by=("reden", "ouderdom", "beslissing", "gemeente"), amount="bedrag", largest=True)

MOVES = Section("verhuizingen", "Verhuizingen in de periode", "Verhuizingen", _cols(
    ("case_ref", "Zaakreferentie"), ("verhuisdatum", "Verhuisdatum", DATE),
    ("van", "Van gemeente"), ("naar", "Naar gemeente"), ("jaar", "Begrotingsjaar", YEAR),
    ("toegerekend_aan", "Budget toegerekend aan (R15)"), ("gevolg", "Gevolg")),
    group_by=("gevolg",))

RISKS = Section("risicos", "Zaken met risico", "Risico", _cols(
    ("case_ref", "Zaakreferentie"), ("gemeente", "Gemeente"), ("risico", "Risico"),
    ("regel", "Regel (R-id)"), ("uiterlijk", "Uiterlijk", DATE),
    ("dagen", "Dagen na uiterlijk", INT), ("termijn_einde", "Einde termijn", DATE),
    ("toelichting", "Toelichting")), group_by=("risico",))

PIB = Section("pib", "PIB-budgetten", "PIB", _cols(
    ("case_ref", "Zaakreferentie"), ("gemeente", "Gemeente"), ("trajecten", "Trajecten", INT),
    ("budget", "Budget (R22)", EURO), ("bonus", "Bonusbudget", EURO),
    ("besteed", "Goedgekeurde facturen", EURO), ("restant", "Restant", EURO),
    ("vouchers", "Goedgekeurde vouchers", EURO)), amount="budget", largest=True)

VOUCHERS = Section("vouchers", "Voucherregister (PIB)", "Vouchers", _cols(
    ("voucher_id", "Voucher"), ("case_ref", "Zaakreferentie"), ("traject", "PIB-traject"),
    ("gemeente", "Gemeente"), ("ontvanger", "Ontvanger"), ("vorm", "Vorm"),
    ("status", "Status"), ("statusdatum", "Statusdatum", DATE), ("waarde", "Waarde", EURO),
    ("beslissing", "Beslissing"), ("reden", "Redencode"),
    ("goedgekeurd", "Goedgekeurd", EURO)), group_by=("status", "beslissing"),
    amount="goedgekeurd")

COMPLETENESS = Section("volledigheid", "Volledigheid van de keten", "Volledigheid", _cols(
    ("controle", "Controle"), ("sleutel", "Kenmerk"), ("case_ref", "Zaakreferentie"),
    ("gemeente", "Gemeente"), ("leverancier", "Leverancier"), ("datum", "Datum", DATE),
    ("dagen", "Dagen", INT), ("bedrag", "Bedrag", EURO), ("aantal", "Aantal", INT),
    ("toelichting", "Toelichting")), group_by=("controle",), amount="bedrag")

SECTIONS = (BUDGET, EXCEPTIONS, MOVES, RISKS, PIB, VOUCHERS, COMPLETENESS)
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

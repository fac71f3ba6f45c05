"""The XLSX workbook: a summary sheet of formulas, then one sheet per section from its CSV.

Cells are typed (numbers, euro amounts with a number format, dates); every sheet has a frozen,
filterable header repeated on printed pages, prints A4 landscape one page wide, and ends with a
``Totaal`` row of ``SUM`` formulas; the summary ties the sheets together with formulas. Every
formula carries its cached value (``hub.report.workbook``), so a viewer that does not
recalculate shows the figures too. The workbook is streamed (write-only mode) and its
properties and zip entry times come from the report date: same input, same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from openpyxl.utils import get_column_letter

from hub.compat import WriteOnlyWorksheet
from hub.report.columns import (
    BUDGET,
    COMPLETENESS,
    DATE,
    EXCEPTIONS,
    SECTIONS,
    Section,
)
from hub.report.csvs import Tally, read_rows
from hub.report.sections import UNPAID
from hub.report.workbook import Book, bold, cell, euros, evaluate, table_sheet
from hub.spreadsheet import text_cell

SUMMARY = "Samenvatting"


def write_workbook(path: Path, csvs: Mapping[str, Path], tally: Tally, day: date,
                   gemeente: str | None) -> Path:
    """Write the workbook for the section CSVs to ``path`` (atomically); the path."""
    book = Book(f"Aansluitrapport {day.isoformat()}", datetime.combine(day, time()))
    _summary(book, tally, day, gemeente)
    for section in SECTIONS:
        table_sheet(book, section.sheet, section.columns, read_rows(section, csvs[section.key]))
    return book.save(path)


def total_cell(section: Section, column: str, count: int) -> str:
    """Where a sheet's total of ``column`` is: ``Sheet!X<n>``."""
    return f"{section.sheet}!{get_column_letter(section.index(column) + 1)}{count + 2}"


def _range(section: Section, column: str, count: int) -> str:
    letter = get_column_letter(section.index(column) + 1)
    return f"{section.sheet}!{letter}2:{letter}{max(count + 1, 2)}"


def _summary(book: Book, tally: Tally, day: date, gemeente: str | None) -> None:
    """Key figures as formulas over the section sheets, with the report's own value beside."""
    ws: WriteOnlyWorksheet = book.sheet(SUMMARY)
    for letter, width in (("A", 60), ("B", 20), ("C", 20)):
        ws.column_dimensions[letter].width = width
    ws.append([bold(ws, t) for t in ("Onderdeel", "Werkmap (formule)", "Rapport (waarde)")])
    ws.append([text_cell(ws, "Rapportdatum"), cell(ws, DATE, day), None])
    ws.append([text_cell(ws, "Gemeente"), text_cell(ws, gemeente or "alle gemeenten"), None])
    lines = summary_lines(tally)
    refs = {key: f"B{n}" for n, (key, *_) in enumerate(lines, start=SUMMARY_FIRST_ROW)}
    values: dict[str, Decimal] = {}
    for n, (key, label, formula, value) in enumerate(lines, start=SUMMARY_FIRST_ROW):
        # a reference or SUMIF over the sheets is the report's own figure; an aansluiting
        # line is the sum of the lines it names
        values[key] = evaluate(formula, values) if "{" in formula else euros(value)
        ws.append([text_cell(ws, label),
                   book.formula(ws, f"B{n}", formula.format(**refs), values[key]),
                   cell(ws, "euro", value)])


SUMMARY_FIRST_ROW = 4


def summary_lines(tally: Tally) -> list[tuple[str, str, str, int]]:
    """(key, label, formula, value) of the summary sheet; ``{key}`` in a formula is the cell of
    that line. The two ``aansluiting`` lines are 0 when the sheets tie out."""
    b, e, c = (tally.counts[s.key] for s in (BUDGET, EXCEPTIONS, COMPLETENESS))
    held = tally.groups[EXCEPTIONS.key]["beslissing"].get("AANGEHOUDEN", [0, 0])[1]
    unpaid = tally.groups[COMPLETENESS.key]["controle"].get(UNPAID, [0, 0])[1]
    exc_b, exc_e = _range(EXCEPTIONS, "beslissing", e), _range(EXCEPTIONS, "bedrag", e)
    com_a, com_h = _range(COMPLETENESS, "controle", c), _range(COMPLETENESS, "bedrag", c)
    lines = [(key, label, f"={total_cell(BUDGET, key, b)}", tally.total(BUDGET, key))
             for label, key in (("SPUK-budget", "spuk_budget"), ("Verplicht", "verplicht"),
                                ("Gefactureerd", "gefactureerd"), ("Goedgekeurd", "goedgekeurd"),
                                ("Aangehouden", "aangehouden"),
                                ("Afgewezen en verschil", "afgewezen"),
                                ("Vouchers goedgekeurd (R22)", "vouchers"), ("Betaald", "betaald"),
                                ("Besteed ten laste van SPUK", "besteed"),
                                ("Mee naar volgend jaar (R16)", "meeneem"),
                                ("Terug te betalen (R16)", "terugvordering"))]
    lines += [
        ("uitzonderingen", "Uitzonderingen: som bedrag",
         f"={total_cell(EXCEPTIONS, 'bedrag', e)}", tally.total(EXCEPTIONS, "bedrag")),
        ("sluit_uitz", "Aansluiting: gefactureerd - goedgekeurd - uitzonderingen (0)",
         "={gefactureerd}-{goedgekeurd}-{uitzonderingen}", 0),
        ("uitz_aangehouden", "Uitzonderingen aangehouden",
         f'=SUMIF({exc_b},"AANGEHOUDEN",{exc_e})', held),
        ("sluit_aangehouden", "Aansluiting: aangehouden - uitzonderingen aangehouden (0)",
         "={aangehouden}-{uitz_aangehouden}", 0),
        ("onbetaald", "Boekingen zonder betaling", f'=SUMIF({com_a},"{UNPAID}",{com_h})', unpaid),
    ]
    return lines

"""The XLSX workbook: a summary sheet of formulas, then one sheet per section from its CSV.

Cells are typed (numbers, euro amounts with a number format, dates, and text always as string
cells, so a partner's ``=HYPERLINK(..)`` stays text: ``hub.spreadsheet``); every sheet ends with a
``Totaal`` row of ``SUM`` formulas and the summary ties the sheets together with formulas, so a
controller sees the tie-out recalculated in Excel. The workbook is streamed (write-only mode)
and its properties and zip entry times come from the report date: same input, same bytes.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.writer.excel import ExcelWriter

from hub.report.columns import (
    BUDGET,
    COMPLETENESS,
    DATE,
    EURO,
    EXCEPTIONS,
    INT,
    SECTIONS,
    YEAR,
    Section,
)
from hub.report.csvs import Tally, partial_path, read_rows
from hub.report.sections import UNPAID
from hub.spreadsheet import text_cell

EURO_FORMAT, DATE_FORMAT = "#,##0.00", "yyyy-mm-dd"
SUMMARY = "Samenvatting"
WIDTHS = {"text": 18, "int": 10, "year": 8, "euro": 16, "date": 12}
BOLD = Font(bold=True)


def write_workbook(path: Path, csvs: Mapping[str, Path], tally: Tally, day: date,
                   gemeente: str | None) -> Path:
    """Write the workbook for the section CSVs to ``path`` (atomically); the path."""
    wb = Workbook(write_only=True)
    stamp = datetime.combine(day, time())
    wb.properties.creator = wb.properties.lastModifiedBy = "inburgering-hub"
    wb.properties.title = f"Aansluitrapport {day.isoformat()}"
    wb.properties.created = stamp
    _summary(wb.create_sheet(SUMMARY), tally, day, gemeente)
    for section in SECTIONS:
        _section(wb.create_sheet(section.sheet), section, csvs[section.key])
    raw = partial_path(path.with_name(path.name + ".raw"))
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        wb.properties.modified = stamp
        ExcelWriter(wb, archive).save()
    _restamp(raw, path, stamp)
    return path


def _section(ws: WriteOnlyWorksheet, section: Section, csv_path: Path) -> None:
    for i, column in enumerate(section.columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(
            WIDTHS[column.kind], min(len(column.label) + 2, 40))
    ws.freeze_panes = "A2"
    ws.append([_bold(ws, c.label) for c in section.columns])
    kinds = [c.kind for c in section.columns]
    count = 0
    for row in read_rows(section, csv_path):
        ws.append([_cell(ws, kind, value) for kind, value in zip(kinds, row, strict=True)])
        count += 1
    ws.append(_totals(ws, section, count))


def _totals(ws: WriteOnlyWorksheet, section: Section, count: int) -> list[Any]:
    """``Totaal`` then ``=SUM(..)`` under every amount column (0 when the sheet is empty)."""
    cells: list[Any] = [None] * len(section.columns)
    cells[0] = _bold(ws, "Totaal")
    for i in section.euro_columns():
        letter = get_column_letter(i + 1)
        formula = f"=SUM({letter}2:{letter}{count + 1})" if count else 0
        cells[i] = _styled(ws, formula, EURO_FORMAT, bold=True)
    return cells


def total_cell(section: Section, column: str, count: int) -> str:
    """Where a sheet's total of ``column`` is: ``Sheet!X<n>``."""
    return f"{section.sheet}!{get_column_letter(section.index(column) + 1)}{count + 2}"


def _range(section: Section, column: str, count: int) -> str:
    letter = get_column_letter(section.index(column) + 1)
    return f"{section.sheet}!{letter}2:{letter}{max(count + 1, 2)}"


def _summary(ws: WriteOnlyWorksheet, tally: Tally, day: date, gemeente: str | None) -> None:
    """Key figures as formulas over the section sheets, with the report's own value beside."""
    for letter, width in (("A", 60), ("B", 20), ("C", 20)):
        ws.column_dimensions[letter].width = width
    ws.append([_bold(ws, t) for t in ("Onderdeel", "Werkmap (formule)", "Rapport (waarde)")])
    ws.append([text_cell(ws, "Rapportdatum"), _cell(ws, DATE, day), None])
    ws.append([text_cell(ws, "Gemeente"), text_cell(ws, gemeente or "alle gemeenten"), None])
    lines = summary_lines(tally)
    refs = {key: f"B{n}" for n, (key, *_) in enumerate(lines, start=SUMMARY_FIRST_ROW)}
    for _, label, formula, value in lines:
        ws.append([text_cell(ws, label), _styled(ws, formula.format(**refs), EURO_FORMAT),
                   _cell(ws, EURO, value)])


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
                                ("Afgewezen en verschil", "afgewezen"), ("Betaald", "betaald"),
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


def _cell(ws: WriteOnlyWorksheet, kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == EURO:
        return _styled(ws, Decimal(int(value)) / 100, EURO_FORMAT)
    if kind == DATE:
        return _styled(ws, value, DATE_FORMAT)
    return int(value) if kind in (INT, YEAR) else text_cell(ws, str(value))


def _styled(ws: WriteOnlyWorksheet, value: Any, fmt: str, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = fmt
    if bold:
        cell.font = BOLD
    return cell


def _bold(ws: WriteOnlyWorksheet, value: str) -> WriteOnlyCell:
    cell = text_cell(ws, value)
    cell.font = BOLD
    return cell


def _restamp(raw: Path, path: Path, stamp: datetime) -> None:
    """Copy the zip with every entry dated ``stamp`` (openpyxl uses the clock), then rename."""
    part = partial_path(path)
    when = stamp.timetuple()[:6]
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED,
                                                       allowZip64=True) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            with src.open(info) as reader, dst.open(entry, "w") as writer:
                shutil.copyfileobj(reader, writer, 1 << 20)
    raw.unlink()
    os.replace(part, path)

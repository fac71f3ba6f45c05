"""Workbook plumbing shared by the nightly report and the yearly account (openpyxl, streamed).

Text is always a string cell (``hub.spreadsheet.text_cell``: partner text never becomes a
formula); only the hub's own totals are formulas.

* ``table_sheet``: a sheet of typed rows under a bold header with number formats, frozen
  header, autofilter over the data, the header repeated on every printed page, A4 landscape
  fitted to one page wide, and a ``Totaal`` row of ``SUM`` formulas.
* ``save``: writes the zip with every entry dated by the report date (same input, same bytes)
  and gives every formula its **cached value**. openpyxl writes formulas without a value
  (``<v></v>``), so a viewer that does not recalculate shows blanks; we know each value (the
  sums of what we wrote, the figures of the report), so we write it into the sheet XML as
  Excel would. The workbook also keeps openpyxl's ``fullCalcOnLoad``, so Excel and LibreOffice
  recalculate on opening: a cached value and the recalculated one agree (tested).
"""

from __future__ import annotations

import ast
import operator
import os
import re
import shutil
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.writer.excel import ExcelWriter

from hub.compat import WriteOnlyWorksheet
from hub.errors import ConfigurationError
from hub.report.columns import DATE, EURO, INT, YEAR, Column
from hub.report.csvs import partial_path
from hub.spreadsheet import text_cell

EURO_FORMAT, DATE_FORMAT, INT_FORMAT, YEAR_FORMAT = "#,##0.00", "yyyy-mm-dd", "#,##0", "0"
WIDTHS = {"text": 18, "int": 10, "year": 8, "euro": 16, "date": 12}
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
Cached = dict[str, dict[str, Decimal]]  # zip entry -> cell -> value of its formula


def euros(cents: int) -> Decimal:
    """Cents as the euro amount a cell holds."""
    return Decimal(int(cents)) / 100


class Book:
    """A streamed workbook and the cached values of the formulas written into it."""

    def __init__(self, title: str, stamp: datetime) -> None:
        self.wb = Workbook(write_only=True)
        self.stamp = stamp
        self.cached: Cached = {}
        self.wb.properties.creator = self.wb.properties.lastModifiedBy = "inburgering-hub"
        self.wb.properties.title = title
        self.wb.properties.created = stamp

    def sheet(self, title: str) -> WriteOnlyWorksheet:
        """A new sheet set up for A4 landscape, one page wide."""
        ws = self.wb.create_sheet(title)
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = "9"  # A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        return ws

    def formula(self, ws: WriteOnlyWorksheet, ref: str, formula: str, value: Decimal,
                fmt: str = EURO_FORMAT, bold: bool = False) -> WriteOnlyCell:
        """A formula cell at ``ref`` whose value is ``value`` (written as its cached value)."""
        self.cached.setdefault(_entry(self.wb, ws), {})[ref] = value
        return styled(ws, formula, fmt, bold)

    def save(self, path: Path) -> Path:
        """Write ``path`` atomically: dated entries, cached formula values."""
        raw = partial_path(path.with_name(path.name + ".raw"))
        with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            self.wb.properties.modified = self.stamp
            ExcelWriter(self.wb, archive).save()
        _restamp(raw, path, self.stamp, self.cached)
        return path


def table_sheet(book: Book, title: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]],
                totals: bool = True) -> int:
    """Header, typed rows, autofilter and (with ``totals``) a ``Totaal`` row; the row count."""
    ws = book.sheet(title)
    for i, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(
            WIDTHS[column.kind], min(len(column.label) + 2, 40))
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    ws.append([header(ws, c.label) for c in columns])
    sums = [0] * len(columns)
    count = 0
    for row in rows:
        ws.append([cell(ws, c.kind, v) for c, v in zip(columns, row, strict=True)])
        for i, c in enumerate(columns):
            if c.kind == EURO:
                sums[i] += int(row[i] or 0)
        count += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    if totals:
        line: list[Any] = [None] * len(columns)
        line[0] = bold(ws, "Totaal")
        for i, c in enumerate(columns):
            if c.kind != EURO:
                continue
            letter = get_column_letter(i + 1)
            line[i] = (book.formula(ws, f"{letter}{count + 2}", f"=SUM({letter}2:{letter}"
                                    f"{count + 1})", euros(sums[i]), bold=True)
                       if count else styled(ws, 0, EURO_FORMAT, True))
        ws.append(line)
    return count


def cell(ws: WriteOnlyWorksheet, kind: str, value: Any) -> Any:
    """A typed cell: euros from cents, dates, whole numbers, text."""
    if value is None:
        return None
    if kind == EURO:
        return styled(ws, euros(value), EURO_FORMAT)
    if kind == DATE:
        return styled(ws, value, DATE_FORMAT)
    if kind == INT:
        return styled(ws, int(value), INT_FORMAT)
    if kind == YEAR:
        return styled(ws, int(value), YEAR_FORMAT)
    return text_cell(ws, str(value))  # a string cell, whatever it starts with


def styled(ws: WriteOnlyWorksheet, value: Any, fmt: str, bold: bool = False) -> WriteOnlyCell:
    """A cell with a number format (bold for totals)."""
    c = WriteOnlyCell(ws, value=value)
    c.number_format = fmt
    if bold:
        c.font = BOLD
    return c


def bold(ws: WriteOnlyWorksheet, value: str) -> WriteOnlyCell:
    """A bold text cell."""
    c = text_cell(ws, value)
    c.font = BOLD
    return c


def header(ws: WriteOnlyWorksheet, value: str) -> WriteOnlyCell:
    """A bold, wrapping header cell."""
    c = bold(ws, value)
    c.alignment = WRAP
    return c


_OPS: Mapping[type, Callable[[Any, Any], Any]] = {ast.Add: operator.add, ast.Sub: operator.sub}


def evaluate(expression: str, values: Mapping[str, Decimal]) -> Decimal:
    """The value of ``{a}-({b}+{c})``: names of ``values``, plus, minus and parentheses."""
    text = re.sub(r"\{(\w+)\}", lambda m: f"v_{m.group(1)}", expression.lstrip("="))

    def walk(node: ast.AST) -> Decimal:
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return Decimal(_OPS[type(node.op)](walk(node.left), walk(node.right)))
        if isinstance(node, ast.Name) and node.id.startswith("v_"):
            return values[node.id[2:]]
        raise ConfigurationError(f"not a sum of figures: {expression!r}")
    return walk(ast.parse(text, mode="eval").body)


def _entry(wb: Workbook, ws: WriteOnlyWorksheet) -> str:
    """The zip entry of a sheet: openpyxl numbers them in creation order from 1."""
    return f"xl/worksheets/sheet{wb.worksheets.index(ws) + 1}.xml"


FORMULA = re.compile(rb'<c r="([A-Z]+[0-9]+)"([^>]*)><f>([^<]*)</f><v\s*/?>(?:</v>)?</c>')
CHUNK = 1 << 20


def _restamp(raw: Path, path: Path, stamp: datetime, cached: Cached) -> None:
    """Copy the zip with every entry dated ``stamp`` (openpyxl uses the clock) and the cached
    formula values filled in, then rename."""
    part = partial_path(path)
    when = stamp.timetuple()[:6]
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED,
                                                       allowZip64=True) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            values = cached.get(info.filename)
            with src.open(info) as reader, dst.open(entry, "w") as writer:
                if values:
                    _fill(reader, writer, values, info.filename)
                else:
                    shutil.copyfileobj(reader, writer, CHUNK)
    raw.unlink()
    os.replace(part, path)


def _fill(reader: Any, writer: Any, values: Mapping[str, Decimal], name: str) -> None:
    """Stream a sheet, writing each known formula's value into its empty ``<v>``; a cell is
    never split, as only text up to the last complete ``</c>`` is rewritten at a time."""
    left = dict(values)

    def put(match: re.Match[bytes]) -> bytes:
        ref = match.group(1).decode()
        if ref not in left:
            return match.group(0)
        value = left.pop(ref)
        return (b'<c r="' + match.group(1) + b'"' + match.group(2) + b"><f>" + match.group(3)
                + b"</f><v>" + format(value, "f").encode() + b"</v></c>")

    carry = b""
    while chunk := reader.read(CHUNK):
        data = carry + chunk
        cut = data.rfind(b"</c>") + 4 if b"</c>" in data else 0
        writer.write(FORMULA.sub(put, data[:cut]))
        carry = data[cut:]
    writer.write(FORMULA.sub(put, carry))
    if left:
        raise ConfigurationError(f"{name}: no formula cell at {', '.join(sorted(left))}")

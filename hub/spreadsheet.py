"""One rule for every CSV and XLSX the hub writes: partner text never becomes a formula.

**CSV.** A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
written with an apostrophe in front (``=HYPERLINK("x")`` becomes ``'=HYPERLINK("x")``), so
Excel, LibreOffice and Google Sheets show it as text instead of evaluating it (OWASP "CSV
injection"). A plain number (``-12.50``, ``+31``) is left alone: it is not a formula. A text cell
that already starts with an apostrophe gets a second one, so the rule can be undone exactly:
strip one leading apostrophe (``csv_value``).

**XLSX.** Every text cell is written as a string cell (``text_cell``), never as a formula,
whatever it starts with; only the hub's own totals are formulas. No apostrophe is added.

Writers use ``csv_writer`` (a ``csv.writer`` that applies the rule to every ``str`` cell) or
``csv_text`` for one cell; the report's own reader undoes it with ``csv_value``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def csv_text(value: str) -> str:
    """``value`` as a formula-safe CSV cell."""
    if value.startswith(QUOTE) or (value.startswith(TRIGGERS) and not _NUMBER.fullmatch(value)):
        return QUOTE + value
    return value


def csv_value(text: str) -> str:
    """The value a formula-safe CSV cell stands for (``csv_text`` undone)."""
    return text[1:] if text.startswith(QUOTE) else text


def safe_row(row: Iterable[Any]) -> list[Any]:
    """Every ``str`` cell through ``csv_text``; numbers, dates and None as they are."""
    return [csv_text(cell) if isinstance(cell, str) else cell for cell in row]


class SafeWriter:
    """``csv.writer`` with the formula rule applied to every text cell."""

    def __init__(self, handle: IO[str], **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        """Write one row."""
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write many rows."""
        for row in rows:
            self.writerow(row)


def csv_writer(handle: IO[str], **options: Any) -> SafeWriter:
    """A formula-safe ``csv.writer`` on ``handle`` (same options as ``csv.writer``)."""
    return SafeWriter(handle, **options)


def text_cell(ws: WriteOnlyWorksheet, value: str) -> WriteOnlyCell:
    """An XLSX cell that holds ``value`` as a string, even when it starts with ``=``."""
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    return cell

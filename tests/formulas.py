"""An independent evaluator of the formulas the report writes (``SUM``, ``SUMIF``, cell and
sheet references, plus and minus), over the cells of a workbook as openpyxl reads them: what
Excel would compute, to compare with the cached values a non-recalculating viewer shows."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from openpyxl.utils import column_index_from_string

REF = re.compile(r"(?:(\w+)!)?\$?([A-Z]{1,3})\$?(\d+)")
RANGE = r"(?:\w+!)?\$?[A-Z]{1,3}\$?\d+:\$?[A-Z]{1,3}\$?\d+"
SUMIF = re.compile(rf'SUMIF\(({RANGE}),"([^"]*)",({RANGE})\)')
SUM = re.compile(rf"SUM\(({RANGE})\)")
ARITHMETIC = re.compile(r"[\d.\s+\-()]+")


def evaluate(wb: Any, sheet: str, formula: str) -> Decimal:
    """The value of ``formula`` (``=...``) on ``sheet`` of ``wb`` (loaded with formulas)."""
    expr = formula[1:]
    expr = SUMIF.sub(lambda m: _text(_sumif(wb, sheet, m.group(1), m.group(2), m.group(3))),
                     expr)
    expr = SUM.sub(lambda m: _text(sum(_cells(wb, sheet, m.group(1)), Decimal(0))), expr)
    expr = REF.sub(lambda m: _text(value(wb, m.group(1) or sheet, f"{m.group(2)}{m.group(3)}")),
                   expr)
    assert ARITHMETIC.fullmatch(expr), f"cannot evaluate {formula!r} ({expr!r})"
    return Decimal(str(eval(expr, {"__builtins__": {}}))).quantize(Decimal("0.01"))


def value(wb: Any, sheet: str, ref: str) -> Decimal:
    """A cell's number, evaluating it first when it is a formula (empty is 0)."""
    raw = wb[sheet][ref].value
    if isinstance(raw, str) and raw.startswith("="):
        return evaluate(wb, sheet, raw)
    return Decimal(str(raw or 0))


def _text(number: Decimal) -> str:
    return f"({number})"


def _split(sheet: str, cells: str) -> tuple[str, str, int, int, int]:
    name, _, span = cells.rpartition("!")
    first, last = span.replace("$", "").split(":")
    a, b = REF.fullmatch(first), REF.fullmatch(last)
    assert a and b
    col = column_index_from_string(a.group(2))
    assert col == column_index_from_string(b.group(2)), "one column per range"
    return name or sheet, a.group(2), col, int(a.group(3)), int(b.group(3))


def _cells(wb: Any, sheet: str, cells: str) -> list[Decimal]:
    name, letter, _, first, last = _split(sheet, cells)
    return [value(wb, name, f"{letter}{n}") for n in range(first, last + 1)]


def _sumif(wb: Any, sheet: str, test: str, criterion: str, add: str) -> Decimal:
    name, letter, _, first, last = _split(sheet, test)
    tested = [wb[name][f"{letter}{n}"].value for n in range(first, last + 1)]
    amounts = _cells(wb, sheet, add)
    return sum((a for t, a in zip(tested, amounts, strict=True) if t == criterion), Decimal(0))

"""Pieces of the HTML page: the stylesheet (screen and A4-landscape print), tables, numbers.

Print keeps every column: a table wider than ``PRINT_COLUMNS`` is printed as consecutive
parts, each repeating the section's key columns (``PRINT_KEYS``), and long text wraps; on
screen the table is one. Header rows repeat on every printed page (``thead``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from hub.report.columns import DATE, EURO, INT, Row, Section, euro_nl

PRINT_COLUMNS = 10
PRINT_KEYS = {"budget": 2, "begrotingsposten": 3, "uitzonderingen": 1, "acties": 2,
              "volledigheid": 1, "vouchers": 2}
STYLE = """
body{font-family:sans-serif;margin:24px;color:#1b1b1b;max-width:1400px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;margin-top:32px;border-bottom:2px solid
#1f5f8b;padding-bottom:4px}h3{font-size:15px}p.meta{color:#444;margin:2px 0}
nav.toc{margin:10px 0;font-size:13px}nav.toc a{margin-right:12px;color:#1f5f8b}
.tiles{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}.tile{border:1px solid #ccd;
border-radius:6px;padding:10px 14px;min-width:170px}.tile b{display:block;font-size:18px}
table{border-collapse:collapse;margin:8px 0;font-size:12px}th,td{border:1px solid #ccd;
padding:3px 6px}th{background:#eef2f7;text-align:left}td.n{text-align:right;white-space:nowrap}
.ok{color:#2e7d32;font-weight:bold}.nok{color:#b03a2e;font-weight:bold}.charts{display:flex;
flex-wrap:wrap;gap:24px}.note{color:#555;font-size:12px}tr.flag td{background:#fbeaea}
.print{display:none}dl.notes dt{font-weight:bold;margin-top:6px}dl.notes dd{margin-left:16px}
@page{size:A4 landscape;margin:10mm}
@media print{
body{margin:0;max-width:none;font-size:9pt}.screen{display:none}.print{display:block}
h2{font-size:13pt;margin-top:14pt;break-after:avoid}h3{break-after:avoid}
table{font-size:7pt;break-inside:auto}table.data{width:100%}thead{display:table-header-group}
tr{break-inside:avoid}th,td{padding:1px 3px}td{overflow-wrap:anywhere}
.charts{display:block}.charts svg{max-width:100%;height:auto}.tile{min-width:0;padding:4px 8px}
nav.toc a{color:#1b1b1b;text-decoration:none}table.part{margin-bottom:4pt}
}
"""


def table(section: Section, rows: Sequence[Row], flag: str | None = None) -> str:
    """The section's rows as one table on screen and, when wide, in parts for print; rows
    whose ``flag`` column has a value are marked."""
    columns = list(range(len(section.columns)))
    parts = print_parts(section)
    if len(parts) == 1:
        return _table(section, rows, columns, flag)
    printed = "".join(_table(section, rows, part, flag, "part") for part in parts)
    return (f'<div class="screen">{_table(section, rows, columns, flag)}</div>'
            f'<div class="print">{printed}</div>')


def print_parts(section: Section) -> list[list[int]]:
    """Column positions per printed part: the key columns, then at most ``PRINT_COLUMNS``."""
    n = len(section.columns)
    if n <= PRINT_COLUMNS:
        return [list(range(n))]
    keys = PRINT_KEYS.get(section.key, 1)
    rest = list(range(keys, n))
    size = PRINT_COLUMNS - keys
    count = -(-len(rest) // size)
    per = -(-len(rest) // count)  # even parts
    return [list(range(keys)) + rest[i:i + per] for i in range(0, len(rest), per)]


def _table(section: Section, rows: Sequence[Row], at: Sequence[int], flag: str | None,
           css: str = "") -> str:
    cols = [section.columns[i] for i in at]
    head = "".join(f"<th>{escape(c.label)}</th>" for c in cols)
    marker = section.index(flag) if flag else None
    body = "".join(
        ('<tr class="flag">' if marker is not None and row[marker] else "<tr>")
        + "".join(td(c.kind, row[i]) for c, i in zip(cols, at, strict=True)) + "</tr>"
        for row in rows)
    klass = f"data {css}".strip()
    return f'<table class="{klass}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def td(kind: str, value: Any) -> str:
    """One cell: amounts and counts right-aligned, dates dd-mm-jjjj."""
    if value is None:
        return "<td></td>"
    if kind == EURO:
        return f"<td class=n>{euro_nl(int(value))}</td>"
    if kind == INT:
        return f"<td class=n>{number(int(value))}</td>"
    if kind == DATE:
        return f"<td>{value.day:02d}-{value.month:02d}-{value.year}</td>"
    return f"<td>{escape(str(value))}</td>"


def number(value: int) -> str:
    """``12.345``."""
    return f"{value:,}".replace(",", ".")


def simple_table(head: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    """A small table of ready cells (``<td>`` markup) under escaped headers."""
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(cells) + "</tr>" for cells in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def labels(section: Section) -> list[str]:
    """The column labels of a section (what a printed page must show)."""
    return [c.label for c in section.columns]


"""The HTML report: one self-contained page (inline CSS and SVG, no scripts, no external
assets) with Dutch labels, for a controller's browser.

It shows the key figures, the tie-out between sections, the whole budget table, and per other
section its groups and a bounded sample of rows (the largest or the first ones); the complete
lists are in the CSVs and the workbook, which the page names.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import date
from html import escape
from pathlib import Path
from typing import Any

from hub.report import svg
from hub.report.columns import (
    BUDGET,
    COMPLETENESS,
    DATE,
    EURO,
    EXCEPTIONS,
    INT,
    MOVES,
    PIB,
    RISKS,
    VOUCHERS,
    Row,
    Section,
    euro_nl,
)
from hub.report.csvs import Tally, partial_path
from hub.report.sections import AGING_LABELS, UNPAID

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december")
STYLE = """
body{font-family:sans-serif;margin:24px;color:#1b1b1b;max-width:1400px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;margin-top:32px;border-bottom:2px solid
#1f5f8b;padding-bottom:4px}h3{font-size:15px}p.meta{color:#444;margin:2px 0}
.tiles{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}.tile{border:1px solid #ccd;
border-radius:6px;padding:10px 14px;min-width:170px}.tile b{display:block;font-size:18px}
table{border-collapse:collapse;margin:8px 0;font-size:12px}th,td{border:1px solid #ccd;
padding:3px 6px}th{background:#eef2f7;text-align:left}td.n{text-align:right;white-space:nowrap}
.ok{color:#2e7d32;font-weight:bold}.nok{color:#b03a2e;font-weight:bold}.charts{display:flex;
flex-wrap:wrap;gap:24px}.note{color:#555;font-size:12px}
"""


def dutch_date(day: date) -> str:
    """``30 juni 2025``."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def write_html(path: Path, page: str) -> Path:
    """Write the page atomically; the path."""
    part = partial_path(path)
    part.write_text(page, encoding="utf-8")
    os.replace(part, path)
    return path


def render(tally: Tally, budget: Sequence[Row], *, day: date, gemeente: str | None,
           since: date, files: Sequence[str]) -> str:
    """The whole page."""
    title = f"Aansluitrapport inburgering {dutch_date(day)}"
    scope = f"gemeente {gemeente}" if gemeente else "alle gemeenten"
    body = [f"<h1>{escape(title)}</h1>",
            f'<p class="meta">Rapportdatum {dutch_date(day)} &middot; {escape(scope)} &middot; '
            f"verhuizingen vanaf {dutch_date(since)} &middot; bedragen in euro</p>",
            _tiles(tally), _tieout(tally, budget), _budget(tally, budget),
            _exceptions(tally), _section(tally, MOVES, "gevolg"),
            _section(tally, RISKS, "risico", chart=True), _section(tally, PIB),
            _section(tally, VOUCHERS, "status"),
            _section(tally, COMPLETENESS, "controle", chart=True), _files(files)]
    return (f'<!DOCTYPE html>\n<html lang="nl"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _tiles(tally: Tally) -> str:
    items = [("SPUK-budget", euro_nl(tally.total(BUDGET, "spuk_budget"))),
             ("Gefactureerd", euro_nl(tally.total(BUDGET, "gefactureerd"))),
             ("Goedgekeurd", euro_nl(tally.total(BUDGET, "goedgekeurd"))),
             ("Betaald", euro_nl(tally.total(BUDGET, "betaald"))),
             ("Factuuruitzonderingen", f"{_int(tally.counts[EXCEPTIONS.key])} regels"),
             ("Risicosignalen", _int(tally.counts[RISKS.key])),
             ("Bevindingen volledigheid", _int(tally.counts[COMPLETENESS.key]))]
    return '<div class="tiles">' + "".join(
        f'<div class="tile">{escape(label)}<b>{escape(value)}</b></div>'
        for label, value in items) + "</div>"


def tieouts(tally: Tally, budget: Sequence[Row]) -> list[tuple[str, int, int]]:
    """(check, left, right) pairs that must be equal when the sections tie out; per gemeente
    one line for all of them, plus a line for each gemeente that does not tie out."""
    t = {c.key: tally.total(BUDGET, c.key) for c in BUDGET.columns if c.kind == EURO}
    held = tally.groups[EXCEPTIONS.key]["beslissing"].get("AANGEHOUDEN", [0, 0])[1]
    unpaid = tally.groups[COMPLETENESS.key]["controle"].get(UNPAID, [0, 0])[1]
    checks = [
        ("Gefactureerd = goedgekeurd + aangehouden + afgewezen en verschil", t["gefactureerd"],
         t["goedgekeurd"] + t["aangehouden"] + t["afgewezen"]),
        ("Gefactureerd - goedgekeurd = som factuuruitzonderingen",
         t["gefactureerd"] - t["goedgekeurd"], tally.total(EXCEPTIONS, "bedrag")),
        ("Aangehouden = uitzonderingen met beslissing AANGEHOUDEN", t["aangehouden"], held),
        ("Goedgekeurd = betaald + boekingen zonder betaling", t["goedgekeurd"],
         t["betaald"] + unpaid)]
    per_gemeente: dict[str, int] = {}
    billed, approved = BUDGET.index("gefactureerd"), BUDGET.index("goedgekeurd")
    for row in budget:
        per_gemeente[row[0]] = per_gemeente.get(row[0], 0) + row[billed] - row[approved]
    exceptions = {code: v[1] for code, v in tally.groups[EXCEPTIONS.key]["gemeente"].items()}
    codes = sorted(set(per_gemeente) | set(exceptions))
    checks.append((f"Per gemeente ({len(codes)}): gefactureerd - goedgekeurd = uitzonderingen",
                   sum(per_gemeente.values()), sum(exceptions.values())))
    checks += [(f"Gemeente {code}: gefactureerd - goedgekeurd = uitzonderingen",
                per_gemeente.get(code, 0), exceptions.get(code, 0)) for code in codes
               if per_gemeente.get(code, 0) != exceptions.get(code, 0)]
    return checks


def _tieout(tally: Tally, budget: Sequence[Row]) -> str:
    rows = []
    for label, left, right in tieouts(tally, budget):
        ok = left == right
        rows.append(f"<tr><td>{escape(label)}</td><td class=n>{euro_nl(left)}</td>"
                    f"<td class=n>{euro_nl(right)}</td><td class=n>{euro_nl(left - right)}</td>"
                    f'<td class="{"ok" if ok else "nok"}">{"sluit" if ok else "sluit niet"}'
                    "</td></tr>")
    return ("<h2>Aansluiting tussen de onderdelen</h2><table><tr><th>Controle</th>"
            "<th>Links</th><th>Rechts</th><th>Verschil</th><th>Uitkomst</th></tr>"
            + "".join(rows) + "</table>")


def _budget(tally: Tally, budget: Sequence[Row]) -> str:
    years: dict[int, list[int]] = {}
    at = [BUDGET.index(key) for key in ("spuk_budget", "goedgekeurd", "betaald")]
    for row in budget:
        totals = years.setdefault(row[BUDGET.index("jaar")], [0, 0, 0])
        for i, column in enumerate(at):
            totals[i] += row[column]
    cats = [str(y) for y in sorted(years)]
    series = [(name, svg.COLORS[i], [years[y][i] for y in sorted(years)])
              for i, name in enumerate(("SPUK-budget", "Goedgekeurd", "Betaald"))]
    chart = svg.grouped("Budget, goedgekeurd en betaald per jaar", cats, series, euro_nl)
    return (f"<h2>{BUDGET.title}</h2><p class=note>Peildatum-toerekening (R15), "
            "meeneemregeling tot 100% van het jaarbudget (R16); het lopende jaar is voorlopig."
            f"</p><div class=charts>{chart}</div>" + _table(BUDGET, budget))


def _exceptions(tally: Tally) -> str:
    groups = tally.groups[EXCEPTIONS.key]
    aging = [(label, groups["ouderdom"].get(label, [0, 0])[1]) for label in AGING_LABELS]
    reasons = sorted(groups["reden"].items(), key=lambda kv: (-kv[1][1], str(kv[0])))
    charts = (svg.bars("Bedrag naar ouderdom (dagen)", aging, euro_nl)
              + svg.bars("Bedrag per redencode (grootste 10)",
                         [(str(k), v[1]) for k, v in reasons[:10]], euro_nl, svg.COLORS[1]))
    return (f"<h2>{EXCEPTIONS.title}</h2><div class=charts>{charts}</div>"
            + _groups(EXCEPTIONS, tally, "reden", "Redencode")
            + _groups(EXCEPTIONS, tally, "ouderdom", "Ouderdom", order=AGING_LABELS)
            + _sample(tally, EXCEPTIONS))


def _section(tally: Tally, section: Section, group: str | None = None,
             chart: bool = False) -> str:
    parts = [f"<h2>{escape(section.title)}</h2>"]
    if group and chart:
        counts = sorted(tally.groups[section.key][group].items(), key=lambda kv: str(kv[0]))
        parts.append("<div class=charts>" + svg.bars(
            f"Aantal per {group}", [(str(k), v[0]) for k, v in counts], _int,
            svg.COLORS[2]) + "</div>")
    if group:
        parts.append(_groups(section, tally, group, group.capitalize()))
    parts.append(_sample(tally, section))
    return "".join(parts)


def _groups(section: Section, tally: Tally, column: str, label: str,
            order: Sequence[str] | None = None) -> str:
    found: Mapping[Any, list[int]] = tally.groups[section.key][column]
    keys = list(order) if order else sorted(found, key=str)
    rows = []
    for key in keys:
        count, amount = found.get(key, [0, 0])
        money = f"<td class=n>{euro_nl(amount)}</td>" if section.amount else ""
        rows.append(f"<tr><td>{escape(str(key))}</td><td class=n>{_int(count)}</td>{money}</tr>")
    head = "<th>Bedrag</th>" if section.amount else ""
    return (f"<table><tr><th>{escape(label)}</th><th>Aantal</th>{head}</tr>{''.join(rows)}"
            "</table>")


def _sample(tally: Tally, section: Section) -> str:
    rows, count = tally.sample(section), tally.counts[section.key]
    how = "grootste" if section.largest else "eerste"
    note = (f"<p class=note>{_int(count)} regels; hieronder de {how} {_int(len(rows))}. "
            "De volledige lijst staat in de CSV en de werkmap.</p>") if count > len(rows) else \
        f"<p class=note>{_int(count)} regels.</p>"
    return note + (_table(section, rows) if rows else "")


def _table(section: Section, rows: Sequence[Row]) -> str:
    head = "".join(f"<th>{escape(c.label)}</th>" for c in section.columns)
    body = "".join("<tr>" + "".join(_td(c.kind, v) for c, v in zip(section.columns, row,
                                                                    strict=True)) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _td(kind: str, value: Any) -> str:
    if value is None:
        return "<td></td>"
    if kind == EURO:
        return f"<td class=n>{euro_nl(int(value))}</td>"
    if kind == INT:
        return f"<td class=n>{_int(int(value))}</td>"
    if kind == DATE:
        return f"<td>{value.day:02d}-{value.month:02d}-{value.year}</td>"
    return f"<td>{escape(str(value))}</td>"


def _int(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _files(files: Sequence[str]) -> str:
    items = "".join(f"<li>{escape(name)}</li>" for name in files)
    return f"<h2>Bestanden</h2><p class=note>Naast deze pagina geschreven:</p><ul>{items}</ul>"

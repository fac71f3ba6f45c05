"""The HTML report: one self-contained page (inline CSS and SVG, no scripts, no external
assets) with Dutch labels, for a controller's browser and printer (A4 landscape).

It opens with what needs action today, a linked table of contents, the key figures and the
tie-out between sections; then the whole budget table and per other section its groups and a
bounded sample of rows (the largest, most urgent or first ones); the complete lists are in the
CSVs and the workbook, which the page names. Its notes define the figures.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import date
from html import escape
from pathlib import Path
from typing import Any

from hub.report import svg
from hub.report.actions import NEW_DAYS
from hub.report.columns import (
    ACTIONS,
    BUDGET,
    COMPLETENESS,
    EXCEPTIONS,
    LINES,
    MOVES,
    PIB,
    RECLAIMS,
    RISKS,
    VOUCHERS,
    Row,
    Section,
    euro_nl,
)
from hub.report.csvs import Tally, partial_path
from hub.report.htmlkit import STYLE, number, simple_table, table
from hub.report.sections import AGING_LABELS
from hub.report.tieout import tieouts

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december")
TIEOUT, FILES, NOTES = "aansluiting", "bestanden", "toelichting"
CONTENTS = ((ACTIONS.key, "Vandaag"), ("kerncijfers", "Kerncijfers"), (TIEOUT, "Aansluiting"),
            (BUDGET.key, "Budget"), (LINES.key, "Begrotingsposten"),
            (EXCEPTIONS.key, "Uitzonderingen"), (RECLAIMS.key, "Terugvorderingen"),
            (MOVES.key, "Verhuizingen"),
            (RISKS.key, "Risico's"), (PIB.key, "PIB"), (VOUCHERS.key, "Vouchers"),
            (COMPLETENESS.key, "Volledigheid"), (NOTES, "Toelichting"), (FILES, "Bestanden"))
DEFINITIONS = (
    ("Verplicht (nog niet gefactureerd)",
     "per aanmelding leerroute de ingekochte uren maal de uurprijs van het contract op de "
     "startdatum (R9), min wat van die school sindsdien is goedgekeurd; vervallen zodra de "
     "plicht is beëindigd (R4, R24); bij de gemeente die op de rapportdatum verantwoordelijk "
     "is (R17), in het jaar van de aanmelding of van de overname. Kredietbank en PIB kennen "
     "geen verplichting."),
    ("Besteed ten laste van SPUK",
     "goedgekeurde regels op de post leerroute (kostenplaats soort taal). Kredietbank "
     "(financieel ontzorgen: uitvoeringskosten uit het gemeentefonds) en PIB (WI-budget, R22) "
     "zijn wel goedgekeurd en betaald, maar geen SPUK-besteding. Begeleiding, tolken, PVT en "
     "MAP hebben een SPUK-budget; hun besteding loopt niet via de hub."),
    ("Onbesteed, mee naar volgend jaar, terug te betalen (R16)",
     "SPUK-budget plus het meegenomen bedrag min de SPUK-besteding; tot 100% van het eigen "
     "jaarbudget gaat mee, de rest is terug te betalen aan het Rijk. Het lopende jaar is "
     "voorlopig."),
    ("Terug te vorderen (leverancier)",
     "betaald op een boeking die later is vervallen (storno). Zonder het effectenregister "
     "(issue 15) staat elke boeking nog: dan is dit 0 en staat een betaling op een onbekend "
     "kenmerk bij de volledigheid als betaling zonder boeking."),
    ("Signalen bij begrotingsposten",
     "VERPLICHT_BOVEN_BUDGET: de open verplichtingen zijn hoger dan het budget van de post; "
     "UITPUTTING_BOVEN_BUDGET: goedgekeurd plus verplicht is hoger dan het budget."),
    ("Vandaag",
     f"nieuwe uitzonderingen (factuurdatum in de laatste {NEW_DAYS} dagen), "
     "terugvorderingen, verstreken termijnen (per gemeente en soort, de meest verstreken zaak "
     "genoemd), stille partners en weigeringen aan de rand, en verplichtingen boven budget."),
    ("Weigeringen aan de rand",
     "bestanden in quarantaine (per school en het financiële systeem), dode brieven per topic "
     "uit de tabel dead_letter van de store, en afgewezen ISI-regels (*.rejects.csv): aantal, "
     "de oudste en de vindplaats. Ze zijn niet aan een gemeente toe te rekenen en staan in "
     "elk gemeenterapport."),
)


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
            _contents(), _actions(tally), _tiles(tally), _tieout(tally, budget),
            _budget(budget), _section(tally, LINES, "signaal", flag="signaal"),
            _exceptions(tally), _section(tally, RECLAIMS, "reden"),
            _section(tally, MOVES, "gevolg"),
            _section(tally, RISKS, "risico", chart=True), _section(tally, PIB),
            _section(tally, VOUCHERS, "status"),
            _section(tally, COMPLETENESS, "controle", chart=True), _notes(), _files(files)]
    return (f'<!DOCTYPE html>\n<html lang="nl"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _contents() -> str:
    links = "".join(f'<a href="#{key}">{escape(label)}</a>' for key, label in CONTENTS)
    return f'<nav class="toc" aria-label="Inhoud">Inhoud: {links}</nav>'


def _h2(key: str, title: str) -> str:
    return f'<h2 id="{key}">{escape(title)}</h2>'


def _actions(tally: Tally) -> str:
    count = tally.counts[ACTIONS.key]
    if not count:
        return _h2(ACTIONS.key, ACTIONS.title) + "<p>Niets dat vandaag actie vraagt.</p>"
    return (_h2(ACTIONS.key, ACTIONS.title) + _groups(ACTIONS, tally, "actie", "Actie")
            + _sample(tally, ACTIONS))


def _tiles(tally: Tally) -> str:
    items = [("SPUK-budget", euro_nl(tally.total(BUDGET, "spuk_budget"))),
             ("Verplicht", euro_nl(tally.total(BUDGET, "verplicht"))),
             ("Gefactureerd", euro_nl(tally.total(BUDGET, "gefactureerd"))),
             ("Goedgekeurd", euro_nl(tally.total(BUDGET, "goedgekeurd"))),
             ("Betaald", euro_nl(tally.total(BUDGET, "betaald"))),
             ("Terug te vorderen", euro_nl(tally.total(LINES, "terug_te_vorderen"))),
             ("Factuuruitzonderingen", f"{number(tally.counts[EXCEPTIONS.key])} regels"),
             ("Risicosignalen", number(tally.counts[RISKS.key])),
             ("Bevindingen volledigheid", number(tally.counts[COMPLETENESS.key]))]
    return _h2("kerncijfers", "Kerncijfers") + '<div class="tiles">' + "".join(
        f'<div class="tile">{escape(label)}<b>{escape(value)}</b></div>'
        for label, value in items) + "</div>"


def _tieout(tally: Tally, budget: Sequence[Row]) -> str:
    rows = []
    for label, left, right in tieouts(tally, budget):
        ok = left == right
        rows.append([f"<td>{escape(label)}</td>", f"<td class=n>{euro_nl(left)}</td>",
                     f"<td class=n>{euro_nl(right)}</td>",
                     f"<td class=n>{euro_nl(left - right)}</td>",
                     f'<td class="{"ok" if ok else "nok"}">{"sluit" if ok else "sluit niet"}'
                     "</td>"])
    return (_h2(TIEOUT, "Aansluiting tussen de onderdelen")
            + simple_table(("Controle", "Links", "Rechts", "Verschil", "Uitkomst"), rows))


def _budget(budget: Sequence[Row]) -> str:
    years: dict[int, list[int]] = {}
    at = [BUDGET.index(key) for key in ("spuk_budget", "goedgekeurd", "betaald")]
    for row in budget:
        if any(row[i] for i in at):  # years with money only: the chart stays readable
            totals = years.setdefault(row[BUDGET.index("jaar")], [0, 0, 0])
            for i, column in enumerate(at):
                totals[i] += row[column]
    cats = [str(y) for y in sorted(years)]
    series = [(name, svg.COLORS[i], [years[y][i] for y in sorted(years)])
              for i, name in enumerate(("SPUK-budget", "Goedgekeurd", "Betaald"))]
    chart = svg.grouped("Budget, goedgekeurd en betaald per jaar", cats, series, euro_nl)
    return (_h2(BUDGET.key, BUDGET.title) + "<p class=note>Peildatum-toerekening (R15), "
            "meeneemregeling tot 100% van het jaarbudget (R16) over de SPUK-besteding; het "
            "lopende jaar is voorlopig. Zie de toelichting.</p>"
            f"<div class=charts>{chart}</div>" + table(BUDGET, budget))


def _exceptions(tally: Tally) -> str:
    groups = tally.groups[EXCEPTIONS.key]
    aging = [(label, groups["ouderdom"].get(label, [0, 0])[1]) for label in AGING_LABELS]
    reasons = sorted(groups["reden"].items(), key=lambda kv: (-kv[1][1], str(kv[0])))
    charts = (svg.bars("Bedrag naar ouderdom (dagen)", aging, euro_nl)
              + svg.bars("Bedrag per redencode (grootste 10)",
                         [(str(k), v[1]) for k, v in reasons[:10]], euro_nl, svg.COLORS[1]))
    return (_h2(EXCEPTIONS.key, EXCEPTIONS.title) + f"<div class=charts>{charts}</div>"
            + _groups(EXCEPTIONS, tally, "reden", "Redencode")
            + _groups(EXCEPTIONS, tally, "ouderdom", "Ouderdom", order=AGING_LABELS)
            + _sample(tally, EXCEPTIONS))


def _section(tally: Tally, section: Section, group: str | None = None, chart: bool = False,
             flag: str | None = None) -> str:
    parts = [_h2(section.key, section.title)]
    if group and chart:
        counts = sorted(tally.groups[section.key][group].items(), key=lambda kv: str(kv[0]))
        parts.append("<div class=charts>" + svg.bars(
            f"Aantal per {group}", [(str(k), v[0]) for k, v in counts], number,
            svg.COLORS[2]) + "</div>")
    if group:
        parts.append(_groups(section, tally, group, group.capitalize()))
    parts.append(_sample(tally, section, flag))
    return "".join(parts)


def _groups(section: Section, tally: Tally, column: str, label: str,
            order: Sequence[str] | None = None) -> str:
    found: Mapping[Any, list[int]] = tally.groups[section.key][column]
    keys = list(order) if order else sorted(found, key=lambda k: (k is None, str(k)))
    rows = []
    for key in keys:
        count, amount = found.get(key, [0, 0])
        money = [f"<td class=n>{euro_nl(amount)}</td>"] if section.amount else []
        rows.append([f"<td>{escape('(geen)' if key is None else str(key))}</td>",
                     f"<td class=n>{number(count)}</td>", *money])
    head = [label, "Aantal", *(["Bedrag"] if section.amount else [])]
    return simple_table(head, rows)


def _sample(tally: Tally, section: Section, flag: str | None = None) -> str:
    rows, count = tally.sample(section), tally.counts[section.key]
    per = f" per {section.sample_per}" if section.sample_per else ""
    note = (f"<p class=note>{number(count)} regels; hieronder de {section.sample_label} "
            f"{number(len(rows))}{per}. De volledige lijst staat in de CSV en de werkmap.</p>"
            ) if count > len(rows) else f"<p class=note>{number(count)} regels.</p>"
    return note + (table(section, rows, flag) if rows else "")


def _notes() -> str:
    items = "".join(f"<dt>{escape(term)}</dt><dd>{escape(text)}</dd>"
                    for term, text in DEFINITIONS)
    return _h2(NOTES, "Toelichting") + f'<dl class="notes">{items}</dl>'


def _files(files: Sequence[str]) -> str:
    items = "".join(f"<li>{escape(name)}</li>" for name in files)
    return (_h2(FILES, "Bestanden") + "<p class=note>Naast deze pagina geschreven:</p>"
            f"<ul>{items}</ul>")

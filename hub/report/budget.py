"""Budget per gemeente and year (R14, R15, R16): SPUK budget, commitments, invoices, payments.

The SPUK budget of a gemeente for a year is, for every case the view attributes to it on that
year's peildatum (``budget_toerekening``, R15), the sum of the rate table's posts for the case's
doelgroep in force that year (R14), plus the onderwijsroute supplement once, in the first year
the case is attributed anywhere. Years after the report's year get no budget yet.

R16, the meeneemregeling: what is left of a year's budget plus what came with it from the year
before may go to the next year up to 100% of that year's own budget; the rest is reclaimed.
The report's own year is still running, so its figures are provisional (status ``lopend``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

import topics
from hub.reconcile.model import AANGEHOUDEN
from hub.reconcile.tables import Tables
from hub.report.columns import Row

POSTS = ("leerroute", "begeleiding", "tolken", "pvt", "map")
SUPPLEMENT = "onderwijsroute_aanvulling"
UNKNOWN = "onbekend"
CLOSED, RUNNING = "afgesloten", "lopend"


@dataclass
class YearTotals:
    """Running totals of one gemeente in one begrotingsjaar, in cents."""

    zaken: int = 0
    spuk: int = 0
    verplicht: int = 0
    gefactureerd: int = 0
    goedgekeurd: int = 0
    aangehouden: int = 0
    betaald: int = 0


def year_of(decision: Mapping[str, Any]) -> int:
    """The begrotingsjaar of a decision; lines naming no case have only a service date."""
    year = decision.get("begrotingsjaar")
    return int(year) if year else int(str(decision["dienstdatum"])[:4])


def gemeente_of(decision: Mapping[str, Any]) -> str:
    """The gemeente a decision is booked on (R17), or ``onbekend``."""
    return str(decision.get("gemeentecode") or UNKNOWN)


class BudgetBook:
    """Totals per (gemeente, year), fed case by case; ``rows`` applies R16 at the end."""

    def __init__(self, tables: Tables, day: date) -> None:
        self._tables = tables
        self._day = day
        self._years: dict[tuple[str, int], YearTotals] = {}
        self._rates: dict[tuple[str, int, bool], int] = {}

    def at(self, gemeente: str, year: int) -> YearTotals:
        """The totals of one gemeente and year (created empty)."""
        key = (gemeente, year)
        found = self._years.get(key)
        if found is None:
            found = self._years[key] = YearTotals()
        return found

    def attribute(self, view: Mapping[str, Any]) -> None:
        """R15: count the case and its SPUK budget for each year up to the report's year."""
        toerekening = view.get("budget_toerekening") or {}
        years = sorted(int(y) for y in toerekening)
        onderwijs = (view.get("route") or {}).get("leerroute") == "ONDERWIJS"
        for year in years:
            if year > self._day.year:
                continue
            totals = self.at(str(toerekening[str(year)]), year)
            totals.zaken += 1
            totals.spuk += self.rate(str(view.get("doelgroep")), year,
                                     onderwijs and year == years[0])

    def rate(self, doelgroep: str, year: int, supplement: bool) -> int:
        """R14: the SPUK amount for one person of ``doelgroep`` in ``year`` (cents)."""
        key = (doelgroep, year, supplement)
        if key not in self._rates:
            day = date(year, 1, 1)
            posts = (*POSTS, SUPPLEMENT) if supplement else POSTS
            self._rates[key] = sum(self._tables.spuk(doelgroep, post, day) or 0 for post in posts)
        return self._rates[key]

    def commit(self, view: Mapping[str, Any]) -> None:
        """Commitments: each aanmelding leerroute's hours bought times the contract's hourly
        price on its start date (R9), on the aanmelding's gemeente and start year."""
        for item in view.get("uitgaand") or ():
            if item.get("topic") != topics.AANMELDING_LEERROUTE:
                continue
            r = item["record"]
            start = r["startdatum"]
            start = start if isinstance(start, date) else date.fromisoformat(str(start))
            price = self._tables.contract_price(str(r["taalaanbieder"]), str(r["leerroute"]),
                                                start)
            hours = int(r.get("ingekochte_uren") or 0)
            totals = self.at(str(r.get("gemeentecode") or UNKNOWN), start.year)
            totals.verplicht += hours * price.prijs_per_uur_cent if price else 0

    def invoice_line(self, decision: Mapping[str, Any]) -> None:
        """An invoice line's amounts on its gemeente and begrotingsjaar."""
        totals = self.at(gemeente_of(decision), year_of(decision))
        billed = int(decision.get("gefactureerd_cent") or 0)
        totals.gefactureerd += billed
        totals.goedgekeurd += int(decision.get("goedgekeurd_cent") or 0)
        if decision.get("beslissing") == AANGEHOUDEN:
            totals.aangehouden += billed

    def rows(self, only: str | None = None) -> list[Row]:
        """One row per gemeente and year (every year between a gemeente's first and last)."""
        by_gemeente: dict[str, list[int]] = {}
        for gemeente, year in self._years:
            by_gemeente.setdefault(gemeente, []).append(year)
        rows: list[Row] = []
        for gemeente in sorted(by_gemeente):
            if only is not None and gemeente != only:
                continue
            years = by_gemeente[gemeente]
            span = range(min(years), max(years) + 1)
            rows.extend(carry_over(gemeente, [(y, self._years.get((gemeente, y), YearTotals()))
                                              for y in span], self._day.year))
        return rows

    def totals(self) -> YearTotals:
        """All gemeenten and years added up."""
        return add_up(self._years.values())


def carry_over(gemeente: str, years: Iterable[tuple[int, YearTotals]], current: int) -> list[Row]:
    """R16 over consecutive years of one gemeente: rows in the ``BUDGET`` column order."""
    rows: list[Row] = []
    carried = 0
    for year, t in years:
        onbesteed = t.spuk + carried - t.goedgekeurd
        meeneem = min(max(onbesteed, 0), t.spuk)
        terug = max(onbesteed - meeneem, 0)
        afgewezen = t.gefactureerd - t.goedgekeurd - t.aangehouden
        rows.append((gemeente, year, t.zaken, t.spuk, carried, t.verplicht, t.gefactureerd,
                     t.goedgekeurd, t.aangehouden, afgewezen, t.betaald, onbesteed, meeneem,
                     terug, CLOSED if year < current else RUNNING))
        carried = meeneem
    return rows


def add_up(items: Iterable[YearTotals]) -> YearTotals:
    """The field-wise sum of totals."""
    total = YearTotals()
    for item in items:
        for f in fields(YearTotals):
            setattr(total, f.name, getattr(total, f.name) + getattr(item, f.name))
    return total

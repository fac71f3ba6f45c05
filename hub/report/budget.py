"""Budget per gemeente and year (R14, R15, R16), and per post and kostenplaats.

The SPUK budget of a gemeente for a year is, for every case the view attributes to it on that
year's peildatum (``budget_toerekening``, R15), the sum of the rate table's posts for the case's
doelgroep in force that year (R14), plus the onderwijsroute supplement once, in the first year
the case is attributed anywhere (counted in the post leerroute: it guarantees the onderwijsroute's
price). Years after the report's year get no budget yet.

Spending lands on the post of its kostenplaats (``kostenplaatsen.csv``: soort taal is the SPUK
post leerroute). Kredietbank fees (financieel ontzorgen) and PIB (Wi2007, R22) are approved and
paid through the hub too, but are no SPUK spending: ontzorgen is an uitvoeringstaak paid from
the gemeentefonds, PIB from the WI budget. Begeleiding, tolken, PVT and MAP have a SPUK budget
but their spending does not pass through the hub.

R16, the meeneemregeling: what is left of a year's budget plus what came with it from the year
before, less the SPUK spending, may go to the next year up to 100% of that year's own budget;
the rest is to be paid back. The report's own year is still running, so its figures are
provisional (status ``lopend``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import astuple, dataclass, fields
from datetime import date
from typing import Any

from hub.reconcile.ledger import KREDIETBANK, PIB, TAAL
from hub.reconcile.model import AANGEHOUDEN
from hub.reconcile.tables import Tables
from hub.report.columns import OVER_COMMITTED, OVER_SPENT, Row
from hub.report.commitments import open_commitments

POSTS = ("leerroute", "begeleiding", "tolken", "pvt", "map")  # the SPUK posts (R14)
SUPPLEMENT = "onderwijsroute_aanvulling"
ONTZORGEN = "ontzorgen"
UNKNOWN = "onbekend"
POST_OF_SOORT = {TAAL: "leerroute", KREDIETBANK: ONTZORGEN, PIB: "pib"}
SOORT_OF_POST = {post: soort for soort, post in POST_OF_SOORT.items()}
LINE_ORDER = (*POSTS, ONTZORGEN, "pib", UNKNOWN)
NOTES = {"leerroute": "SPUK; met de onderwijsroute-aanvulling (R14)",
         ONTZORGEN: "buiten SPUK: uitvoeringskosten (gemeentefonds)",
         "pib": "buiten SPUK: WI-budget (R22)",
         UNKNOWN: "kostenplaats staat niet in kostenplaatsen.csv"}
OTHER_SPUK = "SPUK; besteding loopt niet via de hub"
CLOSED, RUNNING = "afgesloten", "lopend"
LineKey = tuple[str, int, str, str, str]  # gemeente, year, post, kostenplaats, kostensoort
Trace = Callable[[str, Row], None]  # sees each amount behind the budget (``ALLOCATED``, ``SPENT``)
ALLOCATED, SPENT = "toerekening", "besteding"


@dataclass
class YearTotals:
    """Running totals of one gemeente in one begrotingsjaar, in cents."""

    zaken: int = 0
    spuk: int = 0
    verplicht: int = 0
    gefactureerd: int = 0
    goedgekeurd: int = 0
    aangehouden: int = 0
    vouchers: int = 0
    betaald: int = 0
    besteed: int = 0  # approved on SPUK posts


@dataclass
class LineTotals:
    """Running totals of one post and kostenplaats of a gemeente and year, in cents."""

    budget: int = 0
    verplicht: int = 0
    goedgekeurd: int = 0
    betaald: int = 0
    terug: int = 0  # paid on a booking that was reversed: to reclaim from the supplier


def year_of(decision: Mapping[str, Any]) -> int:
    """The begrotingsjaar of a decision; lines naming no case have only a service date."""
    year = decision.get("begrotingsjaar")
    return int(year) if year else int(str(decision["dienstdatum"])[:4])


def gemeente_of(decision: Mapping[str, Any]) -> str:
    """The gemeente a decision is booked on (R17), or ``onbekend``."""
    return str(decision.get("gemeentecode") or UNKNOWN)


class BudgetBook:
    """Totals per (gemeente, year) and per budget line, fed case by case; ``rows`` applies
    R16 at the end."""

    def __init__(self, tables: Tables, day: date, trace: Trace | None = None) -> None:
        self._tables = tables
        self._day = day
        self._trace = trace
        self._years: dict[tuple[str, int], YearTotals] = {}
        self._lines: dict[LineKey, LineTotals] = {}
        self._rates: dict[tuple[str, int, str], int] = {}
        self._soort = {(row.key[0], *map(str, row.values)): row.key[1]
                       for row in tables.kostenplaatsen.rows}

    def at(self, gemeente: str, year: int) -> YearTotals:
        """The totals of one gemeente and year (created empty)."""
        key = (gemeente, year)
        found = self._years.get(key)
        if found is None:
            found = self._years[key] = YearTotals()
        return found

    def line(self, gemeente: str, year: int, post: str, kostenplaats: str = "",
             kostensoort: str = "") -> LineTotals:
        """The totals of one budget line (created empty)."""
        key = (gemeente, year, post, kostenplaats, kostensoort)
        found = self._lines.get(key)
        if found is None:
            found = self._lines[key] = LineTotals()
        return found

    def post_line(self, gemeente: str, year: int, post: str) -> LineTotals:
        """A post's own line: the kostenplaats ``kostenplaatsen.csv`` gives it, if any."""
        soort = SOORT_OF_POST.get(post)
        if soort is None:
            return self.line(gemeente, year, post)
        return self.line(gemeente, year, post, *self._tables.kostenplaats(gemeente, soort))

    def post_of(self, gemeente: str, kostenplaats: Any, kostensoort: Any) -> str:
        """The post a booked kostenplaats belongs to (its soort in ``kostenplaatsen.csv``)."""
        for code in (gemeente, "*"):
            soort = self._soort.get((code, str(kostenplaats), str(kostensoort)))
            if soort is not None:
                return POST_OF_SOORT[soort]
        return UNKNOWN

    def attribute(self, view: Mapping[str, Any]) -> None:
        """R15: count the case and its SPUK budget per post for each year up to the
        report's year."""
        toerekening = view.get("budget_toerekening") or {}
        years = sorted(int(y) for y in toerekening)
        onderwijs = (view.get("route") or {}).get("leerroute") == "ONDERWIJS"
        doelgroep = str(view.get("doelgroep"))
        for year in years:
            if year > self._day.year:
                continue
            gemeente = str(toerekening[str(year)])
            totals = self.at(gemeente, year)
            totals.zaken += 1
            for post in POSTS:
                amount = self.rate(doelgroep, year, post)
                if post == POSTS[0] and onderwijs and year == years[0]:
                    amount += self.rate(doelgroep, year, SUPPLEMENT)
                if amount:
                    totals.spuk += amount
                    self.post_line(gemeente, year, post).budget += amount
                    if self._trace is not None:
                        self._trace(ALLOCATED, (view.get("case_ref"), gemeente, year,
                                                doelgroep, post, amount))

    def rate(self, doelgroep: str, year: int, post: str) -> int:
        """R14: the SPUK amount of one post for one person of ``doelgroep`` in ``year``."""
        key = (doelgroep, year, post)
        if key not in self._rates:
            self._rates[key] = self._tables.spuk(doelgroep, post, date(year, 1, 1)) or 0
        return self._rates[key]

    def commit(self, view: Mapping[str, Any]) -> None:
        """The case's open commitments (``hub.report.commitments``) on the post leerroute."""
        for gemeente, year, cents in open_commitments(view, self._tables, self._day):
            self.at(gemeente, year).verplicht += cents
            self.post_line(gemeente, year, POSTS[0]).verplicht += cents

    def invoice_line(self, decision: Mapping[str, Any], case_ref: str | None = None) -> None:
        """An invoice line's amounts on its gemeente and begrotingsjaar, and on its line."""
        gemeente, year = gemeente_of(decision), year_of(decision)
        totals = self.at(gemeente, year)
        billed = int(decision.get("gefactureerd_cent") or 0)
        approved = int(decision.get("goedgekeurd_cent") or 0)
        totals.gefactureerd += billed
        totals.goedgekeurd += approved
        if decision.get("beslissing") == AANGEHOUDEN:
            totals.aangehouden += billed
        if approved:
            kp, ks = decision.get("kostenplaats") or "", decision.get("kostensoort") or ""
            post = self.post_of(gemeente, kp, ks)
            self.line(gemeente, year, post, str(kp), str(ks)).goedgekeurd += approved
            if post in POSTS:
                totals.besteed += approved
            self._spent(case_ref, gemeente, year, post, str(kp), str(ks), decision, approved)

    def voucher(self, decision: Mapping[str, Any], case_ref: str | None = None) -> None:
        """R22: an approved voucher is PIB spending of its gemeente and year."""
        approved = int(decision.get("goedgekeurd_cent") or 0)
        if approved:
            gemeente, year = gemeente_of(decision), year_of_voucher(decision)
            self.at(gemeente, year).vouchers += approved
            kp, ks = self._tables.kostenplaats(gemeente, PIB)
            self.line(gemeente, year, "pib", kp, ks).goedgekeurd += approved
            self._spent(case_ref, gemeente, year, "pib", kp, ks, decision, approved)

    def _spent(self, case_ref: str | None, gemeente: str, year: int, post: str, kp: str,
               ks: str, d: Mapping[str, Any], cents: int) -> None:
        if self._trace is not None:
            what = d.get("voucher_id") or d.get("regelnummer")
            self._trace(SPENT, (case_ref, gemeente, year, post, kp or None, ks or None,
                                d.get("leverancier_id"), d.get("factuurnummer"), what,
                                d.get("dienstdatum") or d.get("statusdatum"), d.get("reden"),
                                d.get("regel"), cents))

    def paid(self, gemeente: str, year: int, kostenplaats: Any, kostensoort: Any,
             cents: int) -> None:
        """What the bank paid on a booking of this gemeente, year and kostenplaats."""
        self.at(gemeente, year).betaald += cents
        post = self.post_of(gemeente, kostenplaats, kostensoort)
        self.line(gemeente, year, post, str(kostenplaats or ""),
                  str(kostensoort or "")).betaald += cents

    def reclaim(self, gemeente: str, year: int, kostenplaats: Any, kostensoort: Any,
                cents: int) -> None:
        """A terugvordering on a booking of this gemeente, year and kostenplaats."""
        post = self.post_of(gemeente, kostenplaats, kostensoort)
        self.line(gemeente, year, post, str(kostenplaats or ""),
                  str(kostensoort or "")).terug += cents

    def rows(self, only: str | None = None) -> list[Row]:
        """One row per gemeente and year with figures (R16 runs over every year between a
        gemeente's first and last; a year with nothing at all is left out)."""
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

    def line_rows(self, only: str | None = None) -> list[Row]:
        """One row per budget line in the ``LINES`` column order: gemeente, year, post order."""
        rows: list[Row] = []
        for key in sorted(self._lines, key=lambda k: (k[0], k[1], LINE_ORDER.index(k[2]),
                                                      k[3], k[4])):
            if only is None or key[0] == only:
                t = self._lines[key]
                if any(astuple(t)):
                    rows.append(line_row(key, t))
        return rows

    def totals(self) -> YearTotals:
        """All gemeenten and years added up."""
        return add_up(self._years.values())


def year_of_voucher(decision: Mapping[str, Any]) -> int:
    """A voucher's begrotingsjaar: the decision's, else the year of its status date."""
    year = decision.get("begrotingsjaar")
    return int(year) if year else int(str(decision.get("statusdatum"))[:4])


def line_row(key: LineKey, t: LineTotals) -> Row:
    """A budget line: SPUK posts with their unspent part and over-budget signal."""
    gemeente, year, post, kp, ks = key
    spuk = post in POSTS
    signaal = None
    if spuk and t.verplicht > t.budget:
        signaal = OVER_COMMITTED
    elif spuk and t.verplicht + t.goedgekeurd > t.budget:
        signaal = OVER_SPENT
    note = NOTES.get(post, OTHER_SPUK)
    return (gemeente, year, post, kp or None, ks or None, t.budget, t.verplicht, t.goedgekeurd,
            t.betaald, t.terug, t.budget - t.goedgekeurd if spuk else None, signaal, note)


def carry_over(gemeente: str, years: Iterable[tuple[int, YearTotals]], current: int) -> list[Row]:
    """R16 over consecutive years of one gemeente: rows in the ``BUDGET`` column order."""
    rows: list[Row] = []
    carried = 0
    empty = YearTotals()
    for year, t in years:
        onbesteed = t.spuk + carried - t.besteed
        meeneem = min(max(onbesteed, 0), t.spuk)
        terug = max(onbesteed - meeneem, 0)
        afgewezen = t.gefactureerd - t.goedgekeurd - t.aangehouden
        if t != empty or carried:
            rows.append((gemeente, year, t.zaken, t.spuk, carried, t.verplicht, t.gefactureerd,
                         t.goedgekeurd, t.aangehouden, afgewezen, t.vouchers, t.betaald,
                         t.besteed, onbesteed, meeneem, terug,
                         CLOSED if year < current else RUNNING))
        carried = meeneem
    return rows


def add_up(items: Iterable[YearTotals]) -> YearTotals:
    """The field-wise sum of totals."""
    total = YearTotals()
    for item in items:
        for f in fields(YearTotals):
            setattr(total, f.name, getattr(total, f.name) + getattr(item, f.name))
    return total

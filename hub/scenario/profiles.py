"""Cases of a fixed shape: the ones that carry an anomaly, the Wi2013 tail and Wi2007 PIB cases.

An anomaly case is *ongoing*: its plicht started about a year before the scenario, so its
route runs and is invoiced month after month while the scenario lasts, whatever ``--years``.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hub.privacy import case_ref
from hub.scenario import billing
from hub.scenario import draw as regular_cases
from hub.scenario.anomalies import profile_of
from hub.scenario.draw import Drawer
from hub.scenario.model import (
    Case,
    Month,
    Params,
    Pib,
    Pip,
    Route,
    add_months,
    next_month,
)
from hub.scenario.people import DOELGROEPEN, bsn_for, pick

SCHOOL_OF = {"geen-keurmerk": "B50005", "geen-contract": "B60006"}


def shaped(d: Drawer, bsn: str, ref: str, kind: str) -> Case:
    """A case shaped so that ``kind`` can happen to it."""
    profile = profile_of(kind) or ""
    if profile in ("pib", "pib-plan"):
        return pib_case(d, bsn, ref, kind)
    if profile == "plicht-laat":
        return late_plicht(d, bsn, ref, kind)
    if profile == "wi2013":
        return wi2013(d, bsn, ref, kind)
    c = ongoing(d, bsn, ref, kind, lening=profile in ("lening", "ontzorgen-gezinsmigrant"))
    if profile == "geen-koppeling":
        c.koppeling, c.isam_koppeling = None, False
    if profile != "geen-pip":
        route = "Z" if profile == "geen-contract" else "B1"
        assert c.koppeling is not None or profile == "geen-koppeling"
        pip = (c.koppeling or c.plicht + timedelta(days=30)) + d.days(45, 65)
        if kind == "pip-te-laat":
            pip = (c.koppeling or c.plicht) + d.days(100, 140)
        regular_cases.add_pip(d, c, pip, leerroute=route, school=SCHOOL_OF.get(profile,
                                                                                "B10001"),
                              months=30)
    _timing(d, c, kind)
    if profile == "b1-laag" and c.route is not None:
        _lowered(d, c)
    if profile in ("ontzorgen", "ontzorgen-gezinsmigrant"):
        months = 9 if kind == "R11.na-zes-maanden" else None  # R11: too long, not vrijwillig
        regular_cases.add_ontzorgen(d, c, stopped=None, months=months)
    if kind in ("R13.na-plicht-voldaan", "R24.na-einde-plicht") and c.route is not None:
        c.ontheffing = add_months(c.route.start, 6) + timedelta(days=9)
        if kind == "R13.na-plicht-voldaan":  # the school stops a month after the ontheffing
            last = add_months(c.ontheffing.replace(day=1), 1)
            c.route.months = [m for m in c.route.months if m.start <= last]
    if kind == "R13.lening-kwartaalplafond" and c.route is not None:
        _over_cap(c.route, d.params.end)
    if kind == "R21.correctie-examen" and c.route is not None:
        _exams_corrected(c)
    if kind == "R21.correctie-intake" and c.koppeling is not None:
        c.intake = c.koppeling + d.days(95, 130)  # the real, late date (versie 2)
    return c


def _exams_corrected(c: Case) -> None:
    """R21: every B1 exam passed, PVT and MAP done, but SPREKEN is corrected to a fail (the
    final truth; DUO first sent it as a pass), so the plicht is not met (R4)."""
    assert c.route is not None
    day = c.route.start + timedelta(days=300)
    c.exams = [(o, "B1", day, "NIET_GESLAAGD" if o == "SPREKEN" else "GESLAAGD")
               for o in ("LEZEN", "LUISTEREN", "SCHRIJVEN", "SPREKEN", "KNM")]
    c.pvt, c.map = c.route.start + timedelta(days=200), c.route.start + timedelta(days=250)


def _over_cap(route: Route, end: date) -> None:
    """R13: one month of 50 hours offered, more than the lening pays in a whole quarter."""
    month = billing.target(route, end)
    for n, m in enumerate(route.months):
        if m.start == month:
            route.months[n] = Month(m.start, Decimal(50), Decimal(45), Decimal(1), Decimal(0),
                                    Decimal(2), Decimal(2))


def ongoing(d: Drawer, bsn: str, ref: str, kind: str, *, lening: bool) -> Case:
    """A Wi2021 case whose plicht started in the first two months of the year before."""
    plicht = d.params.start - timedelta(days=365) + d.days(0, 60)
    doelgroep = "GEZINSMIGRANT" if lening else "ASIELSTATUSHOUDER"
    koppeling = plicht + d.days(20, 40)
    c = Case(d.index, bsn, ref, kind, "WI2021", doelgroep, d.codes[d.index % len(d.codes)],
             plicht, plicht, koppeling)
    c.intake = koppeling + d.days(20, 50)
    return c


def _timing(d: Drawer, c: Case, kind: str) -> None:
    """Intakes missing or late, moves around 31 December (R15, R17, R18)."""
    end, start = d.params.end, d.params.start
    if kind == "intake-ontbreekt":
        c.intake = None
    elif kind == "intake-te-laat" and c.koppeling is not None:
        c.intake = c.koppeling + d.days(95, 130)
    elif kind == "verhuizing-voor-jaarwisseling" and c.koppeling is not None:
        year = min(end.year, c.koppeling.year + 2)  # inside the termijn, so attributed (R15)
        c.move = (date(year, 12, d.rng.randint(10, 30)), c.gemeente,
                  d.other_gemeente(c.gemeente))
    elif kind == "verhuizing-na-jaarwisseling":
        c.move = (date(start.year, 1, d.rng.randint(3, 20)), c.gemeente,
                  d.other_gemeente(c.gemeente))


def _lowered(d: Drawer, c: Case) -> None:
    """R5: few hours, and a second PIP lowering the level to A2 before 600 hours."""
    assert c.route is not None and c.first_pip is not None
    for n, month in enumerate(c.route.months):
        c.route.months[n] = regular_cases.month_hours(d.rng, month.start, "B1", True)
    day = d.within(c.route.start + timedelta(days=120))
    if day is not None:
        first = c.first_pip
        c.pips.append(Pip(d.uuid("pip", 2), f"PIP-{d.index:07d}-2", "GEWIJZIGD", first, day,
                          "A2"))


def late_plicht(d: Drawer, bsn: str, ref: str, kind: str) -> Case:
    """R21: koppeling and intake first; the plicht is told about a year later."""
    koppeling = d.params.start - timedelta(days=300) + d.days(0, 30)
    plicht = koppeling + d.days(300, 360)
    c = Case(d.index, bsn, ref, kind, "WI2021", "ASIELSTATUSHOUDER",
             d.codes[d.index % len(d.codes)], plicht, plicht + timedelta(days=7), koppeling)
    c.intake = koppeling + d.days(25, 50)
    regular_cases.add_pip(d, c, plicht + d.days(30, 50), leerroute="B1", school="B10001",
                          months=24)
    return c


def wi2013(d: Drawer, bsn: str, ref: str, kind: str | None = None) -> Case:
    """The Wi2013 tail: plicht 2019-2021 (ISI), koppeling, a course reported in the DUO file
    (for ``bevestiging-zonder-pip`` always, confirmed by the school and invoiced)."""
    plicht = date(2019, 6, 1) + d.days(0, 850)
    doelgroep = d.rng.choice(("GEZINSMIGRANT", "GEZINSMIGRANT", "OVERIGE_MIGRANT"))
    gemeente = d.gemeente() if kind is None else d.codes[d.index % len(d.codes)]
    c = Case(d.index, bsn, ref, kind, "WI2013", doelgroep, gemeente, plicht, plicht,
             plicht + d.days(14, 90))
    assert c.koppeling is not None
    if d.rng.random() < 0.7 or kind is not None:
        first = max(next_month(c.koppeling + timedelta(days=60)),
                    (d.params.start - timedelta(days=365)).replace(day=1))
        c.route = Route("B20002", "NT2", "A2", "")
        for n in range(d.rng.randint(12, 30)):
            month = add_months(first, n)
            if month > d.params.end:
                break
            c.route.months.append(regular_cases.month_hours(d.rng, month, "B1", True))
        if not c.route.months:
            c.route = None
    if d.rng.random() < 0.5:
        c.exams = [("SPREKEN", "A2", c.koppeling + d.days(200, 500), "GESLAAGD"),
                   ("ONA", "A2", c.koppeling + d.days(200, 500), "NIET_GESLAAGD")]
    return c


def pib_case(d: Drawer, bsn: str, ref: str, kind: str | None) -> Case:
    """A historic Wi2007 case with a PIB traject (R22), told by ISI, invoiced in 2009-2010."""
    plicht = date(2008, 6, 1) + d.days(0, 270)
    koppeling = plicht + d.days(30, 90)
    gemeente = d.gemeente() if kind is None else d.codes[d.index % len(d.codes)]
    c = Case(d.index, bsn, ref, kind, "WI2007", pick(d.rng, DOELGROEPEN), gemeente, plicht,
             plicht, koppeling)
    toekenning = koppeling + d.days(30, 60)
    meerkosten = 0 if kind == "R22.budget-overschreden" else d.rng.randint(0, 8) * 10_000
    c.pib = Pib(f"PIB-{gemeente}-{d.index:07d}", gemeente, toekenning,
                toekenning + d.days(20, 40), 500_000, meerkosten,
                approved=kind != "R22.plan-niet-goedgekeurd")
    if d.rng.random() < 0.5:
        c.exams = [("SPREKEN", "A2", c.pib.start + d.days(200, 400), "GESLAAGD")]
    return c


def companion(params: Params, main: Case, index: int) -> Case:
    """R12: a second member of ``main``'s household (its own BSN and case), with its own
    ontzorgen decision for the same household; no route."""
    bsn = bsn_for(params.seed, index)
    c = Case(index, bsn, case_ref(bsn, params.case_ref_key), None, "WI2021", "ASIELSTATUSHOUDER",
             main.gemeente, main.plicht, main.plicht_told, main.koppeling, companion=True)
    c.intake, c.ontzorgen = main.intake, main.ontzorgen
    return c

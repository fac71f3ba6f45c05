"""One person's life in the scenario: dates, route, hours, exams, moves, ontzorgen.

Nothing after the scenario's last day is generated. Timings follow DOMAIN.md: the koppeling
weeks after the plicht start, the brede intake due within two months and the PIP within ten
weeks (R18), with about half the cases late for either; routes of 15-26 months (B1), 24-36 (Z)
and 10-20 (onderwijs); a few percent move or get an ontheffing; most asielstatushouders get
financieel ontzorgen (R11).
"""

from __future__ import annotations

from datetime import timedelta

from hub.privacy import case_ref
from hub.scenario import profiles
from hub.scenario.draw import Drawer, add_ontzorgen, add_pip
from hub.scenario.model import Case, Params
from hub.scenario.people import DOELGROEPEN, REGIMES, bsn_for, pick

ONDERDELEN = ("LEZEN", "LUISTEREN", "SCHRIJVEN", "SPREKEN", "KNM")


def make_case(params: Params, index: int, kind: str | None, codes: tuple[str, ...],
              weights: list[float]) -> Case:
    """The case at ``index``: a regular one, or one shaped for its anomaly ``kind``."""
    d = Drawer(params, index, codes, weights)
    bsn = bsn_for(params.seed, index)
    ref = case_ref(bsn, params.case_ref_key)
    if kind is not None:
        return profiles.shaped(d, bsn, ref, kind)
    regime = pick(d.rng, REGIMES)
    if regime == "WI2013":
        return profiles.wi2013(d, bsn, ref)
    if regime == "WI2007":
        return profiles.pib_case(d, bsn, ref, None)
    return regular(d, bsn, ref)


def regular(d: Drawer, bsn: str, ref: str) -> Case:
    """A Wi2021 case whose plicht starts from a year before the scenario to near its end."""
    p = d.params
    first = p.start - timedelta(days=365)
    plicht = first + d.days(0, (p.end - timedelta(days=60) - first).days)
    c = Case(d.index, bsn, ref, None, "WI2021", pick(d.rng, DOELGROEPEN), d.gemeente(),
             plicht, plicht, d.within(plicht + d.days(14, 120)))
    if c.koppeling is None:
        return c
    c.isam_koppeling = d.rng.random() < 0.2
    c.intake = d.within(c.koppeling + d.days(20, 130))
    if c.doelgroep == "ASIELSTATUSHOUDER" and c.intake and d.rng.random() < 0.7:
        c.lbt = d.within(c.intake + d.days(7, 60))
    add_pip(d, c, c.koppeling + d.days(40, 140))
    if c.route is not None:
        outcome(d, c)
    extras(d, c)
    return c


def outcome(d: Drawer, c: Case) -> None:
    """Exams, PVT, MAP and ontheffing: some cases meet the plicht inside the scenario (R4)."""
    assert c.route is not None and c.first_pip is not None
    end = d.params.end
    if d.rng.random() < 0.02:
        c.ontheffing = d.within(c.first_pip + d.days(100, 500))
        if c.ontheffing is not None:  # the school stops: nothing after the ontheffing month
            c.route.months = [m for m in c.route.months if m.start <= c.ontheffing] or \
                c.route.months[:1]
            return
    done = c.route.end + timedelta(days=60) <= end
    if c.route.leerroute == "B1" and done and d.rng.random() < 0.5:
        exams = [(o, "B1", c.route.end + d.days(10, 40), "GESLAAGD") for o in ONDERDELEN]
        pvt, map_ = c.first_pip + d.days(150, 400), c.first_pip + d.days(200, 450)
        if all(x[2] <= end for x in exams) and pvt <= end and map_ <= end:
            c.exams, c.pvt, c.map = exams, pvt, map_
            return
    if d.rng.random() < 0.25 and c.route.start + timedelta(days=300) <= end:
        uitslag = d.rng.choice(("GESLAAGD", "NIET_GESLAAGD"))
        c.exams = [("LEZEN", "B1", c.route.start + timedelta(days=300), uitslag)]
    if d.rng.random() < 0.4:
        c.pvt = d.within(c.first_pip + d.days(150, 500))


def extras(d: Drawer, c: Case) -> None:
    """A move (3%), ontzorgen for asielstatushouders (70%), a rare boete."""
    assert c.koppeling is not None
    if len(d.codes) > 1 and d.rng.random() < 0.03:
        day = d.within(c.koppeling + d.days(60, 900))
        if day is not None:
            c.move = (day, c.gemeente, d.other_gemeente(c.gemeente))
    if c.doelgroep == "ASIELSTATUSHOUDER" and d.rng.random() < 0.7:
        add_ontzorgen(d, c, stopped=d.rng.randint(2, 5) if d.rng.random() < 0.1 else None)
    if d.rng.random() < 0.003:
        c.boete = d.within(c.koppeling + d.days(700, 1100))

"""Drawing one case's details: its random source, a PIP and the route it buys, monthly hours.

Shared by regular cases (``cases.py``) and shaped ones (``profiles.py``). Every case draws from
its own generator (``Random(f"{seed}/case/{index}")``), so a case does not depend on the others
and the output streams case by case.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from decimal import Decimal

from hub.scenario.model import (
    REGULAR_SCHOOLS,
    Case,
    Month,
    Ontzorgen,
    Params,
    Pip,
    Route,
    add_months,
    next_month,
)
from hub.scenario.people import ROUTES, pick

MONTHS = {"B1": (15, 26), "Z": (24, 36), "ONDERWIJS": (10, 20)}


class Drawer:
    """The case's own random source plus the scenario's parameters."""

    def __init__(self, params: Params, index: int, codes: tuple[str, ...],
                 weights: list[float]) -> None:
        self.params, self.index, self.codes, self.weights = params, index, codes, weights
        self.rng = random.Random(f"{params.seed}/case/{index}")

    def days(self, low: int, high: int) -> timedelta:
        """A random number of days in [low, high]."""
        return timedelta(days=self.rng.randint(low, high))

    def gemeente(self) -> str:
        """A gemeente, large ones more often."""
        return self.rng.choices(self.codes, weights=self.weights)[0]

    def other_gemeente(self, current: str) -> str:
        """A different gemeente to move to."""
        return self.rng.choice([c for c in self.codes if c != current])

    def uuid(self, what: str, n: int = 0) -> str:
        """A stable id for an ISAM resource of this case."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL,
                              f"scenario:{self.params.seed}:{self.index}:{what}:{n}"))

    def within(self, day: date | None) -> date | None:
        """``day`` when it lies inside the scenario, else None."""
        return day if day is not None and day <= self.params.end else None


def add_pip(d: Drawer, c: Case, day: date, *, leerroute: str | None = None,
            school: str | None = None, months: int | None = None) -> None:
    """The first PIP on ``day`` (if inside the scenario) and the route it buys."""
    pip = d.within(day)
    if pip is None:
        return
    route = leerroute or ("B1" if c.lening else pick(d.rng, ROUTES))
    niveau = "A1" if route == "Z" else "B1"
    c.pips.append(Pip(d.uuid("pip"), f"PIP-{d.index:07d}-1", "VASTGESTELD", pip, pip, niveau))
    school = school or d.rng.choices(REGULAR_SCHOOLS, weights=(55, 45))[0]
    contract = f"INK-{c.gemeente}-{pip.year}"
    c.route = Route(school, route, niveau, contract)
    length = months or d.rng.randint(*MONTHS[route])
    start = next_month(pip + timedelta(days=14))
    for n in range(length):
        month = add_months(start, n)
        if month > d.params.end:
            break
        c.route.months.append(month_hours(d.rng, month, route, c.lening))
    if not c.route.months:
        c.route = None
    c.gesprekken = gesprekken(d, pip)


def month_hours(rng: random.Random, month: date, leerroute: str, lening: bool,
                scale: Decimal = Decimal(1)) -> Month:
    """One month of lessons: offered hours, attendance and absence (R9)."""
    if leerroute == "Z":
        taal, part = Decimal(rng.randint(16, 20)), Decimal(rng.randint(16, 20))
        excused, unexcused = Decimal(rng.randint(0, 2)), Decimal(rng.randint(0, 2))
        return Month(month, taal + part + excused + unexcused, taal, Decimal(0), part, excused,
                     unexcused)
    low, high = (12, 15) if lening else (50, 60) if leerroute == "ONDERWIJS" else (36, 44)
    offered = (Decimal(rng.randint(low, high)) * scale).to_integral_value()
    knm = Decimal(1 if lening else 2)
    excused = Decimal(rng.randint(0, 1 if lening else 2))
    unexcused = Decimal(rng.randint(0, 1 if lening else 4))
    taal = max(offered - knm - excused - unexcused, Decimal(0))
    return Month(month, offered, taal, knm, Decimal(0), excused, unexcused)


def gesprekken(d: Drawer, pip: date) -> list[date]:
    """Voortgangsgesprekken about twice a year after the PIP (some late)."""
    out, day = [], pip + d.days(150, 220)
    while day <= d.params.end:
        out.append(day)
        day += d.days(150, 220)
    return out


def add_ontzorgen(d: Drawer, c: Case, *, stopped: int | None, months: int | None = None,
                  household: str | None = None) -> None:
    """R11: ontzorgen from the month after the bijstand starts up to six months from the
    bijstand start (or the ``months`` a decision grants regardless)."""
    assert c.koppeling is not None
    bijstand = c.koppeling + d.days(10, 60)
    start = next_month(bijstand)
    if start <= d.params.end:
        c.ontzorgen = Ontzorgen(household or f"HH-{d.index:07d}", bijstand, start, months,
                                stopped)

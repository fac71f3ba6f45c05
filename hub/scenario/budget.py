"""Budget expectations per gemeente and year (R14, R15), from the scenario's own model.

A person counts for every year from the koppeling up to the year the plicht was met, else the
year the termijn ends (R2: three years from the day after the first PIP), else the year of the
last move; each year goes to the gemeente where the person lives on the peildatum, 31 December
(R15). The SPUK budget of a person-year is the sum of ``spuk.csv`` for the person's doelgroep
over ``POSTS`` on that peildatum. ``check.py`` applies the same sum to the store's attribution.
"""

from __future__ import annotations

from datetime import date, timedelta

from hub.reconcile.tables import Tables
from hub.scenario.model import Case, add_months

POSTS = ("leerroute", "begeleiding", "tolken", "pvt", "map")
ONDERDELEN = ("LEZEN", "LUISTEREN", "SCHRIJVEN", "SPREKEN", "KNM")


def spuk_cent(tables: Tables, doelgroep: str, year: int) -> int:
    """SPUK amount for one person in one year (0 where the table has no row)."""
    day = date(year, 12, 31)
    return sum(tables.spuk(doelgroep, post, day) or 0 for post in POSTS)


def termijn_einde(first_pip: date) -> date:
    """R2: three years from the day after the first PIP's dagtekening."""
    return add_months(first_pip + timedelta(days=1), 36) - timedelta(days=1)


def voldaan_op(c: Case) -> date | None:
    """R4 as the scenario built it: an ontheffing, or every exam, PVT and MAP done."""
    if c.ontheffing is not None:
        return c.ontheffing
    passed = {onderdeel: day for onderdeel, _, day, uitslag in c.exams if uitslag == "GESLAAGD"}
    route = c.route
    if c.regime != "WI2021" or route is None or route.leerroute != "B1" or not c.pips:
        return None
    if set(ONDERDELEN) - set(passed) or c.pvt is None or c.map is None:
        return None
    if max(c.pips, key=lambda p: p.dagtekening).niveau != "B1":
        return None
    return max([*passed.values(), c.pvt, c.map])


def attribution(c: Case) -> dict[int, str]:
    """R15: year -> gemeente on 31 December, for the years the case runs."""
    if c.koppeling is None:
        return {}
    first = c.koppeling.year
    voldaan = voldaan_op(c)
    if voldaan is not None:
        last = voldaan.year
    elif c.first_pip is not None:
        last = termijn_einde(c.first_pip).year
    else:
        last = max(first, c.move[0].year if c.move else first)
    out = {}
    for year in range(first, max(first, last) + 1):
        code = c.gemeente_on(date(year, 12, 31))
        if code is not None:
            out[year] = code
    return out

"""Rules on where a case stands: regime, termijn, plicht, afschalen, Z-route, deadlines.

Plain functions over plain values; each names its rule from DOMAIN.md §3. No clock: the
deadlines are dates, and whether one has passed is decided by ``signals.due`` with today's
date passed in.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

WI2021_START = date(2022, 1, 1)
TERMIJN_JAREN = 3
B1_VAARDIGHEDEN = ("LEZEN", "LUISTEREN", "SCHRIJVEN", "SPREKEN")
NIVEAUS = ("A1", "A2", "B1", "B2")
AFSCHALEN_MINUTEN = 600 * 60
Z_TAAL_MINUTEN = 800 * 60
Z_PARTICIPATIE_MINUTEN = 800 * 60
INTAKE_MAANDEN = 2
LBT_MAANDEN = 12
PIP_WEKEN = 10
GESPREK_MAANDEN = 6


def regime(plicht_start: date | None, gemeld: str | None) -> str:
    """R1: Wi2021 when the plicht started on or after 2022-01-01, else Wi2013 (Wi2007 as told)."""
    if gemeld == "WI2007":
        return "WI2007"
    if plicht_start is None:
        return gemeld or "ONBEKEND"
    return "WI2021" if plicht_start >= WI2021_START else "WI2013"


def first_pip_date(dagtekeningen_eerste: Iterable[date]) -> date | None:
    """R2: the dagtekening of the first PIP; later PIPs never move it, so the earliest wins."""
    return min(dagtekeningen_eerste, default=None)


def termijn_einde(first_pip: date | None, verlenging_weken: Iterable[int]) -> date | None:
    """R2, R3: three years from the day after the first PIP, plus granted verlengingen.

    Never derived from the plicht start (R3): without a PIP there is no termijn.
    """
    if first_pip is None:
        return None
    start = first_pip + timedelta(days=1)
    return add_months(start, 12 * TERMIJN_JAREN) - timedelta(days=1) + timedelta(
        weeks=sum(verlenging_weken))


def exams_met(leerroute: str, niveau: str, regime_: str,
              passed: dict[str, str]) -> bool:
    """R4, R5, R7: the exams of the route are passed at the route's level (and KNM).

    ``passed`` maps onderdeel -> highest niveau passed. Wi2013 needs A2 plus ONA; the B1- and
    onderwijsroute need the PIP's niveau (A2 only after afschalen, which the PIP records).
    """
    if regime_ in ("WI2013", "WI2007"):
        return all(_at_least(passed.get(o), "A2") for o in B1_VAARDIGHEDEN) and \
            "KNM" in passed and "ONA" in passed
    if leerroute not in ("B1", "ONDERWIJS"):
        return False
    target = niveau if niveau in NIVEAUS else "B1"
    return all(_at_least(passed.get(o), target) for o in B1_VAARDIGHEDEN) and "KNM" in passed


def plicht_voldaan(*, leerroute: str, route_done: bool, pvt: bool, map_: bool,
                   ontheffing: bool, regime_: str) -> bool:
    """R4: (exams, or Z-route completed) and PVT and MAP (onderwijsroute: MAP exempt);
    an ontheffing also ends the plicht. Wi2013 has no MAP."""
    if ontheffing:
        return True
    map_needed = leerroute != "ONDERWIJS" and regime_ == "WI2021"
    return route_done and pvt and (map_ or not map_needed)


def afschalen_mogelijk(leerroute: str, keurmerk_minuten: int, exams_done: bool) -> bool:
    """R5: on the B1-route, afschalen only after 600 lesuren at a keurmerk provider."""
    return leerroute == "B1" and not exams_done and keurmerk_minuten >= AFSCHALEN_MINUTEN


def z_route_voltooid(taal_minuten: int, participatie_minuten: int) -> bool:
    """R6: Z-route is 800 hours of Dutch lessons plus 800 hours of participation, no exam."""
    return taal_minuten >= Z_TAAL_MINUTEN and participatie_minuten >= Z_PARTICIPATIE_MINUTEN


def intake_uiterlijk(koppeldatum: date | None) -> date | None:
    """R18: the brede intake within 2 months of the koppeling."""
    return None if koppeldatum is None else add_months(koppeldatum, INTAKE_MAANDEN)


def lbt_uiterlijk(koppeldatum: date | None) -> date | None:
    """R18: the LBT window is open 12 months (from the koppeling, before housing)."""
    return None if koppeldatum is None else add_months(koppeldatum, LBT_MAANDEN)


def pip_uiterlijk(koppeldatum: date | None) -> date | None:
    """R18: the PIP within 10 weeks of BRP registration (the koppeling stands in for it)."""
    return None if koppeldatum is None else koppeldatum + timedelta(weeks=PIP_WEKEN)


def gesprek_uiterlijk(first_pip: date | None, gesprekken: Sequence[date]) -> date | None:
    """R18: voortgangsgesprekken at least twice a year: six months after the PIP or the last."""
    last = max([d for d in gesprekken if first_pip is None or d >= first_pip],
               default=first_pip)
    return None if last is None else add_months(last, GESPREK_MAANDEN)


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def best_passes(exams: Iterable[dict[str, Any]]) -> dict[str, str]:
    """onderdeel -> highest niveau passed (R4); KNM and ONA count as passed at any niveau."""
    best: dict[str, str] = {}
    for exam in exams:
        if exam["uitslag"] != "GESLAAGD":
            continue
        onderdeel, niveau = str(exam["onderdeel"]), str(exam["niveau"])
        if _rank(niveau) >= _rank(best.get(onderdeel)):
            best[onderdeel] = niveau
    return best


def _at_least(niveau: str | None, target: str) -> bool:
    return niveau is not None and _rank(niveau) >= _rank(target)


def _rank(niveau: str | None) -> int:
    return NIVEAUS.index(niveau) if niveau in NIVEAUS else -1

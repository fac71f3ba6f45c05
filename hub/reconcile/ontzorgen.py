"""Financieel ontzorgen (R11) per household, and what a month of a household is (R12). Pure.

R11: ontzorgen is mandatory for asielstatushouders (nareizigers included); a gezinsmigrant or
overige migrant is ontzorgd only when the decision says ``vrijwillig``. Without ``vrijwillig``
a grant runs from its start to the earliest of bijstand start + 6 months, the bijstand end and
the decision's own end, whatever end the decision carries; with ``vrijwillig`` to the
decision's end. Either way it stops at an early end told by anyone (an ISAM decision BEEINDIGD,
a Kredietbank EINDE mutatie). A grant whose person's doelgroep is not known yet (no plicht from
DUO or ISI) is *pending*: its fees are held until the doelgroep is known.

A household's status joins the grants of every member's case (the household id of the ontzorgen
decision, R12), so a fee is judged the same whichever member it is billed under.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from hub.reconcile import facts as k
from hub.reconcile.facts import CaseFacts, as_date
from hub.reconcile.model import Grant, Period
from hub.reconcile.rules import add_months

VERPLICHT_DOELGROEP = "ASIELSTATUSHOUDER"
ONBEKEND = "ONBEKEND"
ZES_MAANDEN = 6


def grants(cf: CaseFacts) -> tuple[Grant, ...]:
    """Every granted decision of the case, latest version of each (R21), by household."""
    out = [g for g in map(grant_of, cf.current(k.ONTZORGEN_BESLUIT)) if g is not None]
    return tuple(sorted(out, key=lambda g: (g.huishouden, g.begin, g.kenmerk)))


def grant_of(r: Mapping[str, Any]) -> Grant | None:
    """A decision as a grant (None unless TOEGEKEND with a start)."""
    if r["besluit"] != "TOEGEKEND" or not r.get("ontzorgen_startdatum"):
        return None
    return Grant(str(r["huishouden_id"]), str(r["besluit_kenmerk"]),
                 as_date(r["ontzorgen_startdatum"]), _day(r.get("ontzorgen_einddatum")),
                 _day(r.get("bijstand_startdatum")), _day(r.get("bijstand_einddatum")),
                 bool(r.get("vrijwillig")))


def decided(cf: CaseFacts) -> frozenset[str]:
    """Every household an ontzorgen decision of the case names, granted or not (R12)."""
    return frozenset(str(r["huishouden_id"]) for r in cf.current(k.ONTZORGEN_BESLUIT))


def stops(cf: CaseFacts) -> tuple[tuple[str, date], ...]:
    """(household, day) of every early end: ISAM BEEINDIGD decisions, Kredietbank EINDE."""
    out = []
    for r in cf.current(k.ONTZORGEN_BESLUIT):
        day = r.get("ontzorgen_einddatum") or r.get("bijstand_einddatum")
        if r["besluit"] == "BEEINDIGD" and day:
            out.append((str(r["huishouden_id"]), as_date(day)))
    out += [(str(r["huishouden_id"]), as_date(r["einddatum"]))
            for r in cf.current(k.ONTZORGEN_EINDE)]
    return tuple(sorted(set(out)))


def cap(grant: Grant, *, bijstand: bool = True) -> date | None:
    """R11 without ``vrijwillig``: bijstand start + 6 months, the bijstand end (unless
    ``bijstand`` is False), the decision end: the earliest."""
    ends = [grant.besluit_einde, grant.bijstand_einde if bijstand else None]
    if grant.bijstand_start is not None:
        ends.append(add_months(grant.bijstand_start, ZES_MAANDEN) - timedelta(days=1))
    return min((d for d in ends if d is not None), default=None)


def eligible(doelgroep: str, grant: Grant) -> bool | None:
    """R11: True when the grant may run, False when the doelgroep excludes it, None: not known."""
    if grant.vrijwillig or doelgroep == VERPLICHT_DOELGROEP:
        return True
    return None if doelgroep == ONBEKEND else False


@dataclass(frozen=True)
class Member:
    """One case of a household as R11 and R12 see it."""

    case_ref: str
    doelgroep: str
    grants: tuple[Grant, ...]
    stops: tuple[tuple[str, date], ...]
    huishoudens: frozenset[str] = frozenset()  # households its decisions name, granted or not


@dataclass(frozen=True)
class Household:
    """A household's ontzorgen over all its members' cases (R11, R12)."""

    huishouden: str
    actief: tuple[Period, ...]  # eligible, after every early end
    pending: tuple[Period, ...]  # grants whose person's doelgroep is not known yet
    uitgesloten: tuple[Period, ...]  # grants R11 excludes (gezinsmigrant, overige, no vrijwillig)
    zes_maanden: tuple[Period, ...]  # eligible grants without the bijstand end (R11)
    besloten: tuple[Period, ...]  # eligible grants as the decisions date them, before the R11 cap
    leden: tuple[str, ...]
    bekend: bool = True  # some member's decision names the household (else: wait for it)

    def maand(self, month: date) -> str:
        """``actief``, ``doelgroep-onbekend``, ``bijstand-beeindigd``, ``na-zes-maanden``,
        ``niet-vrijwillig`` or ``geen``: what the household's ontzorgen says about the month
        starting on ``month``."""
        last = add_months(month, 1) - timedelta(days=1)
        for name, periods in (("actief", self.actief), ("doelgroep-onbekend", self.pending),
                              ("bijstand-beeindigd", self.zes_maanden),
                              ("na-zes-maanden", self.besloten),
                              ("niet-vrijwillig", self.uitgesloten)):
            if any(overlaps(p, month, last) for p in periods):
                return name
        return "geen" if self.bekend else "geen-besluit"

    def intake(self) -> str:
        """``actief``, ``doelgroep-onbekend``, ``niet-vrijwillig`` or ``geen``: R12 pays the
        intake only when ontzorgen was granted and R11 lets it run."""
        if self.actief:
            return "actief"
        if self.pending:
            return "doelgroep-onbekend"
        if self.uitgesloten:
            return "niet-vrijwillig"
        return "geen" if self.bekend else "geen-besluit"


def household(huishouden: str, members: Iterable[Member]) -> Household:
    """The status of one household from every member that names it."""
    actief: list[Period] = []
    pending: list[Period] = []
    uitgesloten: list[Period] = []
    zes_maanden: list[Period] = []
    besloten: list[Period] = []
    leden = []
    members = list(members)
    early = [day for m in members for hh, day in m.stops if hh == huishouden]
    stop = min(early, default=None)
    for m in members:
        own = [g for g in m.grants if g.huishouden == huishouden]
        if own or huishouden in m.huishoudens or any(hh == huishouden for hh, _ in m.stops):
            leden.append(m.case_ref)
        for g in own:
            ok = eligible(m.doelgroep, g)
            einde = g.besluit_einde if g.vrijwillig else cap(g)
            period = _period(g.begin, einde, stop)
            if ok is None:
                pending.append(period)
            elif not ok:
                uitgesloten.append(_period(g.begin, g.besluit_einde, stop))
            else:
                actief.append(period)
                zes = g.besluit_einde if g.vrijwillig else cap(g, bijstand=False)
                zes_maanden.append(_period(g.begin, zes, stop))
                besloten.append(_period(g.begin, g.besluit_einde, stop))
    bekend = any(huishouden in m.huishoudens or any(g.huishouden == huishouden for g in m.grants)
                 for m in members)
    return Household(huishouden, _merge(actief), _merge(pending), _merge(uitgesloten),
                     _merge(zes_maanden), _merge(besloten), tuple(sorted(leden)), bekend)


def households(members: Sequence[Member]) -> dict[str, Household]:
    """Every household the members name, by household id."""
    ids = {g.huishouden for m in members for g in m.grants} | \
        {hh for m in members for hh, _ in m.stops} | {hh for m in members for hh in m.huishoudens}
    return {hh: household(hh, members) for hh in sorted(ids)}


def active_periods(doelgroep: str, grants_: Sequence[Grant],
                   stops_: Sequence[tuple[str, date]]) -> tuple[Period, ...]:
    """R11: one case's eligible ontzorgen periods (for its view), merged per household."""
    me = Member("", doelgroep, tuple(grants_), tuple(stops_))
    return tuple(p for h in households([me]).values() for p in h.actief)


def overlaps(period: Period, first: date, last: date) -> bool:
    """True when some day of [first, last] lies in ``period``."""
    return period.begin <= last and (period.einde is None or first <= period.einde)


def _period(begin: date, einde: date | None, stop: date | None) -> Period:
    ends = [d for d in (einde, stop) if d is not None]
    return Period(begin, min(ends) if ends else None)


def _merge(periods: Sequence[Period]) -> tuple[Period, ...]:
    """Overlapping or adjacent periods as one (a later grant extending an earlier one)."""
    out: list[Period] = []
    for p in sorted(periods, key=lambda p: (p.begin, p.einde or date.max)):
        if p.einde is not None and p.einde < p.begin:
            continue  # ended before it began: nothing ran
        if out and (out[-1].einde is None or p.begin <= out[-1].einde + timedelta(days=1)):
            last = out[-1]
            einde = None if last.einde is None or p.einde is None else max(last.einde, p.einde)
            out[-1] = Period(last.begin, einde)
        else:
            out.append(p)
    return tuple(out)


def _day(value: object) -> date | None:
    return None if value is None else as_date(value)


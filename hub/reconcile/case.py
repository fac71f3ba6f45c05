"""From a case's facts to its ``CaseContext`` and status (R1-R7, R11, R15, R17, R18, R21).

Every value is recomputed from the latest version of each partner record (``current``) on each
projection, so a late or corrected fact (R21) replaces what it corrects and simply moves the
derived dates; nothing is frozen except what the law freezes (R2: the first PIP date is the
earliest any PIP reports; a correction of that PIP itself replaces it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from hub import versions
from hub.reconcile import facts as k
from hub.reconcile import ontzorgen, rules
from hub.reconcile.facts import CaseFacts, as_date, iso
from hub.reconcile.model import CaseContext, Hours, Pib, Route
from hub.reconcile.moves import Move, residences

KeurmerkOn = Callable[[str, date], bool]


def context(case_ref: str, cf: CaseFacts) -> CaseContext:
    """The normalised facts the invoice rules decide on."""
    plicht = plicht_record(cf)
    start = as_date(plicht["plicht_startdatum"]) if plicht else None
    doelgroep = str(plicht["doelgroep"]) if plicht else "ONBEKEND"
    grants, stops = ontzorgen.grants(cf), ontzorgen.stops(cf)
    return CaseContext(
        case_ref=case_ref, regime=rules.regime(start, plicht["regime"] if plicht else None),
        doelgroep=doelgroep, plicht_start=start, plicht_voldaan_op=None,
        residences=residences(_koppeling(cf), _moves(cf)), routes=_routes(cf),
        hours=_hours(cf), ontzorgen=ontzorgen.active_periods(doelgroep, grants, stops),
        pib=_pib(cf), huishoudens=ontzorgen.decided(cf),
        grants=grants, stops=stops,
    )


def plicht_record(cf: CaseFacts) -> dict[str, Any] | None:
    """R1, R21: the plicht in force: the latest version of the newest plicht record (DUO's
    before ISI's, which carries no version order)."""
    plicht = cf.current(k.PLICHT)
    return plicht[-1] if plicht else None


def current_pip(cf: CaseFacts) -> dict[str, Any] | None:
    """The PIP in force: the latest dagtekening over every PIP's latest version (R2, R21)."""
    pips = cf.current_with_ids(k.PIP)
    if not pips:
        return None
    return max(pips, key=lambda p: (iso(p[1]["dagtekening"]),
                                    versions.version_key(p[1], p[0])))[1]


def first_pip(cf: CaseFacts) -> date | None:
    """R2: the earliest first-PIP dagtekening any PIP reports (latest version of each, R21)."""
    return rules.first_pip_date(as_date(r["dagtekening_eerste_pip"]) for r in cf.current(k.PIP))


def verlengingen(cf: CaseFacts) -> list[int]:
    """R2: weeks of each granted verlenging, one per DUO besluit (latest version, R21)."""
    return [int(r["verlenging_weken"]) for r in cf.current(k.TERMIJN)
            if r.get("beslissing") in ("TOEGEKEND", "GEDEELTELIJK_TOEGEKEND")]


def minutes(hours: Sequence[Hours], keurmerk: KeurmerkOn | None = None) -> dict[str, int]:
    """Total minutes per kind over every aanbieder (R5, R6); with ``keurmerk`` only reports of
    providers holding it on the period's end date (R5)."""
    totals = dict.fromkeys(("aangeboden", "taal", "knm", "participatie", "ona"), 0)
    latest_cumulative: dict[str, Hours] = {}
    for h in hours:
        if keurmerk is not None and not keurmerk(h.aanbieder, h.einde):
            continue
        if h.cumulatief:  # totals to date: only the latest counts
            seen = latest_cumulative.get(h.aanbieder)
            if seen is None or (h.einde, h.begin) > (seen.einde, seen.begin):
                latest_cumulative[h.aanbieder] = h
        else:
            _add(totals, h)
    for h in latest_cumulative.values():
        _add(totals, h)
    return totals


def _add(totals: dict[str, int], h: Hours) -> None:
    totals["aangeboden"] += h.aangeboden
    totals["taal"] += h.gevolgd_taal
    totals["knm"] += h.gevolgd_knm
    totals["participatie"] += h.gevolgd_participatie
    totals["ona"] += h.gevolgd_ona


def _koppeling(cf: CaseFacts) -> tuple[str, date] | None:
    """The first koppeling by date (DUO or ISAM, latest version of each), then version order."""
    items = [(as_date(r["koppeldatum"]), versions.version_key(r, mid), str(r["gemeentecode"]))
             for mid, r in cf.current_with_ids(k.KOPPELING)]
    if not items:
        return None
    day, _, code = min(items)
    return code, day


def _moves(cf: CaseFacts) -> list[Move]:
    return [Move(as_date(r["verhuisdatum"]), str(r["gemeentecode_oud"]),
                 str(r["gemeentecode_nieuw"]), mid) for mid, r in cf.current_with_ids(k.VERHUIZING)]


def _routes(cf: CaseFacts) -> tuple[Route, ...]:
    """R9: routes bought by a PIP naming a school, or confirmed by a school's accepted
    bevestiging (the aanmelding where no PIP exists: taalaanbieder FORMAT.md §6)."""
    routes = {Route(_opt(r.get("taalaanbieder")), str(r["leerroute"]), str(r["niveau"]),
                    _opt(r.get("contract_id")), as_date(r["dagtekening"]))
              for r in cf.current(k.PIP)}
    pip = current_pip(cf)
    for r in cf.current(k.BEVESTIGING):
        if r.get("status") != "GEACCEPTEERD":
            continue
        school, begin = str(r["taalaanbieder"]), as_date(r.get("startdatum") or r["bevestigd_op"])
        if pip is not None:
            routes.add(Route(school, str(pip["leerroute"]), str(pip["niveau"]),
                             _opt(pip.get("contract_id")), begin))
        else:
            routes.add(Route(school, _reported_route(cf, school), "A2", None, begin))
    return tuple(sorted(routes, key=lambda x: (x.vanaf, x.aanbieder or "", x.leerroute,
                                               x.contract_id or "", x.niveau)))


def _reported_route(cf: CaseFacts, school: str) -> str:
    """The leerroute a school reports for a case without a PIP (Wi2013): the latest voortgang
    naming one, else B1 (a Wi2013 course is priced at the contract's B1-route row)."""
    named = [str(r["leerroute"]) for r in cf.current(k.VOORTGANG)
             if r["taalaanbieder"] == school and r.get("leerroute")]
    return named[-1] if named else "B1"


def _hours(cf: CaseFacts) -> tuple[Hours, ...]:
    """Presentie and voortgang: the latest version of each report (R21)."""
    result = [Hours(str(r["taalaanbieder"]), as_date(r["periode_begindatum"]),
                    as_date(r["periode_einddatum"]), int(r["minuten_aangeboden"]),
                    int(r["minuten_gevolgd_taal"]), int(r["minuten_gevolgd_knm"]),
                    int(r["minuten_gevolgd_participatie"]), int(r["minuten_gevolgd_ona"]),
                    int(r["minuten_verzuim_geoorloofd"]), int(r["minuten_verzuim_ongeoorloofd"]),
                    bool(r["cumulatief"])) for r in _reports(cf)]
    return tuple(sorted(result, key=lambda h: (h.aanbieder, h.begin, h.einde)))


def _reports(cf: CaseFacts) -> list[dict[str, Any]]:
    """One report per school and period: the latest version (a report without a partner
    version, recorded before versions existed, counts once per school and period)."""
    chosen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in cf.current(k.VOORTGANG):
        chosen[(str(r["taalaanbieder"]), iso(r["periode_begindatum"]),
                iso(r["periode_einddatum"]))] = r
    return list(chosen.values())


def _pib(cf: CaseFacts) -> tuple[Pib, ...]:
    plans = {str(r["pib_traject_id"]): r for r in cf.current(k.PIB_PLAN)}
    budgets = {str(r["pib_traject_id"]): r for r in cf.current(k.PIB_BUDGET)}
    starts: dict[str, date] = {}
    for r in cf.current(k.PIB_VOUCHER):
        if r.get("trajectstartdatum"):
            tid, day = str(r["pib_traject_id"]), as_date(r["trajectstartdatum"])
            starts[tid] = min(day, starts.get(tid, day))
    result = []
    for tid in sorted(set(plans) | set(budgets)):
        plan, budget = plans.get(tid), budgets.get(tid)
        begin = starts.get(tid) or (as_date(plan["geplande_startdatum"])
                                    if plan and plan.get("geplande_startdatum") else None)
        result.append(Pib(
            tid, goedgekeurd=budget is not None or (plan or {}).get("status") == "GOEDGEKEURD",
            scholingsbudget_cent=int((budget or plan or {}).get("scholingsbudget_cent") or 0),
            meerkosten_cent=int((budget or plan or {}).get("meerkosten_cent") or 0),
            bonus_cent=int((budget or {}).get("bonus_cent") or 0), startdatum=begin))
    return tuple(result)


def _opt(value: Any) -> str | None:
    return None if value in (None, "") else str(value)

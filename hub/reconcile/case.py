"""From a case's facts to its ``CaseContext`` and status (R1-R7, R11, R15, R17, R18, R21).

Every value is recomputed from all facts on each projection, so a late or corrected fact
(R21) simply moves the derived dates; nothing is frozen except what the law freezes (R2:
the first PIP date is the earliest ever reported).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from hub.reconcile import facts as k
from hub.reconcile import rules
from hub.reconcile.facts import CaseFacts, as_date, iso, latest_per
from hub.reconcile.model import CaseContext, Hours, Period, Pib, Route
from hub.reconcile.moves import Move, residences

KeurmerkOn = Callable[[str, date], bool]


def context(case_ref: str, cf: CaseFacts) -> CaseContext:
    """The normalised facts the invoice rules decide on."""
    plicht = cf.records(k.PLICHT)
    start = min((as_date(r["plicht_startdatum"]) for r in plicht), default=None)
    told = plicht[-1]["regime"] if plicht else None
    doelgroep = str(plicht[-1]["doelgroep"]) if plicht else "ONBEKEND"
    return CaseContext(
        case_ref=case_ref, regime=rules.regime(start, told), doelgroep=doelgroep,
        plicht_start=start, plicht_voldaan_op=None,
        residences=residences(_koppeling(cf), _moves(cf)), routes=_routes(cf),
        hours=_hours(cf), ontzorgen=_ontzorgen(cf), pib=_pib(cf),
        huishoudens=frozenset(str(r["huishouden_id"])
                              for r in cf.records(k.ONTZORGEN_BESLUIT)
                              if r["besluit"] == "TOEGEKEND"),
    )


def current_pip(cf: CaseFacts) -> dict[str, Any] | None:
    """The PIP in force: the latest by dagtekening, then version (R2: the first stays first)."""
    pips = cf.records(k.PIP)
    return max(pips, key=lambda r: iso(r["dagtekening"]), default=None) if pips else None


def first_pip(cf: CaseFacts) -> date | None:
    """R2: the earliest first-PIP dagtekening any PIP reported."""
    return rules.first_pip_date(as_date(r["dagtekening_eerste_pip"]) for r in cf.records(k.PIP))


def verlengingen(cf: CaseFacts) -> list[int]:
    """R2: weeks of each granted verlenging, one per DUO besluit (latest version)."""
    besluiten = latest_per(cf.records(k.TERMIJN), lambda r: (iso(r["besluitdatum"]),
                                                              r.get("aanvraag_message_id")))
    return [int(r["verlenging_weken"]) for r in besluiten
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
    """The first koppeling by date (DUO or ISAM), message id breaking ties."""
    items = [(as_date(r["koppeldatum"]), mid, str(r["gemeentecode"]))
             for mid, r in cf.with_ids(k.KOPPELING)]
    if not items:
        return None
    day, _, code = min(items)
    return code, day


def _moves(cf: CaseFacts) -> list[Move]:
    return [Move(as_date(r["verhuisdatum"]), str(r["gemeentecode_oud"]),
                 str(r["gemeentecode_nieuw"]), mid) for mid, r in cf.with_ids(k.VERHUIZING)]


def _routes(cf: CaseFacts) -> tuple[Route, ...]:
    routes = {Route(_opt(r.get("taalaanbieder")), str(r["leerroute"]), str(r["niveau"]),
                    _opt(r.get("contract_id")), as_date(r["dagtekening"]))
              for r in cf.records(k.PIP)}
    pip = current_pip(cf)
    for r in cf.records(k.BEVESTIGING):
        if r.get("status") == "GEACCEPTEERD" and pip is not None:
            begin = r.get("startdatum") or r["bevestigd_op"]
            routes.add(Route(str(r["taalaanbieder"]), str(pip["leerroute"]), str(pip["niveau"]),
                             _opt(pip.get("contract_id")), as_date(begin)))
    return tuple(sorted(routes, key=lambda x: (x.vanaf, x.aanbieder or "", x.leerroute,
                                               x.contract_id or "", x.niveau)))


def _hours(cf: CaseFacts) -> tuple[Hours, ...]:
    reports = latest_per(cf.records(k.VOORTGANG), lambda r: (
        str(r["taalaanbieder"]), iso(r["periode_begindatum"]), iso(r["periode_einddatum"])))
    result = [Hours(str(r["taalaanbieder"]), as_date(r["periode_begindatum"]),
                    as_date(r["periode_einddatum"]), int(r["minuten_aangeboden"]),
                    int(r["minuten_gevolgd_taal"]), int(r["minuten_gevolgd_knm"]),
                    int(r["minuten_gevolgd_participatie"]), int(r["minuten_gevolgd_ona"]),
                    int(r["minuten_verzuim_geoorloofd"]), int(r["minuten_verzuim_ongeoorloofd"]),
                    bool(r["cumulatief"])) for r in reports]
    return tuple(sorted(result, key=lambda h: (h.aanbieder, h.begin, h.einde)))


def _ontzorgen(cf: CaseFacts) -> tuple[Period, ...]:
    """R11: per household from the granted start to the earliest end told by anyone."""
    periods = []
    besluiten = cf.records(k.ONTZORGEN_BESLUIT)
    for hh in sorted({str(r["huishouden_id"]) for r in besluiten}):
        granted = [r for r in besluiten if r["huishouden_id"] == hh and r["besluit"] == "TOEGEKEND"
                   and r.get("ontzorgen_startdatum")]
        if not granted:
            continue
        begin = min(as_date(r["ontzorgen_startdatum"]) for r in granted)
        ends = [as_date(r["ontzorgen_einddatum"]) for r in granted if r.get("ontzorgen_einddatum")]
        planned = max(ends) if ends else None
        stops = [as_date(r.get("ontzorgen_einddatum") or r.get("bijstand_einddatum"))
                 for r in besluiten if r["huishouden_id"] == hh and r["besluit"] == "BEEINDIGD"
                 and (r.get("ontzorgen_einddatum") or r.get("bijstand_einddatum"))]
        stops += [as_date(r["einddatum"]) for r in cf.records(k.ONTZORGEN_EINDE)
                  if r["huishouden_id"] == hh]
        einde = min([*stops, planned] if planned else stops, default=None)
        periods.append(Period(begin, einde))
    return tuple(periods)


def _pib(cf: CaseFacts) -> tuple[Pib, ...]:
    plans = {str(r["pib_traject_id"]): r for r in cf.records(k.PIB_PLAN)}
    budgets = {str(r["pib_traject_id"]): r for r in cf.records(k.PIB_BUDGET)}
    starts: dict[str, date] = {}
    for r in cf.records(k.PIB_VOUCHER):
        if r.get("trajectstartdatum"):
            starts.setdefault(str(r["pib_traject_id"]), as_date(r["trajectstartdatum"]))
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

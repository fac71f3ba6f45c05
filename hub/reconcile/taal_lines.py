"""Taalaanbieder invoice lines: no service after the plicht ended (R24), keurmerk (R8), contract
price and delivered hours (R9), and the DUO lening limits (R13). Pure: each check reads the line,
the case, the tables and the ledger.

Billable hours (R9) per contract ``grondslag``: ``aangeboden`` counts the hours offered;
``gevolgd`` counts attended hours (taal, KNM, participatie, ONA) plus excused absence. A report
without offered hours (the DUO school file says 0) counts its attended plus excused hours under
either grondslag. Periodic reports of the supplier that overlap the line period form the line's
pool. Only when none overlaps, the cumulative reports (DUO file) are used: the latest total
dated inside the line period minus the latest total of the same course dated before it. Lines
share a pool: hours taken by an approved line (of an invoice not credited in full) are not
available to a later one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import astuple, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from hub.reconcile.ledger import TAAL, Ledger, Line, Verdict
from hub.reconcile.model import CaseContext, Hours, Route
from hub.reconcile.rules import add_months
from hub.reconcile.tables import ContractPrijs, Tables

Pool = dict[tuple[str, ...], int]  # pool key -> reported minutes


@dataclass
class Probe:
    """One line under examination, with what the checks found so far."""

    line: Line
    ctx: CaseContext
    tables: Tables
    ledger: Ledger
    bewijs: dict[str, Any] = field(default_factory=dict)
    route: Route | None = None
    contract: ContractPrijs | None = None
    pool: Pool = field(default_factory=dict)
    take: tuple[tuple[tuple[str, ...], int], ...] = ()


def decide_taal(line: Line, ctx: CaseContext, tables: Tables, ledger: Ledger) -> Verdict:
    """R24, R8, R9 and R13 on a taalaanbieder line; the first failing check decides."""
    p = Probe(line, ctx, tables, ledger)
    checks: tuple[Callable[[Probe], str | None], ...] = (
        _na_einde_plicht, _aanmelding, _keurmerk, _contract, _eenheid, _prijs, _presentie,
        _geleverd,
        _dubbele_periode, _vrije_uren, _na_plicht_voldaan, _kwartaalplafond)
    for check in checks:
        code = check(p)
        if code is not None:
            return Verdict(code, p.bewijs)
    return Verdict("R9.akkoord", p.bewijs, cents=line.bedrag, hours=p.take)


def route_for(ctx: CaseContext, aanbieder: str, einde: date) -> Route | None:
    """The latest route bought at ``aanbieder`` starting on or before ``einde`` (R9)."""
    routes = [r for r in ctx.routes if r.aanbieder == aanbieder and r.vanaf <= einde]
    return max(routes, key=lambda r: (r.vanaf, r.leerroute, r.niveau, r.contract_id or ""),
               default=None)


def _na_einde_plicht(p: Probe) -> str | None:
    """R24: no leerroute service after the plicht ended (voldaan or ontheffing); a line whose
    service period starts after that day is refused, the month it ended in is paid."""
    einde = p.ctx.plicht_voldaan_op
    if einde is None:
        return None
    p.bewijs["plicht_beeindigd_op"] = einde.isoformat()
    return "R24.na-einde-plicht" if p.line.begin > einde else None


def _aanmelding(p: Probe) -> str | None:
    """R9: the case must be aangemeld (PIP or aanmelding) at this supplier."""
    p.route = route_for(p.ctx, p.line.doc.leverancier, p.line.einde)
    if p.route is None:
        return "R9.geen-aanmelding"
    p.bewijs.update(leerroute=p.route.leerroute, aanmelding_vanaf=p.route.vanaf.isoformat())
    return None


def _keurmerk(p: Probe) -> str | None:
    """R8: keurmerk on the service date; the onderwijsroute is supervised otherwise."""
    assert p.route is not None
    if p.route.leerroute == "ONDERWIJS":
        p.bewijs["keurmerk"] = "n.v.t. (onderwijsroute)"
        return None
    held = p.tables.keurmerk(p.line.doc.leverancier, p.line.begin)
    p.bewijs["keurmerk"] = held
    return None if held else "R8.geen-keurmerk"


def _contract(p: Probe) -> str | None:
    """R9: a dated contract price for supplier and leerroute must exist."""
    assert p.route is not None
    p.contract = p.tables.contract_price(p.line.doc.leverancier, p.route.leerroute,
                                         p.line.begin)
    if p.contract is None:
        return "R9.geen-contractprijs"
    p.bewijs.update(contractprijs_cent=p.contract.prijs_per_uur_cent,
                    grondslag=p.contract.grondslag)
    return None


def _eenheid(p: Probe) -> str | None:
    """R9: contracts price hours, so a line must be in hours."""
    return None if p.line.eenheid == "HUR" else "R9.eenheid"


def _prijs(p: Probe) -> str | None:
    """R9: the unit price equals the contract price."""
    assert p.contract is not None
    p.bewijs["eenheidsprijs_cent"] = p.line.prijs
    return None if p.line.prijs == p.contract.prijs_per_uur_cent else "R9.prijs"


def _presentie(p: Probe) -> str | None:
    """R9: hours must have been reported for the line period."""
    assert p.contract is not None
    pool = reported_pool(p.ctx, p.line.doc.leverancier, p.line.begin, p.line.einde,
                         p.contract.grondslag)
    if not pool:
        return "R9.geen-presentie"
    p.pool = pool
    p.bewijs.update(uren_gefactureerd=_uren(p.line.milli * 60),
                    uren_gemeld=_uren(sum(pool.values()) * 1000))
    return None


def _geleverd(p: Probe) -> str | None:
    """R9: the line alone may not bill more hours than were reported."""
    return "R9.uren-niet-geleverd" if _billed(p) > sum(p.pool.values()) * 1000 else None


def _dubbele_periode(p: Probe) -> str | None:
    """R9: a period already approved under another invoice number is not billed again."""
    before = p.ledger.billed_before(p.line, (TAAL,))
    if before is None:
        return None
    p.bewijs["eerder_factuurnummer"] = before.line.doc.factuurnummer
    return "R9.dubbele-periode"


def _vrije_uren(p: Probe) -> str | None:
    """R9: hours already approved on another line of this period are not approved twice."""
    need, take = _billed(p), []
    free = {key: minutes * 1000 - p.ledger.used(key) for key, minutes in sorted(p.pool.items())}
    p.bewijs["uren_al_goedgekeurd"] = _uren(sum(p.pool.values()) * 1000 - sum(free.values()))
    if need > sum(free.values()):
        return "R9.uren-niet-geleverd"
    for key, available in free.items():
        portion = min(need, max(available, 0))
        if portion > 0:
            take.append((key, portion))
            need -= portion
    p.take = tuple(take)
    return None


def lening_applies(ctx: CaseContext) -> bool:
    """R13: the DUO lening runs for Wi2013 and gezinsmigranten, not Wi2021 statushouders."""
    return ctx.regime == "WI2013" or ctx.doelgroep == "GEZINSMIGRANT"


def _na_plicht_voldaan(p: Probe) -> str | None:
    """R13: the last invoice within 4 months after the plicht was met or ended, judged by the
    invoice's issue date (not the service date)."""
    voldaan = p.ctx.plicht_voldaan_op
    if not lening_applies(p.ctx) or voldaan is None:
        return None
    uiterlijk = add_months(voldaan, 4)
    p.bewijs.update(plicht_voldaan_op=voldaan.isoformat(), factuur_uiterlijk=uiterlijk.isoformat(),
                    factuurdatum=p.line.doc.factuurdatum.isoformat())
    return "R13.na-plicht-voldaan" if p.line.doc.factuurdatum > uiterlijk else None


def _kwartaalplafond(p: Probe) -> str | None:
    """R13: approved amounts per calendar quarter, over all suppliers, stay under the cap."""
    if not lening_applies(p.ctx):
        return None
    cap = p.tables.lening_cap(p.line.begin)
    if cap is None:
        return "R13.geen-leningplafond"
    quarter = _quarter(p.line.begin)
    spent = p.ledger.net(TAAL, lambda day: _quarter(day) == quarter)
    p.bewijs.update(kwartaalplafond_cent=cap, kwartaal_al_goedgekeurd_cent=spent)
    return "R13.lening-kwartaalplafond" if spent + p.line.bedrag > cap else None


def reported_pool(ctx: CaseContext, aanbieder: str, begin: date, einde: date,
                  grondslag: str) -> Pool:
    """Reported billable minutes per report that may pay for a line over [begin, einde]."""
    pool: Pool = {}
    for h in ctx.hours:
        if h.aanbieder == aanbieder and not h.cumulatief and h.begin <= einde \
                and begin <= h.einde:
            key = (aanbieder, "periode", h.begin.isoformat(), h.einde.isoformat())
            pool[key] = max(pool.get(key, 0), billable_minutes(h, grondslag))
    return pool or _cumulative_pool(ctx, aanbieder, begin, einde, grondslag)


def _cumulative_pool(ctx: CaseContext, aanbieder: str, begin: date, einde: date,
                     grondslag: str) -> Pool:
    totals = [h for h in ctx.hours if h.aanbieder == aanbieder and h.cumulatief]
    upto = max((h for h in totals if begin <= h.einde <= einde), key=astuple, default=None)
    if upto is None:
        return {}
    before = max((h for h in totals if h.begin == upto.begin and h.einde < begin),
                 key=astuple, default=None)
    earlier = billable_minutes(before, grondslag) if before else 0
    key = (aanbieder, "cumulatief", upto.begin.isoformat(),
           before.einde.isoformat() if before else "", upto.einde.isoformat())
    return {key: max(billable_minutes(upto, grondslag) - earlier, 0)}


def billable_minutes(h: Hours, grondslag: str) -> int:
    """Billable minutes of one report under the contract's grondslag (R9)."""
    if grondslag == "aangeboden" and h.aangeboden > 0:
        return h.aangeboden
    return (h.gevolgd_taal + h.gevolgd_knm + h.gevolgd_participatie + h.gevolgd_ona
            + h.verzuim_geoorloofd)


def _billed(p: Probe) -> int:
    return p.line.milli * 60  # thousandths of an hour -> thousandths of a minute


def _quarter(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3


def _uren(milli_minutes: int) -> str:
    return f"{(Decimal(milli_minutes) / 60000).quantize(Decimal('0.001')).normalize():f}"

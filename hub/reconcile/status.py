"""Where a case stands: termijn, hours, plicht, afschalen and R18 deadlines, as view fields."""

from __future__ import annotations

from datetime import date
from typing import Any

from hub.reconcile import facts as k
from hub.reconcile import rules
from hub.reconcile.case import KeurmerkOn, current_pip, first_pip, minutes, verlengingen
from hub.reconcile.facts import CaseFacts, as_date, iso
from hub.reconcile.model import CaseContext

REQUIRED_WI2021 = (*rules.B1_VAARDIGHEDEN, "KNM")
REQUIRED_WI2013 = (*rules.B1_VAARDIGHEDEN, "KNM", "ONA")


def status(cf: CaseFacts, ctx: CaseContext, keurmerk: KeurmerkOn) -> dict[str, Any]:
    """The status part of the case view (every date ISO, every count in minutes)."""
    pip = current_pip(cf)
    leerroute = str(pip["leerroute"]) if pip else "ONBEKEND"
    niveau = str(pip["niveau"]) if pip else "B1"
    eerste = first_pip(cf)
    totals = minutes(ctx.hours)
    keurmerk_taal = minutes(ctx.hours, keurmerk)["taal"]
    exams_on = _exams_on(cf, leerroute, niveau, ctx.regime)
    z_done = leerroute == "Z" and rules.z_route_voltooid(totals["taal"], totals["participatie"])
    route_on = exams_on if leerroute != "Z" else (_last_report(ctx) if z_done else None)
    pvt_on, map_on = _voldaan_on(cf, k.PVT), _voldaan_on(cf, k.MAP)
    ontheffing_on = min((as_date(r["ingangsdatum"]) for r in cf.current(k.ONTHEFFING)),
                        default=None)
    voldaan = rules.plicht_voldaan(leerroute=leerroute, route_done=route_on is not None,
                                   pvt=pvt_on is not None, map_=map_on is not None,
                                   ontheffing=ontheffing_on is not None, regime_=ctx.regime)
    voldaan_op = ontheffing_on if ontheffing_on is not None else (
        max(d for d in (route_on, pvt_on, map_on) if d is not None) if voldaan else None)
    koppeldatum = ctx.residences[0].vanaf if ctx.residences else None
    intakes = sorted(as_date(r["gespreksdatum"]) for r in cf.current(k.GESPREK)
                     if r["soort"] == "BREDE_INTAKE")
    gesprekken = [as_date(r["gespreksdatum"]) for r in cf.current(k.GESPREK)
                  if r["soort"] == "VOORTGANGSGESPREK"]
    wi2021 = ctx.regime in ("WI2021", "ONBEKEND")  # R18: Wi2021 only (or not known yet)
    return {
        "regime": ctx.regime, "doelgroep": ctx.doelgroep,
        "plicht_start": iso(ctx.plicht_start) or None,
        "route": {"leerroute": leerroute, "niveau": niveau,
                  "aanbieder": pip.get("taalaanbieder") if pip else None,
                  "contract_id": pip.get("contract_id") if pip else None},
        "route_sinds": iso(pip["dagtekening"]) if pip else None,
        "eerste_pip": iso(eerste) or None,
        "termijn_einde": iso(rules.termijn_einde(eerste, verlengingen(cf))) or None,
        "verlenging_weken": sum(verlengingen(cf)),
        "minuten": {**totals, "taal_keurmerk": keurmerk_taal},
        "z_route_voltooid": z_done,
        "afschalen_mogelijk": rules.afschalen_mogelijk(leerroute, keurmerk_taal,
                                                       exams_on is not None) and not voldaan,
        "afschalen_te_vroeg": _afschalen_te_vroeg(pip, ctx, keurmerk),
        "plicht_voldaan": voldaan, "plicht_voldaan_op": iso(voldaan_op) or None,
        "deadlines": {} if not wi2021 else {
            "intake_uiterlijk": iso(rules.intake_uiterlijk(koppeldatum)) or None,
            "intake_op": iso(intakes[0]) if intakes else None,
            "lbt_uiterlijk": iso(rules.lbt_uiterlijk(koppeldatum)) or None,
            "lbt_op": iso(min((as_date(r["afnamedatum"]) for r in cf.current(k.LBT)),
                              default=None)) or None,
            "pip_uiterlijk": iso(rules.pip_uiterlijk(koppeldatum)) or None,
            "pip_op": iso(eerste) or None,
            "gesprek_uiterlijk": iso(rules.gesprek_uiterlijk(eerste, gesprekken)) or None,
        },
    }


def _afschalen_te_vroeg(pip: dict[str, Any] | None, ctx: CaseContext,
                        keurmerk: KeurmerkOn) -> bool:
    """R5: a B1-route PIP lowered to A2 before 600 hours at a keurmerk provider were reported
    (hours counted up to the PIP's dagtekening)."""
    if pip is None or pip["leerroute"] != "B1" or pip["niveau"] != "A2":
        return False
    on = as_date(pip["dagtekening"])
    before = tuple(h for h in ctx.hours if h.einde <= on)
    return minutes(before, keurmerk)["taal"] < rules.AFSCHALEN_MINUTEN


def _exams_on(cf: CaseFacts, leerroute: str, niveau: str, regime: str) -> date | None:
    """R4, R5: the day the last required exam was passed, or None while any is missing."""
    exams = cf.current(k.EXAMEN)
    if not rules.exams_met(leerroute, niveau, regime, rules.best_passes(exams)):
        return None
    required = REQUIRED_WI2013 if regime in ("WI2013", "WI2007") else REQUIRED_WI2021
    target = "A2" if regime in ("WI2013", "WI2007") else (niveau if niveau != "ONBEKEND" else "B1")
    firsts = []
    for onderdeel in required:
        days = [as_date(r["examendatum"]) for r in exams
                if r["onderdeel"] == onderdeel and r["uitslag"] == "GESLAAGD"
                and (onderdeel in ("KNM", "ONA") or rules.best_passes([r]).get(onderdeel)
                     in rules.NIVEAUS[rules.NIVEAUS.index(target):])]
        firsts.append(min(days))
    return max(firsts)


def _voldaan_on(cf: CaseFacts, kind: str) -> date | None:
    """R4: the earliest afrondingsdatum of a VOLDAAN result (latest version of each, R21)."""
    days = [as_date(r["afrondingsdatum"]) for r in cf.current(kind) if r["resultaat"] == "VOLDAAN"]
    return min(days, default=None)


def _last_report(ctx: CaseContext) -> date | None:
    return max((h.einde for h in ctx.hours), default=None)


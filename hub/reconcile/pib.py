"""PIB (Wi2007 pilots, R22): taalaanbieder lines against the approved trajectplan budget instead
of contract prices, and the decisions on vouchers and bonuses. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hub.reconcile.ledger import PIB, REASONS, Ledger, Line, Verdict, as_date
from hub.reconcile.model import GOEDGEKEURD, CaseContext
from hub.versions import version_key

MEERKOSTEN_MAX_CENT = 100_000  # R22: meerkosten up to 1,000 EUR per person
VOUCHER_MAX_CENT = 25_000  # R22: bonus or makelaar fee up to 250 EUR
FORMS = {"INBURGERAAR": "VOUCHER", "MAKELAAR_PROFESSIONAL": "GELD",
         "MAKELAAR_VRIJWILLIGER": "VOUCHER"}


def pib_applies(ctx: CaseContext) -> bool:
    """R22: a Wi2007 case with a PIB traject is paid from its budget, not by contract price."""
    return ctx.regime == "WI2007" and bool(ctx.pib)


def budget_cent(ctx: CaseContext) -> int:
    """R22: scholingsbudget plus meerkosten (at most 1,000 EUR) of the approved trajecten."""
    return sum(p.scholingsbudget_cent + min(p.meerkosten_cent, MEERKOSTEN_MAX_CENT)
               for p in ctx.pib if p.goedgekeurd)


def decide_pib(line: Line, ctx: CaseContext, ledger: Ledger) -> Verdict:
    """R22 on a taalaanbieder line of a PIB case: approved plan, no double period, budget."""
    if not any(p.goedgekeurd for p in ctx.pib):
        return Verdict("R22.plan-niet-goedgekeurd", {})
    before = ledger.billed_before(line, (PIB,))
    if before is not None:
        return Verdict("R9.dubbele-periode",
                       {"eerder_factuurnummer": before.line.doc.factuurnummer})
    budget, spent = budget_cent(ctx), ledger.net(PIB, lambda day: True)
    bewijs = {"pib_budget_cent": budget, "pib_al_goedgekeurd_cent": spent}
    if spent + line.bedrag > budget:
        return Verdict("R22.budget-overschreden", bewijs)
    return Verdict("R22.akkoord", bewijs, cents=line.bedrag)


def vouchers(ctx: CaseContext, vouchers: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One R22 decision per voucher id on its latest status, sorted by voucher id."""
    latest: dict[str, Mapping[str, Any]] = {}
    for record in vouchers:
        current = latest.get(str(record["voucher_id"]))
        if current is None or _version(record) > _version(current):
            latest[str(record["voucher_id"])] = record
    return [_decision(ctx, latest[vid]) for vid in sorted(latest)]


def _version(record: Mapping[str, Any]) -> tuple[Any, ...]:
    """Status date, then the partner's version order (R21), never when it was received."""
    return as_date(record["statusdatum"]), version_key(record, str(record["message_id"]))


def voucher_reason(ctx: CaseContext, record: Mapping[str, Any]) -> str:
    """The R22 reason code for one voucher version."""
    if record["status"] == "INGETROKKEN":
        return "R22.ingetrokken"
    if int(record["waarde_cent"]) > VOUCHER_MAX_CENT:
        return "R22.voucher-te-hoog"
    if record["ontvanger"] == "INBURGERAAR":
        start = min((p.startdatum for p in ctx.pib
                     if p.traject_id == record["pib_traject_id"] and p.startdatum), default=None)
        if start is None or as_date(record["statusdatum"]) < start:
            return "R22.bonus-voor-start"
    if FORMS.get(str(record["ontvanger"])) != record["vorm"]:
        return "R22.vorm"
    return "R22.akkoord"


def _decision(ctx: CaseContext, record: Mapping[str, Any]) -> dict[str, Any]:
    code = voucher_reason(ctx, record)
    beslissing, toelichting = REASONS[code]
    day = as_date(record["statusdatum"])
    waarde = int(record["waarde_cent"])
    return {
        "voucher_id": str(record["voucher_id"]), "message_id": str(record["message_id"]),
        "pib_traject_id": str(record["pib_traject_id"]), "ontvanger": str(record["ontvanger"]),
        "vorm": str(record["vorm"]), "status": str(record["status"]),
        "statusdatum": day.isoformat(), "waarde_cent": waarde,
        "beslissing": beslissing, "reden": code, "regel": "R22", "toelichting": toelichting,
        "goedgekeurd_cent": waarde if beslissing == GOEDGEKEURD else 0,
        "gemeentecode": str(record["gemeentecode"]), "begrotingsjaar": day.year,
    }

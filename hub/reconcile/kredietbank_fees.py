"""Kredietbank invoice lines (R12): intake once per household, budgetbeheer once per month of
active ontzorgen, both at the dated tariff of ``kredietbank.csv``. Pure.

The service is read from the line description ("Intake financieel ontzorgen", "Budgetbeheer
YYYY-MM"); the household from the line's buyer reference (BT-132), else the case's households.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from hub.reconcile.ledger import Ledger, Line, Verdict
from hub.reconcile.model import CaseContext
from hub.reconcile.rules import add_months
from hub.reconcile.tables import Tables

INTAKE, BUDGETBEHEER = "intake", "budgetbeheer"


def decide_kredietbank(line: Line, ctx: CaseContext, tables: Tables, ledger: Ledger
                       ) -> Verdict:
    """R12 on one Kredietbank line."""
    soort = service(line.omschrijving)
    bewijs: dict[str, Any] = {"dienst": soort}
    if soort is None:
        return Verdict("R12.onbekende-dienst", bewijs)
    fee = tables.kredietbank_fee(line.doc.leverancier, soort, line.begin)
    if fee is None:
        return Verdict("R12.geen-tarief", bewijs)
    bewijs.update(tarief_cent=fee, eenheidsprijs_cent=line.prijs)
    if line.bedrag != fee or line.prijs != fee:
        return Verdict("R12.tarief", bewijs)
    household = _household(line, ctx)
    if soort == INTAKE:
        return _once(("intake", household), "R12.intake-dubbel", line, ledger, bewijs)
    month = line.begin.replace(day=1)
    bewijs["maand"] = f"{month:%Y-%m}"
    active = active_month(ctx, month)
    bewijs["ontzorgen_actief"] = active
    if not active:
        return Verdict("R12.geen-actief-ontzorgen", bewijs)
    return _once(("budgetbeheer", household, f"{month:%Y-%m}"), "R12.budgetbeheer-dubbel",
                 line, ledger, bewijs)


def service(omschrijving: str) -> str | None:
    """intake, budgetbeheer, or None when the description names neither."""
    text = omschrijving.strip().lower()
    if text.startswith("intake"):
        return INTAKE
    return BUDGETBEHEER if text.startswith("budgetbeheer") else None


def active_month(ctx: CaseContext, month: date) -> bool:
    """R11/R12: some day of ``month`` lies in an active ontzorgen period."""
    last = add_months(month, 1).toordinal() - 1
    return any(p.begin.toordinal() <= last and (p.einde is None or month <= p.einde)
               for p in ctx.ontzorgen)


def _household(line: Line, ctx: CaseContext) -> str:
    if line.koper_referentie:
        return line.koper_referentie
    return "|".join(sorted(ctx.huishoudens)) or ctx.case_ref


def _once(tag: tuple[str, ...], dubbel: str, line: Line, ledger: Ledger,
          bewijs: dict[str, Any]) -> Verdict:
    """R12: a fee billed once per tag; a fully credited earlier one no longer counts."""
    earlier = ledger.tagged(tag)
    if earlier is not None:
        bewijs["eerder_factuurnummer"] = earlier.line.doc.factuurnummer
        return Verdict(dubbel, bewijs)
    return Verdict("R12.akkoord", bewijs, cents=line.bedrag, tag=tag)

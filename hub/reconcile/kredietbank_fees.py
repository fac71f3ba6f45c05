"""Kredietbank invoice lines (R11, R12): the intake once per household, budgetbeheer once per
household per month of eligible active ontzorgen, both at the dated tariff of
``kredietbank.csv``. Pure.

The service is read from the line description ("Intake financieel ontzorgen", "Budgetbeheer
YYYY-MM"); the household from the line's buyer reference (BT-132), else the case's household.
"Per household" spans every member's case (the household id of the ontzorgen decision): the
view decides all the household's lines in one canonical order with one ledger, so a fee billed
under two members is approved once, whichever member it is billed under (``households``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.reconcile import ontzorgen
from hub.reconcile.ledger import Ledger, Line, Verdict
from hub.reconcile.model import CaseContext
from hub.reconcile.ontzorgen import Household
from hub.reconcile.tables import Tables

INTAKE, BUDGETBEHEER = "intake", "budgetbeheer"
# What the household's ontzorgen says about a month (ontzorgen.Household.maand) -> reason code.
REFUSAL = {"na-zes-maanden": "R11.na-zes-maanden", "bijstand-beeindigd": "R11.bijstand-beeindigd",
           "niet-vrijwillig": "R11.niet-vrijwillig",
           "doelgroep-onbekend": "R11.doelgroep-onbekend", "geen": "R12.geen-actief-ontzorgen",
           "geen-besluit": "R12.geen-besluit"}
INTAKE_REFUSAL = {**REFUSAL, "geen": "R12.intake-zonder-toekenning"}


def decide_kredietbank(line: Line, ctx: CaseContext, tables: Tables, ledger: Ledger,
                       households: Mapping[str, Household] | None = None) -> Verdict:
    """R11 and R12 on one Kredietbank line of the case ``ctx``."""
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
    home = _household(line, ctx, households)
    bewijs.update(huishouden=home.huishouden, huishouden_leden=list(home.leden),
                  doelgroep=ctx.doelgroep)
    if soort == INTAKE:
        state = home.intake()
        bewijs["ontzorgen"] = state
        if state != "actief":
            return Verdict(INTAKE_REFUSAL[state], bewijs)
        return _once(("intake", home.huishouden), "R12.intake-dubbel", line, ledger, bewijs)
    month = line.begin.replace(day=1)
    state = home.maand(month)
    bewijs.update(maand=f"{month:%Y-%m}", ontzorgen=state, ontzorgen_actief=state == "actief")
    if state != "actief":
        return Verdict(REFUSAL[state], bewijs)
    return _once(("budgetbeheer", home.huishouden, f"{month:%Y-%m}"), "R12.budgetbeheer-dubbel",
                 line, ledger, bewijs)


def service(omschrijving: str) -> str | None:
    """intake, budgetbeheer, or None when the description names neither."""
    text = omschrijving.strip().lower()
    if text.startswith("intake"):
        return INTAKE
    return BUDGETBEHEER if text.startswith("budgetbeheer") else None


def _household(line: Line, ctx: CaseContext, households: Mapping[str, Household] | None
               ) -> Household:
    """The line's household (BT-132, else the case's only household) with every member."""
    ident = line.koper_referentie or "|".join(sorted(ctx.huishoudens)) or ctx.case_ref
    found = (households or {}).get(ident)
    return found if found is not None else _own(ctx, ident)


def _own(ctx: CaseContext, ident: str) -> Household:
    """A household seen from this case alone (no other member known)."""
    member = ontzorgen.Member(ctx.case_ref, ctx.doelgroep, ctx.grants, ctx.stops,
                              ctx.huishoudens)
    return ontzorgen.household(ident, [member])


def _once(tag: tuple[str, ...], dubbel: str, line: Line, ledger: Ledger,
          bewijs: dict[str, Any]) -> Verdict:
    """R12: a fee billed once per tag; a fully credited earlier one no longer counts."""
    earlier = ledger.tagged(tag)
    if earlier is not None:
        bewijs["eerder_factuurnummer"] = earlier.line.doc.factuurnummer
        if earlier.line.case_ref and earlier.line.case_ref != line.case_ref:
            bewijs["eerder_gefactureerd_bij"] = earlier.line.case_ref  # another member
        return Verdict(dubbel, bewijs)
    return Verdict("R12.akkoord", bewijs, cents=line.bedrag, tag=tag)

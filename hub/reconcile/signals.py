"""Signals for the consulent (ISAM): from facts in the view, and from deadlines on a given day.

``from_facts`` gives the signals the facts alone imply (a move, the plicht met, afschalen
possible, an invoice refused): part of the case view, so order independent. ``due`` gives the
deadline signals (intake, PIP, LBT, gesprek overdue; termijn at risk or expired) for ``today``,
passed in.
Each signal has a stable id, so it is sent once however often it is derived.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from hub.reconcile.model import AFGEWEZEN, CaseContext
from hub.reconcile.moves import gemeente_on

TERMIJN_RISICO_DAGEN = 182  # half a year before the end with the plicht not yet met


def signal(case_ref: str, soort: str, gemeente: str | None, regel: str, on: date | str,
           toelichting: str, *, uiterlijk: str | None = None,
           kenmerken: dict[str, str] | None = None, key: str = "") -> dict[str, Any]:
    """One signal as a view entry; its id hashes what makes it this signal."""
    day = on if isinstance(on, str) else on.isoformat()
    code = gemeente or "onbekend"
    ident = hashlib.sha256(f"{case_ref}|{soort}|{code}|{key or day}".encode()).hexdigest()[:32]
    return {"id": ident, "type": soort, "gemeentecode": code, "regel": regel,
            "vastgesteld_op": day, "uiterlijk": uiterlijk, "toelichting": toelichting,
            "kenmerken": dict(sorted((kenmerken or {}).items()))}


def from_facts(ctx: CaseContext, status: dict[str, Any],
               decisions: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """R4, R5, R8-R13, R17: the signals the facts imply, sorted by id."""
    ref, out = ctx.case_ref, []
    for prev, nxt in zip(ctx.residences, ctx.residences[1:], strict=False):
        if prev.gemeentecode == nxt.gemeentecode:
            continue
        marks = {"van": prev.gemeentecode, "naar": nxt.gemeentecode}
        for code in (prev.gemeentecode, nxt.gemeentecode):  # R17: warme overdracht, both sides
            out.append(signal(ref, "OVERDRACHT_VERHUIZING", code, "R17", nxt.vanaf,
                              "verhuizing: draag de zaak warm over", kenmerken=marks))
    if status["plicht_voldaan"]:
        on = date.fromisoformat(status["plicht_voldaan_op"])
        out.append(signal(ref, "PLICHT_VOLDAAN", gemeente_on(ctx.residences, on), "R4", on,
                          "inburgeringsplicht voldaan", key="voldaan"))
    if status["afschalen_mogelijk"]:
        on = max(h.einde for h in ctx.hours)
        out.append(signal(ref, "AFSCHALEN_MOGELIJK", gemeente_on(ctx.residences, on), "R5", on,
                          "600 lesuren bij keurmerkhouder: afschalen mogelijk", key="afschalen"))
    if status.get("afschalen_te_vroeg"):
        on = date.fromisoformat(str(status["route_sinds"]))
        out.append(signal(ref, "OVERIG", gemeente_on(ctx.residences, on), "R5", on,
                          "afgeschaald naar A2 voor 600 lesuren bij keurmerkhouder",
                          kenmerken={"regel": "afschalen"}, key="afschalen-te-vroeg"))
    for d in decisions:
        if d["beslissing"] == AFGEWEZEN and "factuur_key" in d:  # vouchers: in the report
            # keyed by the source document (its message id), never by supplier + number alone
            out.append(signal(ref, "FACTUUR_GEWEIGERD", d.get("gemeentecode"), d["regel"],
                              d["dienstdatum"], f"factuurregel geweigerd: {d['reden']}",
                              kenmerken={"factuurnummer": str(d.get("factuurnummer", "")),
                                         "reden": d["reden"]},
                              key=f"{d.get('factuur_message_id')}/{d.get('regelnummer')}"))
    return sorted(out, key=lambda s: s["id"])


def due(view: dict[str, Any], today: date) -> list[dict[str, Any]]:
    """R18, R2: deadline signals for ``today`` (passed in, never read from a clock).

    Each is dated ``today`` (the day the hub established it, never later than the moment it is
    sent) and keeps its id from the deadline, so it is sent once however often it is due.
    ``TERMIJN_IN_GEVAAR`` only in the half year before the termijn ends, ``TERMIJN_VERSTREKEN``
    after it; none once the plicht is met.
    """
    if not view.get("deadlines") or view.get("plicht_voldaan"):
        return []
    ref, gemeente, dl, out = view["case_ref"], view.get("gemeente"), view["deadlines"], []
    checks = (("INTAKE_TE_LAAT", "intake_uiterlijk", "intake_op", "brede intake te laat", ""),
              ("PIP_TE_LAAT", "pip_uiterlijk", "pip_op", "PIP te laat", ""),
              ("LBT_TE_LAAT", "lbt_uiterlijk", "lbt_op",
               "leerbaarheidstoets niet afgenomen binnen 12 maanden", "lbt/"),
              ("GESPREK_TE_LAAT", "gesprek_uiterlijk", None, "voortgangsgesprek te laat", ""))
    for soort, limit, done, text, prefix in checks:
        day = dl.get(limit)
        if day and not (done and dl.get(done)) and date.fromisoformat(day) < today:
            out.append(signal(ref, soort, gemeente, "R18", today, text, uiterlijk=day,
                              key=prefix + day))
    einde = view.get("termijn_einde")
    if einde:
        end = date.fromisoformat(einde)
        if end < today:
            out.append(signal(ref, "TERMIJN_VERSTREKEN", gemeente, "R2", today,
                              "termijn verstreken, plicht niet voldaan", uiterlijk=einde,
                              key=f"termijn-verstreken/{einde}"))
        elif end - timedelta(days=TERMIJN_RISICO_DAGEN) < today:
            out.append(signal(ref, "TERMIJN_IN_GEVAAR", gemeente, "R2", today,
                              "termijn loopt af, plicht nog niet voldaan", uiterlijk=einde,
                              key=f"termijn/{einde}"))
    return sorted(out, key=lambda s: s["id"])

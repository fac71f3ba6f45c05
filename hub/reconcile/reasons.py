"""The one reason-code catalogue: every code a decision can carry and every signal type, with
its rule (R-id, ``../shared/DOMAIN.md`` §3) and meaning. ``REASONS.md`` is generated from it
(``python -m hub.reconcile.reasons > hub/reconcile/REASONS.md``) and a test keeps the file, the
code and the Avro enum ``SignaalType`` in step.
"""

from __future__ import annotations

from hub.reconcile.ledger import REASONS
from hub.reconcile.model import AANGEHOUDEN, AFGEWEZEN, GOEDGEKEURD

# Where several rules refuse one line, the first check in this order decides (and is the code
# the hub gives); the ground truth of a scenario may accept any of them (``hub/scenario``).
ORDER = {
    "taalaanbieder": "R9.dubbel-factuurnummer, R10 (credit notes), R24, R9.geen-aanmelding, R8, "
                     "R9 (contract, unit, price, presentie, hours, period), R13, then R17",
    "kredietbank": "R9.dubbel-factuurnummer, R10, R12 (service, tariff), R11 (ontzorgen of the "
                   "month or the intake), R12 (once per household), then R17",
    "pib": "R9.dubbel-factuurnummer, R10, R22, then R17",
}

# signal type -> (rule, when the hub sends it)
SIGNALS: dict[str, tuple[str, str]] = {
    "INTAKE_TE_LAAT": ("R18", "no brede intake within 2 months of the koppeling (deadline sweep)"),
    "PIP_TE_LAAT": ("R18", "no PIP within 10 weeks of the koppeling (deadline sweep)"),
    "LBT_TE_LAAT": ("R18", "no leerbaarheidstoets within 12 months of the koppeling (sweep)"),
    "GESPREK_TE_LAAT": ("R18", "no voortgangsgesprek within 6 months of the PIP or the last one "
                               "(deadline sweep)"),
    "TERMIJN_IN_GEVAAR": ("R2", "the termijn ends within half a year and the plicht is not met "
                                "(deadline sweep, only before the end)"),
    "TERMIJN_VERSTREKEN": ("R2", "the termijn ended and the plicht is not met (deadline sweep)"),
    "AFSCHALEN_MOGELIJK": ("R5", "600 lesuren at a keurmerk provider reported, exams not passed"),
    "FACTUUR_GEWEIGERD": ("R8-R13, R24", "an invoice line was refused (kenmerk reden: its code)"),
    "OVERDRACHT_VERHUIZING": ("R17", "the person moved: to both gemeenten (warme overdracht)"),
    "PLICHT_VOLDAAN": ("R4", "the plicht is met (or ended by an ontheffing)"),
    "OVERIG": ("R5", "kenmerk regel=afschalen: the PIP lowered the B1-route to A2 before 600 "
                     "keurmerk hours"),
}
DECISIONS = (GOEDGEKEURD, AFGEWEZEN, AANGEHOUDEN)


def rule_of(code: str) -> str:
    """The R-id a code starts with (``R12.tarief`` -> ``R12``)."""
    return code.split(".", 1)[0]


def markdown() -> str:
    """The text of ``REASONS.md``."""
    lines = ["# Reason codes and signal types", "",
             "Generated from `hub/reconcile/reasons.py` and `ledger.REASONS` (do not edit by "
             "hand: `python -m hub.reconcile.reasons > hub/reconcile/REASONS.md`). Rules are "
             "those of `../shared/DOMAIN.md` §3.", "",
             "## Decisions on invoice lines and vouchers (`beslissingen[].reden`)", "",
             "A code is its rule's R-id, a dot and a name. `GOEDGEKEURD` lines are booked; "
             "`AFGEWEZEN` lines are refused (and signalled as `FACTUUR_GEWEIGERD`); "
             "`AANGEHOUDEN` lines are held until a fact they wait for arrives, then decided "
             "again.", "", "| code | rule | decision | toelichting (as the hub shows it) |",
             "|---|---|---|---|"]
    for code in sorted(REASONS, key=_natural):
        beslissing, toelichting = REASONS[code]
        lines.append(f"| `{code}` | {rule_of(code)} | {beslissing} | {toelichting} |")
    lines += ["", "When several rules refuse one line, the first failing check decides:", ""]
    lines += [f"* {kind}: {order}." for kind, order in ORDER.items()]
    lines += ["", "## Signals to the consulent (`Signaal.signaal_type`)", "",
              "| type | rule | when |", "|---|---|---|"]
    lines += [f"| `{t}` | {rule} | {when} |" for t, (rule, when) in SIGNALS.items()]
    return "\n".join(lines) + "\n"


def _natural(code: str) -> tuple[int, str]:
    head, _, name = code.partition(".")
    return int(head[1:]), name


if __name__ == "__main__":  # pragma: no cover - the generator of REASONS.md
    print(markdown(), end="")

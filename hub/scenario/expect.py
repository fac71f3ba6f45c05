"""View fields and signals an anomaly case must show (besides its invoice decisions).

Paths are dotted (``deadlines.intake_op``); ``signalen[type=X].gemeentecode`` collects that
field of every signal of type X into a sorted list (``check.py`` reads them the same way).
"""

from __future__ import annotations

from datetime import timedelta

from hub.scenario import billing
from hub.scenario.budget import attribution, termijn_einde
from hub.scenario.model import Case, add_months
from hub.scenario.truth import Truth

OVERDRACHT = "signalen[type=OVERDRACHT_VERHUIZING].gemeentecode"


def expect_views(truth: Truth, c: Case) -> None:
    """Register the view expectations of ``c``'s anomaly kind."""
    kind = c.kind
    if kind == "afschalen-onder-600-uur":
        truth.view(c, "route.niveau", "A2")
        truth.view(c, "afschalen_mogelijk", False)
    elif kind == "intake-te-laat" and c.koppeling and c.intake:
        truth.view(c, "deadlines.intake_uiterlijk", add_months(c.koppeling, 2).isoformat())
        truth.view(c, "deadlines.intake_op", c.intake.isoformat())
    elif kind == "pip-te-laat" and c.koppeling and c.first_pip:
        truth.view(c, "deadlines.pip_uiterlijk", (c.koppeling + timedelta(weeks=10)).isoformat())
        truth.view(c, "deadlines.pip_op", c.first_pip.isoformat())
    elif kind in ("verhuizing-voor-jaarwisseling", "verhuizing-na-jaarwisseling") and c.move:
        _move(truth, c)
    elif kind == "plicht-laat":
        truth.view(c, "plicht_start", c.plicht.isoformat())
        truth.view(c, "regime", "WI2021")
    elif kind == "R17.geen-gemeente":
        truth.view(c, "gemeente", None)
    elif kind in ("R13.na-plicht-voldaan", "R24.na-einde-plicht") and c.ontheffing:
        truth.view(c, "plicht_voldaan_op", c.ontheffing.isoformat())
    elif kind is not None and kind.startswith("R21."):
        _corrected(truth, c, kind)
    elif kind in ("R11.niet-vrijwillig", "R11.na-zes-maanden") and c.ontzorgen:
        o = c.ontzorgen  # R11: what may run, whatever the decision says
        truth.view(c, "ontzorgen", [] if kind == "R11.niet-vrijwillig" else
                   [{"begin": o.start.isoformat(), "einde": o.cap.isoformat()}])
    elif kind == "bevestiging-zonder-pip" and c.route is not None:
        lines = billing.billed_lines(c.route, truth.params.end)  # held before: no PIP
        truth.view(c, f"beslissingen[leverancier_id={c.route.school}].beslissing",
                   ["GOEDGEKEURD"] * len(lines))


def _corrected(truth: Truth, c: Case, kind: str) -> None:
    """R21: the corrected value, never the one it corrects, in every field derived from it."""
    if kind == "R21.correctie-doelgroep":
        truth.view(c, "doelgroep", c.doelgroep)
    elif kind == "R21.correctie-examen":
        failed = sorted(o for o, _, _, uitslag in c.exams if uitslag != "GESLAAGD")
        truth.view(c, "examens.SPREKEN.uitslag", "NIET_GESLAAGD")
        truth.view(c, "examens_behaald", sorted(o for o, _, _, uitslag in c.exams
                                                if uitslag == "GESLAAGD"))
        truth.view(c, "plicht_voldaan", not failed and bool(c.pvt and c.map))
    elif kind == "R21.correctie-intake" and c.intake:
        truth.view(c, "deadlines.intake_op", c.intake.isoformat())
    elif kind == "R21.correctie-pip" and c.first_pip:
        truth.view(c, "eerste_pip", c.first_pip.isoformat())
        truth.view(c, "termijn_einde", termijn_einde(c.first_pip).isoformat())


def _move(truth: Truth, c: Case) -> None:
    """R15: the year of the move and the one before go by 31 December; R17: both gemeenten."""
    assert c.move is not None
    day, old, new = c.move
    attributed = attribution(c)
    for year in (day.year - 1, day.year):
        if year in attributed:
            truth.view(c, f"budget_toerekening.{year}", attributed[year])
    truth.view(c, OVERDRACHT, sorted([old, new]))

"""R11 for what leaves the hub: the Kredietbank aanmelding of an ontzorgen grant is sent only
when R11 lets the grant run (never for a gezinsmigrant or overige migrant without ``vrijwillig``;
held while DUO's doelgroep is not known), and ends where R11 ends it; a grant the doelgroep
then excludes is withdrawn by an afmelding through the effect ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

import topics
from hub.reconcile.effects import plan
from hub.reconcile.view import case_view
from tests.unit.reconcile_facts import CASE, koppeling, ontzorgen, plicht

NOW = datetime(2026, 12, 3, tzinfo=UTC)
GRANT = ontzorgen("b1", "HH-1", start=date(2024, 2, 1), einde=date(2025, 6, 30),
                  bijstand=date(2024, 1, 15))


def _aanmeldingen(*doelgroep: str, vrijwillig: bool = False) -> list[dict[str, Any]]:
    grant = ontzorgen("b1", "HH-1", start=date(2024, 2, 1), einde=date(2025, 6, 30),
                      bijstand=date(2024, 1, 15), vrijwillig=vrijwillig)
    facts = [grant, koppeling("k1", "0363", date(2023, 5, 1)),
             *(plicht("p1", date(2023, 4, 1), d) for d in doelgroep)]
    view = case_view(CASE, facts)
    return [i["record"] for i in view["uitgaand"] if i["topic"] == topics.ONTZORGEN_AANMELDING]


@pytest.mark.parametrize("doelgroep", ["GEZINSMIGRANT", "OVERIGE_MIGRANT"])
def test_r11_no_aanmelding_for_a_family_or_other_migrant_without_vrijwillig(doelgroep: str
                                                                           ) -> None:
    assert _aanmeldingen(doelgroep) == []
    [voluntary] = _aanmeldingen(doelgroep, vrijwillig=True)
    assert voluntary["ontzorgen_einddatum"] == date(2025, 6, 30)  # voluntary: the decision's end


def test_r11_an_asylum_permit_holder_is_registered_up_to_six_months_from_the_bijstand_start(
) -> None:
    [record] = _aanmeldingen("ASIELSTATUSHOUDER")
    assert str(record["ontzorgen_einddatum"]) == "2024-07-14"  # not the decision's 2025-06-30


def test_r11_while_the_doelgroep_is_unknown_nothing_is_sent() -> None:
    assert _aanmeldingen() == []


def test_r11_a_late_doelgroep_that_excludes_the_grant_withdraws_the_aanmelding() -> None:
    """Sent as a voluntary grant, then corrected to not voluntary for a gezinsmigrant."""
    early = case_view(CASE, [GRANT, plicht("p1", date(2023, 4, 1), "ASIELSTATUSHOUDER")])
    sent = [dict(e) for e in plan(CASE, early, [], NOW)]
    assert [e["topic"] for e in sent if e["soort"] == "REGISTRATIE"] == [
        topics.ONTZORGEN_AANMELDING]
    later = case_view(CASE, [GRANT, plicht("p2", date(2023, 4, 1), "GEZINSMIGRANT")])
    withdrawn = plan(CASE, later, sent, NOW)
    assert [(e["soort"], e["topic"]) for e in withdrawn] == [("AFMELDING",
                                                              topics.HUB_ONTZORGEN_EINDE)]

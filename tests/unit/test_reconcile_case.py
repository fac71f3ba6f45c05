"""Case rules: regime, termijn, plicht, afschalen, Z-route, deadlines, moves (R1-R7, R15-R18)."""

from __future__ import annotations

from datetime import date

import pytest

from hub.errors import UnparsableSetting
from hub.reconcile import rules
from hub.reconcile.moves import Move, Peildatum, attribution, residences
from hub.reconcile.signals import due
from hub.reconcile.view import case_view
from tests.unit.reconcile_facts import (
    CASE,
    exam,
    gesprek,
    koppeling,
    pip,
    plicht,
    termijn,
    verhuizing,
    voldaan,
    voortgang,
)

KEURMERK_SCHOOL = "B10001"


def test_r1_regime_follows_the_plicht_start_not_the_label() -> None:
    assert rules.regime(date(2021, 12, 31), "WI2021") == "WI2013"
    assert rules.regime(date(2022, 1, 1), "WI2013") == "WI2021"
    assert rules.regime(date(2010, 5, 1), "WI2007") == "WI2007"
    assert rules.regime(None, None) == "ONBEKEND"


def test_r2_termijn_runs_three_years_from_the_day_after_the_first_pip_plus_verlengingen() -> None:
    view = case_view(CASE, [
        plicht("p", date(2023, 1, 10)),
        pip("pip2", date(2023, 3, 1), date(2024, 6, 1)),   # a later PIP repeats the first date
        pip("pip1", date(2023, 3, 1), date(2023, 3, 1)),
        termijn("t1", 10), termijn("t2", 4, beslissing="AFGEWEZEN"),
    ])
    assert view["eerste_pip"] == "2023-03-01"
    assert view["termijn_einde"] == "2026-05-10"  # 2023-03-02 + 3y - 1d + 10 weeks
    assert view["verlenging_weken"] == 10


def test_r2_a_later_pip_claiming_a_later_first_date_never_moves_the_termijn() -> None:
    facts = [pip("a", date(2023, 3, 1), date(2023, 3, 1)),
             pip("b", date(2023, 9, 1), date(2023, 9, 1), soort="HERZIEN_NA_BEZWAAR")]
    assert case_view(CASE, facts)["termijn_einde"] == "2026-03-01"


def test_r3_no_pip_means_no_termijn_whatever_the_plicht_start() -> None:
    view = case_view(CASE, [plicht("p", date(2023, 1, 10))])
    assert view["termijn_einde"] is None and view["plicht_start"] == "2023-01-10"


def _b1_exams(day: date) -> list:
    return [exam(f"e-{o}", o, day) for o in ("LEZEN", "LUISTEREN", "SCHRIJVEN", "SPREKEN", "KNM")]


def test_r4_plicht_met_needs_exams_pvt_and_map_and_dates_the_last() -> None:
    base = [plicht("p", date(2023, 1, 10)), koppeling("k", "0363", date(2023, 1, 20)),
            pip("pip", date(2023, 3, 1), date(2023, 3, 1)), *_b1_exams(date(2024, 5, 1)),
            voldaan("PvtVoldaan", "pvt", date(2023, 10, 1))]
    assert case_view(CASE, base)["plicht_voldaan"] is False  # MAP missing
    view = case_view(CASE, [*base, voldaan("MapVoldaan", "map", date(2024, 8, 1))])
    assert view["plicht_voldaan"] is True and view["plicht_voldaan_op"] == "2024-08-01"
    [met] = [s for s in view["signalen"] if s["type"] == "PLICHT_VOLDAAN"]
    assert (met["regel"], met["gemeentecode"]) == ("R4", "0363")


def test_r4_a_failed_exam_or_a2_pass_on_b1_route_does_not_meet_the_plicht() -> None:
    exams = [e for e in _b1_exams(date(2024, 5, 1)) if e.message_id != "e-LEZEN"]
    facts = [pip("pip", date(2023, 3, 1), date(2023, 3, 1)), *exams,
             exam("e-LEZEN-a2", "LEZEN", date(2024, 5, 1), niveau="A2"),
             exam("e-LEZEN-b1", "LEZEN", date(2024, 6, 1), uitslag="NIET_GESLAAGD"),
             voldaan("PvtVoldaan", "pvt", date(2023, 10, 1)),
             voldaan("MapVoldaan", "map", date(2024, 8, 1))]
    assert case_view(CASE, facts)["plicht_voldaan"] is False


def test_r7_onderwijsroute_is_exempt_from_map() -> None:
    facts = [pip("pip", date(2023, 3, 1), date(2023, 3, 1), leerroute="ONDERWIJS"),
             *_b1_exams(date(2024, 5, 1)), voldaan("PvtVoldaan", "pvt", date(2023, 10, 1))]
    assert case_view(CASE, facts)["plicht_voldaan"] is True


def test_r5_afschalen_possible_from_600_hours_at_a_keurmerk_provider_only() -> None:
    start = [koppeling("k", "0363", date(2023, 1, 20)),
             pip("pip", date(2023, 3, 1), date(2023, 3, 1), school=KEURMERK_SCHOOL)]
    hours = [voortgang(f"v{n}", KEURMERK_SCHOOL, date(2023, 4, n), date(2023, 4, n), taal_h=100)
             for n in range(1, 7)]
    assert case_view(CASE, [*start, *hours[:5]])["afschalen_mogelijk"] is False  # 500 h
    view = case_view(CASE, [*start, *hours])
    assert view["afschalen_mogelijk"] is True and view["minuten"]["taal_keurmerk"] == 600 * 60
    assert [s["regel"] for s in view["signalen"] if s["type"] == "AFSCHALEN_MOGELIJK"] == ["R5"]
    elsewhere = [voortgang(f"w{n}", "ZONDER-KEURMERK", date(2023, 4, n), date(2023, 4, n),
                           taal_h=100) for n in range(1, 8)]
    assert case_view(CASE, [*start, *elsewhere])["afschalen_mogelijk"] is False


def test_r5_cumulative_reports_count_their_latest_total_once() -> None:
    reports = [voortgang(f"c{m}", KEURMERK_SCHOOL, date(2023, m, 1), date(2023, m, 28),
                         taal_h=200 * m, cumulatief=True) for m in (1, 2, 3)]
    view = case_view(CASE, [pip("pip", date(2023, 1, 1), date(2023, 1, 1)), *reports])
    assert view["minuten"]["taal"] == 600 * 60


def test_r6_z_route_needs_800_plus_800_hours() -> None:
    z = pip("pip", date(2023, 3, 1), date(2023, 3, 1), leerroute="Z", niveau="ONBEKEND")
    short = voortgang("v1", KEURMERK_SCHOOL, date(2023, 4, 1), date(2024, 4, 1), taal_h=800,
                      participatie_h=799)
    assert case_view(CASE, [z, short])["z_route_voltooid"] is False
    full = voortgang("v1", KEURMERK_SCHOOL, date(2023, 4, 1), date(2024, 4, 1), taal_h=800,
                     participatie_h=800)
    assert case_view(CASE, [z, full])["z_route_voltooid"] is True


def test_r18_deadlines_and_due_signals_take_today_as_an_argument() -> None:
    facts = [koppeling("k", "0363", date(2024, 1, 31))]
    view = case_view(CASE, facts)
    assert view["deadlines"]["intake_uiterlijk"] == "2024-03-31"
    assert view["deadlines"]["pip_uiterlijk"] == "2024-04-10"
    assert due(view, date(2024, 3, 31)) == []
    types = sorted(s["type"] for s in due(view, date(2024, 4, 11)))
    assert types == ["INTAKE_TE_LAAT", "PIP_TE_LAAT"]
    done = case_view(CASE, [*facts, gesprek("g", "BREDE_INTAKE", date(2024, 4, 20))])
    assert [s["type"] for s in due(done, date(2024, 4, 21))] == ["PIP_TE_LAAT"]
    assert due(view, date(2024, 4, 11))[0]["id"] == due(view, date(2024, 9, 1))[0]["id"]


def test_r2_termijn_at_risk_half_a_year_before_its_end() -> None:
    view = case_view(CASE, [pip("pip", date(2023, 3, 1), date(2023, 3, 1)),
                            gesprek("g", "VOORTGANGSGESPREK", date(2026, 1, 1))])
    assert "TERMIJN_IN_GEVAAR" not in {s["type"] for s in due(view, date(2025, 8, 1))}
    assert "TERMIJN_IN_GEVAAR" in {s["type"] for s in due(view, date(2025, 9, 2))}


def test_r17_timeline_from_koppeling_and_moves_in_date_order() -> None:
    timeline = residences(("0363", date(2023, 1, 1)), [
        Move(date(2024, 6, 1), "0599", "0344", "m2"), Move(date(2023, 12, 20), "0363", "0599",
                                                           "m1")])
    assert [(r.gemeentecode, r.vanaf, r.tot) for r in timeline] == [
        ("0363", date(2023, 1, 1), date(2023, 12, 20)),
        ("0599", date(2023, 12, 20), date(2024, 6, 1)), ("0344", date(2024, 6, 1), None)]


@pytest.mark.parametrize(("peil", "expected"), [
    (Peildatum(), {"2023": "0599", "2024": "0599"}),
    (Peildatum(6, 30), {"2023": "0363", "2024": "0599"}),
])
def test_r15_budget_goes_to_the_gemeente_of_the_peildatum(peil: Peildatum,
                                                          expected: dict[str, str]) -> None:
    timeline = residences(("0363", date(2023, 1, 1)),
                          [Move(date(2023, 12, 20), "0363", "0599", "m1")])
    assert attribution(timeline, range(2023, 2025), peil) == expected


def test_r15_peildatum_text_is_checked() -> None:
    assert Peildatum.parse("02-29").of(2023) == date(2023, 2, 28)
    with pytest.raises(UnparsableSetting, match="13-01"):
        Peildatum.parse("13-01")


def test_r17_a_move_signals_both_gemeenten_and_moves_the_budget() -> None:
    view = case_view(CASE, [koppeling("k", "0363", date(2023, 2, 1)),
                            pip("pip", date(2023, 3, 1), date(2023, 3, 1)),
                            verhuizing("m", date(2023, 12, 28), "0363", "0599")])
    overdracht = [s for s in view["signalen"] if s["type"] == "OVERDRACHT_VERHUIZING"]
    assert sorted(s["gemeentecode"] for s in overdracht) == ["0363", "0599"]
    assert {s["regel"] for s in overdracht} == {"R17"}
    assert view["gemeente"] == "0599"
    assert view["budget_toerekening"]["2023"] == "0599"
    assert view["budget_toerekening"]["2025"] == "0599"


def test_outbound_registrations_for_duo_school_and_their_ids_are_stable() -> None:
    facts = [pip("pip", date(2023, 3, 1), date(2023, 3, 1)),
             voldaan("PvtVoldaan", "pvt", date(2023, 10, 1))]
    first = case_view(CASE, facts)["uitgaand"]
    topics_sent = sorted(item["topic"] for item in first)
    assert topics_sent == ["inburgering.hub.aanmelding-leerroute.v1",
                           "inburgering.hub.pip-vastgesteld.v1", "inburgering.hub.pvt-voldaan.v1"]
    assert [i["id"] for i in case_view(CASE, list(reversed(facts)))["uitgaand"]] == \
        [i["id"] for i in first]


def test_r18_lbt_window_of_twelve_months() -> None:
    view = case_view(CASE, [koppeling("k", "0363", date(2024, 1, 31))])
    assert view["deadlines"]["lbt_uiterlijk"] == "2025-01-31"
    [lbt] = [s for s in due(view, date(2025, 2, 1)) if s["type"] == "LBT_TE_LAAT"]
    assert (lbt["regel"], lbt["uiterlijk"], lbt["vastgesteld_op"]) == ("R18", "2025-01-31",
                                                                       "2025-02-01")
    assert not [s for s in due(view, date(2025, 1, 31)) if s["type"] == "LBT_TE_LAAT"]


def test_r21_a_late_koppeling_or_a_corrected_pip_recomputes_what_depends_on_it() -> None:
    early = case_view(CASE, [koppeling("k2", "0363", date(2024, 3, 1))])
    late = case_view(CASE, [koppeling("k2", "0363", date(2024, 3, 1)),
                            koppeling("k1", "0363", date(2024, 1, 31))])  # arrives later
    assert early["deadlines"]["intake_uiterlijk"] == "2024-05-01"
    assert late["deadlines"]["intake_uiterlijk"] == "2024-03-31"
    first = pip("a", date(2023, 3, 1), date(2023, 3, 1), school="B10001")
    corrected = pip("b", date(2023, 3, 1), date(2023, 6, 1), school="B20002",
                    soort="GEWIJZIGD")
    assert case_view(CASE, [first, corrected])["route"]["aanbieder"] == "B20002"
    assert case_view(CASE, [corrected, first])["route"]["aanbieder"] == "B20002"


def test_r5_afschalen_to_a2_before_600_keurmerk_hours_is_flagged() -> None:
    hours = [voortgang(f"v{n}", KEURMERK_SCHOOL, date(2023, 4, n), date(2023, 4, n), taal_h=100)
             for n in range(1, 5)]  # 400 h before the A2 PIP
    a2 = pip("pip2", date(2023, 3, 1), date(2023, 6, 1), niveau="A2", soort="GEWIJZIGD")
    view = case_view(CASE, [koppeling("k", "0363", date(2023, 1, 20)),
                            pip("pip1", date(2023, 3, 1), date(2023, 3, 1)), a2, *hours])
    assert view["afschalen_te_vroeg"] is True
    [flag] = [s for s in view["signalen"] if s["kenmerken"].get("regel") == "afschalen"]
    assert (flag["type"], flag["regel"], flag["vastgesteld_op"]) == ("OVERIG", "R5",
                                                                     "2023-06-01")
    later = [voortgang(f"w{n}", KEURMERK_SCHOOL, date(2023, 5, n), date(2023, 5, n),
                       taal_h=100) for n in range(1, 3)]  # 600 h reached before 1 June
    assert case_view(CASE, [a2, *hours, *later])["afschalen_te_vroeg"] is False


def test_r18_deadlines_do_not_apply_to_wi2013() -> None:
    view = case_view(CASE, [plicht("p", date(2019, 5, 1)), koppeling("k", "0363",
                                                                     date(2019, 6, 1))])
    assert view["regime"] == "WI2013" and view["deadlines"] == {}
    assert due(view, date(2024, 1, 1)) == []

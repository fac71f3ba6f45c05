"""Budget lines per post and kostenplaats, open commitments, vouchers and SPUK spending in R16,
and the one rule for what is to be reclaimed (R9, R14-R17, R22, R24)."""

from __future__ import annotations

from datetime import date
from typing import Any

from hub.reconcile.effects import plan
from hub.report.budget import OVER_COMMITTED, OVER_SPENT
from hub.report.columns import BUDGET, COMPLETENESS, LINES, RECLAIMS
from hub.report.commitments import open_commitments
from hub.report.payments import Payment, bookings, to_reclaim
from hub.report.tieout import tieouts
from tests.unit.test_report_sections import (
    APPROVED,
    DAY,
    SENT,
    TABLES,
    A,
    B,
    budget_row,
    ledger,
    line,
    run,
    view,
)

AANMELDING = "inburgering.hub.aanmelding-leerroute.v1"
PER_PERSON = {"leerroute": 1_000_000, "begeleiding": 194_400, "tolken": 41_700, "pvt": 21_600,
              "map": 13_600}


def aanmelding(gemeente: str, start: date, school: str = "B10001", hours: int = 600
               ) -> dict[str, Any]:
    return {"topic": AANMELDING, "id": f"a-{school}-{start}", "record": {
        "gemeentecode": gemeente, "taalaanbieder": school, "leerroute": "B1",
        "startdatum": start, "ingekochte_uren": hours}}


def lines_of(tally: Any, gemeente: str, year: int) -> dict[str, dict[str, Any]]:
    found = {}
    for r in tally.rows(LINES):
        if r[0] == gemeente and r[1] == year:
            found[r[2]] = {c.key: v for c, v in zip(LINES.columns, r, strict=True)}
    return found


def test_an_open_commitment_is_what_was_bought_less_what_that_school_billed_approved() -> None:
    bought = 600 * 4100
    april = line("1", "0363", "GOEDGEKEURD", 164_000, 164_000, dienst="2024-04-01")
    credit = line("1", "0363", "GOEDGEKEURD", -41_000, -41_000, invoice="CN-1",
                  doc="CREDIT_NOTE", dienst="2024-04-01", reden="R10.verrekend")
    other_school = {**line("2", "0363", "GOEDGEKEURD", 50_000, 50_000, invoice="F-2"),
                    "leverancier_id": "B20002"}
    refused = line("3", "0363", "AFGEWEZEN", 80_000, 0, reden="R9.prijs", invoice="F-3")
    v = view(A, "0363", [april, credit, other_school, refused],
             uitgaand=[aanmelding("0363", date(2024, 2, 1))])
    assert list(open_commitments(v, TABLES, DAY)) == [("0363", 2024, bought - 164_000 + 41_000)]


def test_a_commitment_closes_when_the_plicht_ended_and_never_goes_negative() -> None:
    v = view(A, "0363", uitgaand=[aanmelding("0363", date(2024, 2, 1))],
             plicht_voldaan=True, plicht_voldaan_op="2025-01-10")
    assert list(open_commitments(v, TABLES, DAY)) == []
    assert list(open_commitments(v, TABLES, date(2024, 12, 31))) == [("0363", 2024, 600 * 4100)]
    billed = line("1", "0363", "GOEDGEKEURD", 3_000_000, 3_000_000, dienst="2024-03-01")
    over = view(A, "0363", [billed], uitgaand=[aanmelding("0363", date(2024, 2, 1))])
    assert list(open_commitments(over, TABLES, DAY)) == []


def test_r17_after_a_move_the_new_gemeente_holds_the_open_commitment_from_the_move() -> None:
    verblijf = [{"gemeentecode": "0363", "vanaf": "2023-01-10", "tot": "2024-11-03"},
                {"gemeentecode": "0344", "vanaf": "2024-11-03", "tot": None}]
    v = view(A, "0344", verblijf=verblijf, uitgaand=[aanmelding("0363", date(2023, 3, 1))])
    assert list(open_commitments(v, TABLES, DAY)) == [("0344", 2024, 600 * 4100)]
    before = list(open_commitments(v, TABLES, date(2024, 6, 30)))
    assert before == [("0363", 2023, 600 * 4100)]  # on that day 0363 still held it
    later = view(A, "0363", uitgaand=[aanmelding("0363", date(2026, 3, 1))])
    assert list(open_commitments(later, TABLES, DAY)) == []  # after the report's year


def test_budget_lines_per_post_with_the_onderwijsroute_supplement_in_leerroute() -> None:
    tally = run([(A, view(A, "0363", route={"leerroute": "ONDERWIJS"},
                          budget_toerekening={"2026": "0363"}))], day=date(2026, 12, 31))
    lines = lines_of(tally, "0363", 2026)
    assert {post: r["budget"] for post, r in lines.items()} == {
        **PER_PERSON, "leerroute": PER_PERSON["leerroute"] + 1_700_000}
    assert (lines["leerroute"]["kostenplaats"], lines["leerroute"]["kostensoort"]) == (
        "KP6210", "KS4380")
    assert lines["begeleiding"]["kostenplaats"] is None  # booked outside the hub
    assert sum(r["budget"] for r in lines.values()) == budget_row(tally, "0363", 2026)[
        "spuk_budget"]


def test_spending_lands_on_its_post_and_only_spuk_posts_count_for_r16() -> None:
    fee = line("2", "0363", "GOEDGEKEURD", 14_700, 14_700, reden="R12.akkoord",
               soort="kredietbank", invoice="KB-1")
    pib = line("3", "0363", "GOEDGEKEURD", 45_000, 45_000, reden="R22.akkoord",
               soort="pib", invoice="PIB-1")
    voucher = {"voucher_id": "V1", "beslissing": "GOEDGEKEURD", "reden": "R22.akkoord",
               "waarde_cent": 25_000, "goedgekeurd_cent": 25_000, "gemeentecode": "0363",
               "statusdatum": "2024-05-01", "begrotingsjaar": 2024, "pib_traject_id": "T1",
               "ontvanger": "INBURGERAAR", "vorm": "VOUCHER", "status": "UITGEREIKT"}
    tally = run([(A, view(A, "0363", [APPROVED, fee, pib, voucher]))])
    lines = lines_of(tally, "0363", 2024)
    assert lines["leerroute"]["goedgekeurd"] == 100_000
    assert lines["ontzorgen"]["goedgekeurd"] == 14_700 and lines["ontzorgen"]["onbesteed"] is None
    assert lines["pib"]["goedgekeurd"] == 45_000 + 25_000
    row = budget_row(tally, "0363", 2024)
    assert (row["goedgekeurd"], row["vouchers"], row["besteed"]) == (159_700, 25_000, 100_000)
    assert row["onbesteed"] == row["spuk_budget"] - 100_000  # fees and PIB are no SPUK spending
    assert all(left == right for _, left, right in tieouts(tally, tally.rows(BUDGET)))


def test_a_booked_kostenplaats_the_table_does_not_know_is_its_own_line() -> None:
    odd = {**line("1", "0363", "GOEDGEKEURD", 9_000, 9_000), "kostenplaats": "KP9999"}
    lines = lines_of(run([(A, view(A, "0363", [odd]))]), "0363", 2024)
    assert lines["onbekend"]["kostenplaats"] == "KP9999"
    assert lines["onbekend"]["goedgekeurd"] == 9_000


def test_a_line_is_flagged_when_commitments_or_commitments_and_spending_exceed_it() -> None:
    many = [aanmelding("0363", date(2024, 2, 1), school) for school in ("B10001", "B20002")]
    over = run([(A, view(A, "0363", uitgaand=many))])
    assert lines_of(over, "0363", 2024)["leerroute"]["signaal"] == OVER_COMMITTED  # 49,200 > 10,000
    spent = line("1", "0363", "GOEDGEKEURD", 1_500_000, 1_500_000, dienst="2024-03-01")
    near = run([(A, view(A, "0363", [spent], uitgaand=[aanmelding("0363", date(2024, 2, 1))]))])
    leerroute = lines_of(near, "0363", 2024)["leerroute"]
    assert leerroute["verplicht"] < leerroute["budget"] < leerroute["verplicht"] + 1_500_000
    assert leerroute["signaal"] == OVER_SPENT
    assert lines_of(run([(A, view(A, "0363"))]), "0363", 2024)["leerroute"]["signaal"] is None


def test_a_year_with_nothing_is_left_out_but_the_carry_over_runs_through_it() -> None:
    pib = line("1", "0363", "GOEDGEKEURD", 45_000, 45_000, soort="pib", year=2009,
               dienst="2009-03-01", reden="R22.akkoord", invoice="PIB-1")
    tally = run([(A, view(A, "0363", [pib], budget_toerekening={"2022": "0363",
                                                                "2024": "0363"}))])
    years = [r[1] for r in tally.rows(BUDGET) if r[0] == "0363"]
    assert years == [2009, 2022, 2023, 2024]  # 2010-2021 empty; 2023 only carries over
    r22, r23, r24 = (budget_row(tally, "0363", y) for y in (2022, 2023, 2024))
    assert (r23["spuk_budget"], r23["meegenomen"]) == (0, r22["meeneem"])
    assert r22["meeneem"] > 0 and r23["meeneem"] == 0 and r23["terugvordering"] == r22["meeneem"]
    assert r24["meegenomen"] == 0


def test_paid_then_reversed_is_a_reclaim_in_its_section_the_lines_and_the_tie_out() -> None:
    """A line booked and paid, then refused by later facts: the ledger reversed the booking, so
    the payment is to be reclaimed (terugvordering), and approved = paid - to reclaim + booked
    but not yet paid still holds to the cent."""
    refused = {**APPROVED, "beslissing": "AFGEWEZEN", "reden": "R9.dubbel-factuurnummer",
               "regel": "R9", "goedgekeurd_cent": 0}
    before = view(A, "0363", [APPROVED])
    sent = ledger(A, before)
    sent += [dict(e) for e in plan(A, view(A, "0363", [refused]), sent, SENT)]
    assert [e["soort"] for e in sent] == ["BOEKING", "TEGENBOEKING"]
    booked = sent[0]["record"]["boekingskenmerk"]
    paid = Payment("p1", "FA1", booked, "B10001", "F-1", date(2024, 5, 1), 100_000)
    tally = run([(A, view(A, "0363", [refused]))], payments=[paid], ledgers={A: sent})
    [row] = tally.rows(RECLAIMS)
    r = {c.key: v for c, v in zip(RECLAIMS.columns, row, strict=True)}
    assert (r["bedrag"], r["boekingskenmerk"], r["reden"], r["betaald_op"]) == (
        100_000, booked, "R9.dubbel-factuurnummer", date(2024, 5, 1))
    assert r["tegenboeking"] == sent[1]["record"]["boekingskenmerk"]
    assert lines_of(tally, "0363", 2024)["leerroute"]["terug_te_vorderen"] == 100_000
    checks = {label: (left, right) for label, left, right in tieouts(tally, tally.rows(BUDGET))}
    left, right = checks["Goedgekeurd = betaald - terug te vorderen + geboekt, nog niet betaald"]
    assert left == right == 0
    assert checks["Terugvorderingen = begrotingsposten: terug te vorderen"] == (100_000, 100_000)
    assert to_reclaim(bookings(sent)[0], 100_000) == 100_000


def test_a_payment_on_a_kenmerk_the_hub_never_booked_is_unbooked_not_a_reclaim() -> None:
    gone = Payment("p2", "FA2", "BK-NEVER-BOOKED", "B10001", "F-0", date(2024, 5, 1), 7_000)
    tally = run([(A, view(A, "0363", [APPROVED]))], payments=[gone])
    assert tally.rows(RECLAIMS) == []
    assert sorted(r[0] for r in tally.rows(COMPLETENESS)) == ["BETALING_ZONDER_BOEKING",
                                                              "BOEKING_ZONDER_BETALING"]


def test_vouchers_tie_out_with_the_register_and_the_lines_with_the_budget() -> None:
    voucher = {"voucher_id": "V1", "beslissing": "GOEDGEKEURD", "reden": "R22.akkoord",
               "waarde_cent": 25_000, "goedgekeurd_cent": 25_000, "gemeentecode": "0599",
               "statusdatum": "2024-05-01", "begrotingsjaar": 2024, "pib_traject_id": "T1",
               "ontvanger": "INBURGERAAR", "vorm": "VOUCHER", "status": "UITGEREIKT"}
    tally = run([(A, view(A, "0363", [APPROVED])), (B, view(B, "0599", [voucher]))])
    checks = {label: (left, right) for label, left, right in tieouts(tally, tally.rows(BUDGET))}
    assert checks["Vouchers in het budget = goedgekeurd in het voucherregister"] == (25_000,
                                                                                      25_000)
    left, right = checks["Begrotingsposten: goedgekeurd = goedgekeurd + vouchers"]
    assert left == right == 125_000
    only = run([(A, view(A, "0363", [APPROVED])), (B, view(B, "0599", [voucher]))],
               gemeente="0363")
    assert {r[0] for r in only.rows(LINES)} == {"0363"}



def test_r22_the_pib_section_names_the_gemeente_of_the_pib_budget_not_onbekend() -> None:
    from hub.report.collect import Collector, Options
    from hub.report.columns import PIB
    from hub.report.csvs import Tally
    from hub.report.payments import Payments
    from tests.unit.reconcile_facts import BSN, fact

    budget = fact("PibBudget", "pb1", case_ref=A, bsn=BSN, pib_traject_id="T1",
                  gemeentecode="0392", toekenningsdatum=date(2009, 3, 1),
                  scholingsbudget_cent=500_000, meerkosten_cent=0, bonus_cent=25_000)
    tally = Tally(keep_all=True)
    collector = Collector(Options(DAY, silence_days={}), TABLES, tally, Payments([]),
                          {A: [budget]})
    collector.case(A, {**view(A, "0363"), "gemeente": None}, None)  # no residence known
    collector.finish({}, [])
    assert [(r[0], r[1]) for r in tally.rows(PIB)] == [(A, "0392")]


def test_a_paid_line_moved_to_another_gemeente_is_no_reclaim_and_ties_out() -> None:
    """R17 after payment: the booking is reversed and booked again on the new gemeente
    (``vervangt``); what was paid counts for the new booking, nothing is reclaimed."""
    moved = {**APPROVED, "gemeentecode": "0599"}
    sent = ledger(A, view(A, "0363", [APPROVED]))
    sent += [dict(e) for e in plan(A, view(A, "0599", [moved]), sent, SENT)]
    assert [e["soort"] for e in sent] == ["BOEKING", "TEGENBOEKING", "BOEKING"]
    assert sent[1]["reden"] == "gewijzigd: gemeentecode"
    booked = sent[0]["record"]["boekingskenmerk"]
    assert sent[2]["record"]["vervangt"] == booked
    paid = Payment("p1", "FA1", booked, "B10001", "F-1", date(2024, 5, 1), 100_000)
    tally = run([(A, view(A, "0599", [moved]))], payments=[paid], ledgers={A: sent})
    assert tally.rows(RECLAIMS) == []
    assert "BOEKING_ZONDER_BETALING" not in {r[0] for r in tally.rows(COMPLETENESS)}
    assert budget_row(tally, "0599", 2024)["betaald"] == 100_000
    checks = {label: (left, right) for label, left, right in tieouts(tally, tally.rows(BUDGET))}
    left, right = checks["Goedgekeurd = betaald - terug te vorderen + geboekt, nog niet betaald"]
    assert left == right == 100_000


def test_a_lower_corrected_amount_reclaims_the_difference() -> None:
    lower = {**APPROVED, "goedgekeurd_cent": 60_000}
    sent = ledger(A, view(A, "0363", [APPROVED]))
    sent += [dict(e) for e in plan(A, view(A, "0363", [lower]), sent, SENT)]
    booked = sent[0]["record"]["boekingskenmerk"]
    paid = Payment("p1", "FA1", booked, "B10001", "F-1", date(2024, 5, 1), 100_000)
    tally = run([(A, view(A, "0363", [lower]))], payments=[paid], ledgers={A: sent})
    [row] = tally.rows(RECLAIMS)
    assert row[RECLAIMS.index("bedrag")] == 40_000
    assert row[RECLAIMS.index("reden")] == "gewijzigd: bedrag_cent"

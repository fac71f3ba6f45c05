"""The report's sections on hand-built views: figures per gemeente and year, exceptions and
their aging, moves, risks, vouchers, bookings against payments, and the tie-outs (R9-R22)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest

from hub.reconcile.effects import plan
from hub.reconcile.tables import load_tables
from hub.report.collect import Collector, Options
from hub.report.columns import (
    BUDGET,
    COMPLETENESS,
    EXCEPTIONS,
    MOVES,
    PIB,
    RISKS,
    VOUCHERS,
    Row,
    Section,
)
from hub.report.csvs import Tally
from hub.report.payments import Payment, Payments
from hub.report.sections import CaseFlags, aging, silence_rows
from hub.report.tieout import tieouts
from tests.unit.reconcile_facts import BSN, fact

DAY = date(2025, 6, 30)
SENT = datetime(2024, 4, 1, 12, tzinfo=UTC)  # when the hub booked
TABLES = load_tables()
A, B, C = "CR" + "A" * 30, "CR" + "B" * 30, "CR" + "C" * 30


def line(number: str, gemeente: str | None, beslissing: str, billed: int, approved: int, *,
         reden: str = "R9.akkoord", year: int = 2024, invoice: str = "F-1",
         doc: str = "INVOICE", dienst: str = "2024-03-01", soort: str = "taal"
         ) -> dict[str, Any]:
    """One invoice-line decision as ``hub.reconcile.invoices`` writes it."""
    kp, ks = TABLES.kostenplaats(gemeente, soort) if gemeente else (None, None)
    return {"factuur_key": "FA" + invoice.rjust(30, "0"), "factuur_message_id": f"m-{invoice}",
            "factuurnummer": invoice, "leverancier_id": "B10001", "regelnummer": number,
            "documentsoort": doc, "dienstdatum": dienst, "periode_einde": "2024-03-31",
            "beslissing": beslissing, "reden": reden, "regel": reden.split(".")[0],
            "toelichting": "t", "gefactureerd_cent": billed, "goedgekeurd_cent": approved,
            "gemeentecode": gemeente, "begrotingsjaar": year if gemeente else None,
            "kostenplaats": kp, "kostensoort": ks, "bewijs": {}}


def view(ref: str, gemeente: str, decisions: Sequence[dict[str, Any]] = (),
         **extra: Any) -> dict[str, Any]:
    base = {"case_ref": ref, "gemeente": gemeente, "doelgroep": "ASIELSTATUSHOUDER",
            "route": {"leerroute": "B1"}, "budget_toerekening": {"2024": gemeente},
            "verblijf": [{"gemeentecode": gemeente, "vanaf": "2023-01-10", "tot": None}],
            "beslissingen": list(decisions), "plicht_voldaan": False, "deadlines": {},
            "afschalen_mogelijk": False, "uitgaand": []}
    return {**base, **extra}


def ledger(ref: str, v: dict[str, Any]) -> list[dict[str, Any]]:
    """What the hub sent for a view seen once: its effect ledger."""
    return [dict(e) for e in plan(ref, v, [], SENT)]


def kenmerk(ref: str, decision: dict[str, Any]) -> str:
    [booked] = [e for e in ledger(ref, {"beslissingen": [decision]}) if e["soort"] == "BOEKING"]
    return str(booked["record"]["boekingskenmerk"])


def run(views: Sequence[tuple[str, dict[str, Any]]], *, payments: Sequence[Payment] = (),
        invoice_views: Sequence[tuple[str, dict[str, Any]]] = (), flags: dict[str, CaseFlags]
        | None = None, gemeente: str | None = None, day: date = DAY,
        ledgers: dict[str, list[dict[str, Any]]] | None = None) -> Tally:
    ledgers = ledgers or {}
    tally = Tally(keep_all=True)
    collector = Collector(Options(day, gemeente=gemeente, silence_days={}), TABLES, tally,
                          Payments((p.kenmerk, p.bedrag_cent, p.betaaldatum) for p in payments),
                          {})
    for ref, v in invoice_views:
        collector.invoice(ref, v)
    for ref, v in views:
        collector.case(ref, v, (flags or {}).get(ref), ledgers.get(ref, ledger(ref, v)))
    collector.finish({}, payments)
    return tally


def column(section: Section, rows: Sequence[Row], key: str) -> list[Any]:
    return [row[section.index(key)] for row in rows]


def budget_row(tally: Tally, gemeente: str, year: int) -> dict[str, Any]:
    [row] = [r for r in tally.rows(BUDGET) if r[0] == gemeente and r[1] == year]
    return {c.key: v for c, v in zip(BUDGET.columns, row, strict=True)}


APPROVED = line("1", "0363", "GOEDGEKEURD", 100_000, 100_000)
REFUSED = line("2", "0363", "AFGEWEZEN", 50_000, 0, reden="R9.prijs")
HELD = line("3", "0363", "AANGEHOUDEN", 30_000, 0, reden="R9.geen-presentie")
CREDIT = line("1", "0363", "GOEDGEKEURD", -40_000, -25_000, reden="R10.verrekend",
              invoice="CN-1", doc="CREDIT_NOTE")
OTHER = line("1", "0599", "AFGEWEZEN", 20_000, 0, reden="R8.geen-keurmerk", year=2025,
             invoice="F-9", dienst="2025-05-01")
ORPHAN = line("1", None, "AANGEHOUDEN", 7_000, 0, reden="R10.geen-zaakreferentie",
              invoice="F-7", dienst="2024-06-01")


def sample() -> Tally:
    invoice = ("FA" + "F-7".rjust(30, "0"), {"documenten": [
        {"message_id": "m-F-7", "factuurdatum": "2025-05-15"}], "beslissingen": [ORPHAN]})
    return run([(A, view(A, "0363", [APPROVED, REFUSED, HELD, CREDIT])),
                (B, view(B, "0599", [OTHER]))], invoice_views=[invoice])


def test_budget_per_gemeente_and_year_adds_up_the_lines() -> None:
    tally = sample()
    row = budget_row(tally, "0363", 2024)
    assert (row["gefactureerd"], row["goedgekeurd"], row["aangehouden"], row["afgewezen"]) == (
        140_000, 75_000, 30_000, 35_000)
    assert budget_row(tally, "0599", 2025)["afgewezen"] == 20_000
    assert budget_row(tally, "onbekend", 2024)["aangehouden"] == 7_000


def test_exceptions_tie_out_with_the_budget_per_gemeente_and_year_and_overall() -> None:
    tally = sample()
    rows = tally.rows(EXCEPTIONS)
    sums: dict[tuple[Any, ...], int] = {}
    for r in rows:
        key = (r[EXCEPTIONS.index("gemeente")], r[EXCEPTIONS.index("jaar")],
               r[EXCEPTIONS.index("beslissing")] == "AANGEHOUDEN")
        sums[key] = sums.get(key, 0) + r[EXCEPTIONS.index("bedrag")]
    for b in tally.rows(BUDGET):
        g = {c.key: v for c, v in zip(BUDGET.columns, b, strict=True)}
        where = (g["gemeente"], g["jaar"])
        assert sums.get((*where, False), 0) == g["gefactureerd"] - g["goedgekeurd"] - g[
            "aangehouden"]
        assert sums.get((*where, True), 0) == g["aangehouden"]
    assert sum(column(EXCEPTIONS, rows, "bedrag")) == tally.total(
        BUDGET, "gefactureerd") - tally.total(BUDGET, "goedgekeurd") == 92_000


def test_an_approved_line_is_no_exception_but_a_partly_approved_credit_is() -> None:
    rows = sample().rows(EXCEPTIONS)
    assert column(EXCEPTIONS, rows, "reden") == [
        "R10.geen-zaakreferentie", "R9.prijs", "R9.geen-presentie", "R10.verrekend",
        "R8.geen-keurmerk"]
    assert column(EXCEPTIONS, rows, "bedrag")[3] == -15_000


def test_aging_runs_from_the_invoice_date_else_the_period_end() -> None:
    rows = sample().rows(EXCEPTIONS)
    orphan, refused = rows[0], rows[1]
    assert orphan[EXCEPTIONS.index("factuurdatum")] == date(2025, 5, 15)
    assert (orphan[EXCEPTIONS.index("dagen")], orphan[EXCEPTIONS.index("ouderdom")]) == (
        46, "31-60")
    assert refused[EXCEPTIONS.index("dagen")] == (DAY - date(2024, 3, 31)).days


@pytest.mark.parametrize(("days", "bucket"), [(0, "0-30"), (30, "0-30"), (31, "31-60"),
                                              (90, "61-90"), (120, "91-120"), (121, "> 120")])
def test_aging_buckets(days: int, bucket: str) -> None:
    assert aging(days) == bucket


def test_payments_are_matched_by_boekingskenmerk_and_paid_counts_on_the_bookings_gemeente() -> None:
    paid = Payment("p1", "FA1", kenmerk(A, APPROVED), "B10001", "F-1", date(2024, 5, 1), 100_000)
    stray = Payment("p2", "FA2", "BKUNKNOWN", "B10001", "F-2", date(2024, 5, 2), 5_000)
    tally = run([(A, view(A, "0363", [APPROVED, CREDIT]))], payments=[paid, stray])
    assert budget_row(tally, "0363", 2024)["betaald"] == 100_000
    found = {(r[0], r[1]): r for r in tally.rows(COMPLETENESS)}
    assert found[("BOEKING_ZONDER_BETALING", kenmerk(A, CREDIT))][7] == -25_000
    assert found[("BETALING_ZONDER_BOEKING", "BKUNKNOWN")][7] == 5_000
    assert len(found) == 2


def test_a_gemeente_report_still_matches_payments_of_other_gemeenten() -> None:
    other = line("1", "0599", "GOEDGEKEURD", 9_000, 9_000, invoice="F-5")
    paid = Payment("p1", "FA1", kenmerk(B, other), "B10001", "F-5", date(2024, 5, 1), 9_000)
    tally = run([(A, view(A, "0363", [REFUSED])), (B, view(B, "0599", [other]))],
                payments=[paid], gemeente="0363")
    assert tally.rows(COMPLETENESS) == []
    assert {r[0] for r in tally.rows(BUDGET)} == {"0363"}
    assert column(EXCEPTIONS, tally.rows(EXCEPTIONS), "gemeente") == ["0363"]


def test_r15_spuk_budget_by_peildatum_up_to_the_report_year() -> None:
    moved = view(A, "0599", budget_toerekening={"2023": "0363", "2024": "0599", "2026": "0599"})
    gezin = view(B, "0599", doelgroep="GEZINSMIGRANT")
    tally = run([(A, moved), (B, gezin)])
    per_person = 1_000_000 + 194_400 + 41_700 + 21_600 + 13_600
    assert (budget_row(tally, "0363", 2023)["zaken"],
            budget_row(tally, "0363", 2023)["spuk_budget"]) == (1, per_person)
    assert budget_row(tally, "0599", 2024)["zaken"] == 2
    assert budget_row(tally, "0599", 2024)["spuk_budget"] == per_person + 17_900 + 21_600 + 19_500
    assert not [r for r in tally.rows(BUDGET) if r[1] > DAY.year]


def test_r14_onderwijsroute_supplement_once_in_the_first_year() -> None:
    onderwijs = view(A, "0363", route={"leerroute": "ONDERWIJS"},
                     budget_toerekening={"2026": "0363", "2027": "0363"})
    tally = Tally(keep_all=True)
    collector = Collector(Options(date(2027, 12, 31), silence_days={}), TABLES, tally,
                          Payments([]), {})
    collector.case(A, onderwijs, None)
    collector.finish({}, [])
    budgets = {r[1]: r[BUDGET.index("spuk_budget")] for r in tally.rows(BUDGET)}
    assert budgets[2026] - budgets[2027] == 1_700_000


def test_r16_meeneemregeling_carries_up_to_the_years_budget_and_reclaims_the_rest() -> None:
    tally = run([(A, view(A, "0363", [APPROVED], budget_toerekening={
        "2023": "0363", "2024": "0363", "2025": "0363"}))])
    r23, r24, r25 = (budget_row(tally, "0363", y) for y in (2023, 2024, 2025))
    budget = r23["spuk_budget"]
    assert (r23["meeneem"], r23["terugvordering"]) == (budget, 0)
    assert r24["meegenomen"] == budget
    assert r24["onbesteed"] == 2 * budget - 100_000
    assert (r24["meeneem"], r24["terugvordering"]) == (budget, budget - 100_000)
    assert (r23["status"], r25["status"]) == ("afgesloten", "lopend")


def test_commitments_are_hours_bought_times_the_contract_price() -> None:
    aanmelding = {"topic": "inburgering.hub.aanmelding-leerroute.v1", "id": "x", "record": {
        "gemeentecode": "0363", "taalaanbieder": "B10001", "leerroute": "B1",
        "startdatum": date(2024, 2, 1), "ingekochte_uren": 600}}
    tally = run([(A, view(A, "0363", uitgaand=[aanmelding]))])
    assert budget_row(tally, "0363", 2024)["verplicht"] == 600 * 4100


def test_moves_in_the_period_with_the_gemeente_that_got_the_budget() -> None:
    verblijf = [{"gemeentecode": "0363", "vanaf": "2022-01-01", "tot": "2023-05-01"},
                {"gemeentecode": "0599", "vanaf": "2023-05-01", "tot": "2024-12-28"},
                {"gemeentecode": "0344", "vanaf": "2024-12-28", "tot": None}]
    moved = view(A, "0344", verblijf=verblijf, budget_toerekening={
        "2023": "0599", "2024": "0344"})
    rows = run([(A, moved)]).rows(MOVES)
    assert rows == [(A, date(2024, 12, 28), "0599", "0344", 2024, "0344",
                     "naar nieuwe gemeente")]  # the 2023 move lies before the period
    assert run([(A, moved)], gemeente="0599").rows(MOVES) == rows
    assert run([(A, moved)], gemeente="0363").rows(MOVES) == []


def test_cases_at_risk_overdue_intake_termijn_and_afschalen() -> None:
    late = view(A, "0363", deadlines={"intake_uiterlijk": "2025-03-01", "intake_op": None,
                                      "pip_uiterlijk": "2025-04-01", "pip_op": "2025-03-20"},
                termijn_einde="2025-10-01", afschalen_mogelijk=True)
    done = view(B, "0363", deadlines={"intake_uiterlijk": "2025-03-01"}, plicht_voldaan=True)
    rows = run([(A, late), (B, done)]).rows(RISKS)
    kinds = {r[RISKS.index("risico")]: r for r in rows}
    assert set(kinds) == {"INTAKE_TE_LAAT", "TERMIJN_IN_GEVAAR", "AFSCHALEN_MOGELIJK"}
    assert kinds["INTAKE_TE_LAAT"][RISKS.index("dagen")] == (DAY - date(2025, 3, 1)).days
    assert kinds["TERMIJN_IN_GEVAAR"][RISKS.index("dagen")] == 0  # not past: never negative


def test_voucher_register_lists_every_voucher_decision() -> None:
    voucher = {"voucher_id": "V1", "pib_traject_id": "T1", "ontvanger": "INBURGERAAR",
               "vorm": "VOUCHER", "status": "UITGEGEVEN", "statusdatum": "2010-05-01",
               "waarde_cent": 25_000, "beslissing": "GOEDGEKEURD", "reden": "R22.akkoord",
               "goedgekeurd_cent": 25_000, "gemeentecode": "0363", "begrotingsjaar": 2010}
    rows = run([(A, view(A, "0363", [voucher]))]).rows(VOUCHERS)
    assert rows == [("V1", A, "T1", "0363", "INBURGERAAR", "VOUCHER", "UITGEGEVEN",
                     date(2010, 5, 1), 25_000, "GOEDGEKEURD", "R22.akkoord", 25_000)]


def test_completeness_duo_isam_and_hours_for_unknown_cases() -> None:
    flags = {A: CaseFlags(A, 3, 0, 2, 0), B: CaseFlags(B, 0, 2, 0, 4), C: CaseFlags(C, 1, 1, 2, 0)}
    views = [(ref, view(ref, "0363", minuten={"aangeboden": 600})) for ref in (A, B, C)]
    rows = run(views, flags=flags).rows(COMPLETENESS)
    assert [(r[0], r[2], r[8]) for r in rows] == [
        ("DUO_ZONDER_ISAM", A, 3), ("ISAM_ZONDER_DUO", B, 2), ("UREN_ZONDER_ZAAK", B, 4)]


def test_partners_silent_longer_than_their_threshold() -> None:
    heard = {"duo": date(2025, 6, 29), "taalaanbieder": date(2025, 5, 1)}
    rows = silence_rows(heard, {"duo": 7, "taalaanbieder": 35, "isam": 7}, DAY)
    assert [(r[1], r[6]) for r in rows] == [("isam", None), ("taalaanbieder", 60)]


def test_the_pages_tie_out_checks_hold_and_name_a_gemeente_that_does_not() -> None:
    tally = sample()
    budget = tally.rows(BUDGET)
    assert all(left == right for _, left, right in tieouts(tally, budget))
    at = BUDGET.index("gefactureerd")
    tampered = [(*r[:at], r[at] + 1, *r[at + 1:]) if r[0] == "0599" else r for r in budget]
    assert [label for label, left, right in tieouts(tally, tampered) if left != right] == [
        "Per gemeente (3): gefactureerd - goedgekeurd = uitzonderingen",
        "Gemeente 0599: gefactureerd - goedgekeurd = uitzonderingen"]


def test_r22_pib_budget_against_approved_lines_and_vouchers() -> None:
    budget = fact("PibBudget", "pb1", case_ref=A, bsn=BSN, pib_traject_id="T1",
                  gemeentecode="0363", toekenningsdatum=date(2009, 3, 1),
                  scholingsbudget_cent=500_000, meerkosten_cent=150_000, bonus_cent=25_000)
    school = line("1", "0363", "GOEDGEKEURD", 200_000, 200_000, reden="R22.akkoord")
    fee = {**line("2", "0363", "GOEDGEKEURD", 14_700, 14_700, reden="R12.akkoord"),
           "leverancier_id": "30276519"}  # a Kredietbank fee is not paid from the PIB budget
    voucher = {"voucher_id": "V1", "beslissing": "GOEDGEKEURD", "reden": "R22.akkoord",
               "waarde_cent": 25_000, "goedgekeurd_cent": 25_000, "gemeentecode": "0363",
               "statusdatum": "2010-05-01", "begrotingsjaar": 2010}
    tally = Tally(keep_all=True)
    collector = Collector(Options(DAY, silence_days={}), TABLES, tally, Payments([]),
                          {A: [budget]})
    collector.case(A, view(A, "0363", [school, fee, voucher]), None)
    collector.finish({}, [])
    # meerkosten count up to 1,000 EUR (R22)
    assert tally.rows(PIB) == [(A, "0363", 1, 600_000, 25_000, 200_000, 400_000, 25_000)]

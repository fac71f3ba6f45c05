"""Invoice line decisions (R8-R13, R17, R22): one test per reason code, asserting decision,
reason and amounts, and a property test that the order of invoices and case facts never matters.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.ubl import invoice_key
from hub.reconcile.invoices import decide, vouchers
from hub.reconcile.model import (
    AANGEHOUDEN,
    AFGEWEZEN,
    GOEDGEKEURD,
    CaseContext,
    Grant,
    Hours,
    Pib,
    Residence,
    Route,
)
from hub.reconcile.tables import FOLDER, Tables, load_tables

CASE = "CR" + "A" * 30
SCHOOL, OTHER, KB = "B10001", "B20002", "30276519"
START, END = date(2024, 1, 8), date(2024, 2, 4)
TABLES = load_tables()


# ── builders ─────────────────────────────────────────────────────────────────────────────
def week(aanbieder: str, monday: date, *, aangeboden: int = 14 * 60, taal: int = 12 * 60,
         knm: int = 120, excused: int = 0, unexcused: int = 0) -> Hours:
    return Hours(aanbieder, monday, monday + timedelta(days=6), aangeboden, taal, knm, 0, 0,
                 excused, unexcused, False)


def weeks(aanbieder: str = SCHOOL, start: date = START, n: int = 4, **kw: int
          ) -> tuple[Hours, ...]:
    return tuple(week(aanbieder, start + timedelta(weeks=i), **kw) for i in range(n))


def context(**changes: Any) -> CaseContext:
    base = CaseContext(
        case_ref=CASE, regime="WI2021", doelgroep="ASIELSTATUSHOUDER",
        plicht_start=date(2023, 6, 1), plicht_voldaan_op=None,
        residences=(Residence("0344", date(2023, 6, 1), None),),
        routes=(Route(SCHOOL, "B1", "B1", "C-2024-01", START),), hours=weeks())
    return replace(base, **changes)


def regel(nr: str = "1", *, uren: float = 48, prijs: int = 4100, begin: date = START,
          einde: date = END, omschrijving: str = "Lesuren B1-route", eenheid: str = "HUR",
          koper: str | None = None, bedrag: int | None = None) -> dict[str, Any]:
    milli = round(uren * 1000)
    return {"regelnummer": nr, "omschrijving": omschrijving, "case_ref": CASE,
            "koper_referentie": koper, "periode_begindatum": begin, "periode_einddatum": einde,
            "hoeveelheid_milli": milli, "eenheid": eenheid, "eenheidsprijs_cent": prijs,
            "regelbedrag_cent": milli * prijs // 1000 if bedrag is None else bedrag,
            "btw_categorie": "E", "btw_tarief_basispunten": 0}


def factuur(nummer: str, *regels: dict[str, Any], leverancier: str = SCHOOL,
            datum: date = END, produced: int = 0, credit_for: str | None = None,
            mid: str | None = None) -> dict[str, Any]:
    mid = mid or f"{leverancier}:{nummer}:{produced}"
    total = sum(r["regelbedrag_cent"] for r in regels)
    return {"message_id": mid, "factuur_message_id": mid,
            "factuur_key": invoice_key(leverancier, nummer), "case_ref": "",
            "source": "taalaanbieder", "produced_at": datetime(2024, 2, 5, tzinfo=UTC)
            + timedelta(minutes=produced),
            "documentsoort": "CREDIT_NOTE" if credit_for else "INVOICE",
            "factuurnummer": nummer, "factuurdatum": datum, "vervaldatum": None,
            "leverancier_id": leverancier, "leverancier_naam": "Demo",
            "leverancier_btw_nummer": None, "koper_referentie": "C-2024-01",
            "gecrediteerde_factuurnummer": credit_for, "valuta": "EUR",
            "totaal_excl_btw_cent": total, "btw_bedrag_cent": 0, "totaal_incl_btw_cent": total,
            "te_betalen_cent": total, "iban_begunstigde": None, "regels": list(regels),
            "ubl_sha256": "0" * 64}


def pick(decisions: Iterable[dict[str, Any]], nummer: str, nr: str = "1", *,
         soort: str | None = None) -> dict[str, Any]:
    found = [d for d in decisions if d["factuurnummer"] == nummer and d["regelnummer"] == nr
             and (soort is None or d["documentsoort"] == soort)]
    assert len(found) == 1, found
    return found[0]


def outcome(d: dict[str, Any]) -> tuple[str, str, int, int]:
    return d["beslissing"], d["reden"], d["gefactureerd_cent"], d["goedgekeurd_cent"]


def tables_with(tmp_path: Path, name: str, *lines: str) -> Tables:
    folder = tmp_path / "tables"
    shutil.copytree(FOLDER, folder)
    (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_tables(folder)


# ── R9: contract price and delivered hours ──────────────────────────────────────────────
def test_r9_clean_invoice_is_approved_with_booking_fields() -> None:
    [d] = decide(context(), [factuur("2024-0001", regel())], TABLES)
    assert outcome(d) == (GOEDGEKEURD, "R9.akkoord", 196_800, 196_800)
    assert (d["regel"], d["gemeentecode"], d["begrotingsjaar"]) == ("R9", "0344", 2024)
    assert (d["kostenplaats"], d["kostensoort"]) == ("KP6110", "KS4380")
    assert (d["dienstdatum"], d["periode_einde"]) == ("2024-01-08", "2024-02-04")
    assert d["factuur_key"] == invoice_key(SCHOOL, "2024-0001")
    assert d["bewijs"]["contractprijs_cent"] == 4100 and d["bewijs"]["keurmerk"] is True
    assert (d["bewijs"]["uren_gefactureerd"], d["bewijs"]["uren_gemeld"]) == ("48", "56")
    assert d["bewijs"]["tabellen"] == TABLES.tables_version
    assert json.loads(json.dumps(d)) == d


def test_r9_wrong_price_is_refused() -> None:
    [d] = decide(context(), [factuur("2024-0002", regel(prijs=4750))], TABLES)
    assert outcome(d) == (AFGEWEZEN, "R9.prijs", 228_000, 0)
    assert d["bewijs"]["eenheidsprijs_cent"] == 4750


def test_r9_line_not_in_hours_is_refused() -> None:
    [d] = decide(context(), [factuur("X", regel(eenheid="C62"))], TABLES)
    assert outcome(d)[:2] == (AFGEWEZEN, "R9.eenheid")


def test_r9_no_aanmelding_at_the_supplier_is_held() -> None:
    other = (Route(OTHER, "B1", "B1", None, START),)
    late = (Route(SCHOOL, "B1", "B1", None, END + timedelta(days=1)),)
    for routes in ((), other, late):
        [d] = decide(context(routes=routes), [factuur("X", regel())], TABLES)
        assert outcome(d) == (AANGEHOUDEN, "R9.geen-aanmelding", 196_800, 0)
    on_time = (Route(SCHOOL, "B1", "B1", None, END),)
    [d] = decide(context(routes=on_time), [factuur("X", regel())], TABLES)
    assert d["reden"] == "R9.akkoord"


def test_r9_no_contract_price_is_held() -> None:
    routes = (Route(SCHOOL, "ONBEKEND", "B1", None, START),)
    [d] = decide(context(routes=routes), [factuur("X", regel())], TABLES)
    assert outcome(d) == (AANGEHOUDEN, "R9.geen-contractprijs", 196_800, 0)


def test_r9_no_presentie_is_held() -> None:
    for hours in ((), weeks(OTHER), weeks(start=END + timedelta(days=1))):
        [d] = decide(context(hours=hours), [factuur("X", regel())], TABLES)
        assert outcome(d) == (AANGEHOUDEN, "R9.geen-presentie", 196_800, 0)


def test_r9_more_hours_than_reported_are_refused_at_the_boundary() -> None:
    [over] = decide(context(), [factuur("X", regel(uren=56.001))], TABLES)
    assert outcome(over)[:2] == (AFGEWEZEN, "R9.uren-niet-geleverd")
    assert over["goedgekeurd_cent"] == 0
    [exact] = decide(context(), [factuur("X", regel(uren=56))], TABLES)
    assert outcome(exact) == (GOEDGEKEURD, "R9.akkoord", 229_600, 229_600)


def test_r9_lines_of_one_period_share_the_reported_hours() -> None:
    decisions = decide(context(), [factuur("X", regel("2", uren=30), regel("1", uren=30))],
                       TABLES)
    assert [d["regelnummer"] for d in decisions] == ["1", "2"]
    assert outcome(decisions[0])[:2] == (GOEDGEKEURD, "R9.akkoord")
    assert outcome(decisions[1])[:2] == (AFGEWEZEN, "R9.uren-niet-geleverd")
    assert decisions[1]["bewijs"]["uren_al_goedgekeurd"] == "30"


def test_r9_a_week_report_spanning_two_invoices_is_not_paid_twice() -> None:
    jan = factuur("J", regel(uren=48, einde=date(2024, 1, 31)), datum=date(2024, 2, 1))
    feb = factuur("F", regel(uren=10, begin=date(2024, 2, 1), einde=END), produced=1)
    feb_fits = factuur("G", regel(uren=8, begin=date(2024, 2, 1), einde=END), produced=1)
    assert pick(decide(context(), [feb, jan], TABLES), "F")["reden"] == "R9.uren-niet-geleverd"
    assert pick(decide(context(), [feb_fits, jan], TABLES), "G")["reden"] == "R9.akkoord"


def test_r9_gevolgd_counts_attended_and_excused_not_unexcused(tmp_path: Path) -> None:
    tables = tables_with(tmp_path, "contractprijzen.csv",
                         "aanbieder;leerroute;geldig_van;geldig_tot;prijs_per_uur_cent;grondslag",
                         "B10001;B1;2022-01-01;;4100;gevolgd")
    hours = weeks(taal=9 * 60, knm=120, excused=60, unexcused=120)  # 12 billable h a week
    [ok] = decide(context(hours=hours), [factuur("X", regel(uren=48))], tables)
    [over] = decide(context(hours=hours), [factuur("X", regel(uren=48.5))], tables)
    assert (ok["reden"], ok["bewijs"]["grondslag"]) == ("R9.akkoord", "gevolgd")
    assert over["reden"] == "R9.uren-niet-geleverd"


def test_r9_cumulative_duo_totals_are_a_fallback_by_difference() -> None:
    def total(einde: date, hours: int) -> Hours:
        return Hours(SCHOOL, START, einde, 0, hours * 60, 0, 0, 0, 0, 0, True)
    ctx = context(hours=(total(date(2024, 1, 20), 24), total(date(2024, 2, 1), 48),
                         total(date(2024, 3, 1), 90)))
    first = factuur("J", regel(uren=48))
    second = factuur("F", regel(uren=42, begin=date(2024, 2, 5), einde=date(2024, 3, 3)))
    too_much = factuur("G", regel(uren=43, begin=date(2024, 2, 5), einde=date(2024, 3, 3)))
    assert pick(decide(ctx, [first], TABLES), "J")["reden"] == "R9.akkoord"
    assert pick(decide(ctx, [second], TABLES), "F")["reden"] == "R9.akkoord"
    assert pick(decide(ctx, [too_much], TABLES), "G")["reden"] == "R9.uren-niet-geleverd"


# ── R9: duplicates ──────────────────────────────────────────────────────────────────────
def test_r9_same_number_in_a_later_document_is_refused() -> None:
    first = factuur("2024-0001", regel(), produced=0)
    again = factuur("2024-0001", regel("1", uren=10), regel("2", uren=10), produced=5)
    decisions = decide(context(), [again, first], TABLES)
    assert outcome(decisions[0]) == (GOEDGEKEURD, "R9.akkoord", 196_800, 196_800)
    assert [outcome(d) for d in decisions[1:]] == [
        (AFGEWEZEN, "R9.dubbel-factuurnummer", 41_000, 0)] * 2
    assert decisions[1]["factuur_message_id"] == again["factuur_message_id"]


def test_r9_first_document_is_the_earliest_factuurdatum_not_arrival() -> None:
    early = factuur("N", regel(uren=10), datum=date(2024, 2, 1), produced=9)
    late = factuur("N", regel(uren=20), datum=date(2024, 2, 4), produced=0)
    decisions = decide(context(), [late, early], TABLES)
    assert [(d["gefactureerd_cent"], d["reden"]) for d in decisions] == [
        (41_000, "R9.akkoord"), (82_000, "R9.dubbel-factuurnummer")]


def test_r9_same_period_under_another_number_is_refused() -> None:
    first = factuur("2024-0001", regel(), produced=0)
    rebill = factuur("2024-0005", regel(uren=8), produced=1)
    d = pick(decide(context(), [rebill, first], TABLES), "2024-0005")
    assert outcome(d) == (AFGEWEZEN, "R9.dubbele-periode", 32_800, 0)
    assert d["bewijs"]["eerder_factuurnummer"] == "2024-0001"
    hours = weeks(n=8)
    next_month = factuur("2024-0006", regel(begin=END + timedelta(days=1),
                                            einde=END + timedelta(days=28)), produced=1)
    assert pick(decide(context(hours=hours), [next_month, first], TABLES),
                "2024-0006")["reden"] == "R9.akkoord"
    one_day = factuur("2024-0009", regel(uren=1, begin=END, einde=END + timedelta(days=6)),
                      produced=1)
    assert pick(decide(context(hours=hours), [one_day, first], TABLES),
                "2024-0009")["reden"] == "R9.dubbele-periode"


# ── R10: credit notes ───────────────────────────────────────────────────────────────────
def test_r10_credit_is_netted_and_capped_at_what_was_approved() -> None:
    invoice = factuur("2024-0001", regel())
    credit = factuur("2024-0004", regel(uren=60), credit_for="2024-0001", produced=1)
    again = factuur("2024-0007", regel(uren=1), credit_for="2024-0001", produced=2)
    decisions = decide(context(), [again, credit, invoice], TABLES)
    assert outcome(pick(decisions, "2024-0004")) == (GOEDGEKEURD, "R10.verrekend",
                                                     -246_000, -196_800)
    assert outcome(pick(decisions, "2024-0007")) == (AFGEWEZEN, "R10.al-gecrediteerd",
                                                     -4_100, 0)
    assert pick(decisions, "2024-0004")["kostenplaats"] == "KP6110"


def test_r10_partial_credit_nets_its_own_amount() -> None:
    invoice = factuur("2024-0001", regel())
    credit = factuur("2024-0004", regel(uren=10), credit_for="2024-0001", produced=1)
    d = pick(decide(context(), [credit, invoice], TABLES), "2024-0004")
    assert outcome(d) == (GOEDGEKEURD, "R10.verrekend", -41_000, -41_000)


def test_r10_a_period_credited_in_full_may_be_billed_again() -> None:
    invoice = factuur("2024-0001", regel())
    credit = factuur("2024-0004", regel(), credit_for="2024-0001", produced=1)
    rebill = factuur("2024-0008", regel(), produced=2)
    assert pick(decide(context(), [rebill, invoice], TABLES), "2024-0008")["reden"] \
        == "R9.dubbele-periode"
    d = pick(decide(context(), [rebill, credit, invoice], TABLES), "2024-0008")
    assert outcome(d) == (GOEDGEKEURD, "R9.akkoord", 196_800, 196_800)


def test_r10_credit_dated_before_its_invoice_is_still_netted() -> None:
    invoice = factuur("2024-0001", regel(), datum=date(2024, 2, 10))
    credit = factuur("2024-0004", regel(uren=10), credit_for="2024-0001",
                     datum=date(2024, 2, 5))
    d = pick(decide(context(), [credit, invoice], TABLES), "2024-0004")
    assert outcome(d) == (GOEDGEKEURD, "R10.verrekend", -41_000, -41_000)


def test_r10_credit_on_a_refused_invoice_is_refused() -> None:
    refused = factuur("2024-0002", regel(prijs=4750))
    credit = factuur("2024-0004", regel(uren=10), credit_for="2024-0002", produced=1)
    d = pick(decide(context(), [credit, refused], TABLES), "2024-0004")
    assert outcome(d) == (AFGEWEZEN, "R10.creditnota-op-geweigerde-factuur", -41_000, 0)


def test_r10_credit_on_an_unknown_invoice_is_held() -> None:
    credit = factuur("2024-0004", regel(uren=10), credit_for="2024-0099")
    [d] = decide(context(), [credit], TABLES)
    assert outcome(d) == (AANGEHOUDEN, "R10.gecrediteerde-factuur-onbekend", -41_000, 0)


def test_r10_credit_on_a_held_invoice_is_held() -> None:
    held = factuur("2024-0001", regel())
    credit = factuur("2024-0004", regel(uren=10), credit_for="2024-0001", produced=1)
    d = pick(decide(context(routes=()), [credit, held], TABLES), "2024-0004")
    assert outcome(d) == (AANGEHOUDEN, "R10.gecrediteerde-factuur-aangehouden", -41_000, 0)


# ── R8: keurmerk ────────────────────────────────────────────────────────────────────────
def test_r8_supplier_without_keurmerk_on_the_service_date_is_refused() -> None:
    unknown = context(routes=(Route("B30003", "B1", "B1", None, START),),
                      hours=weeks("B30003"))
    [d] = decide(unknown, [factuur("X", regel(), leverancier="B30003")], TABLES)
    assert outcome(d) == (AFGEWEZEN, "R8.geen-keurmerk", 196_800, 0)
    assert d["bewijs"]["keurmerk"] is False
    early = date(2021, 6, 7)  # B20002 holds it from 2021-07-01
    before = context(routes=(Route(OTHER, "B1", "B1", None, early),),
                     hours=weeks(OTHER, start=early))
    [d] = decide(before, [factuur("Y", regel(begin=early, einde=early + timedelta(days=27)),
                                  leverancier=OTHER)], TABLES)
    assert d["reden"] == "R8.geen-keurmerk"


def test_r8_onderwijsroute_needs_no_keurmerk() -> None:
    ctx = context(routes=(Route("B30003", "ONDERWIJS", "B1", None, START),),
                  hours=weeks("B30003"))
    [d] = decide(ctx, [factuur("X", regel(), leverancier="B30003")], TABLES)
    assert (d["reden"], d["bewijs"]["keurmerk"]) == ("R9.geen-contractprijs",
                                                     "n.v.t. (onderwijsroute)")


# ── R13: DUO lening ─────────────────────────────────────────────────────────────────────
def lening_case(**changes: Any) -> CaseContext:
    return context(regime="WI2021", doelgroep="GEZINSMIGRANT",
                   routes=(Route(SCHOOL, "B1", "B1", None, START),
                           Route(OTHER, "B1", "B1", None, START)),
                   hours=weeks() + weeks(OTHER), **changes)


def test_r13_quarter_cap_over_all_suppliers() -> None:
    first = factuur("A", regel(), produced=0)  # 196_800
    # 2_050 fits under the 200_000 cap, the next 1_230 does not
    other = factuur("B", regel("1", uren=0.5), regel("2", uren=0.3), leverancier=OTHER,
                    produced=1)
    decisions = decide(lening_case(), [other, first], TABLES)
    assert [d["reden"] for d in decisions] == ["R9.akkoord", "R9.akkoord",
                                               "R13.lening-kwartaalplafond"]
    assert outcome(decisions[2]) == (AFGEWEZEN, "R13.lening-kwartaalplafond", 1_230, 0)
    assert decisions[2]["bewijs"]["kwartaal_al_goedgekeurd_cent"] == 198_850
    statushouder = replace(lening_case(), doelgroep="ASIELSTATUSHOUDER")
    assert decide(statushouder, [other, first], TABLES)[2]["reden"] == "R9.akkoord"
    wi2013 = replace(statushouder, regime="WI2013")
    assert decide(wi2013, [other, first], TABLES)[2]["reden"] == "R13.lening-kwartaalplafond"
    next_quarter = factuur("Q", regel(uren=0.5, begin=date(2024, 4, 1), einde=date(2024, 4, 7)),
                           leverancier=OTHER, produced=2)
    ctx = replace(lening_case(), hours=weeks() + weeks(OTHER) + weeks(OTHER, date(2024, 4, 1)))
    assert pick(decide(ctx, [next_quarter, other, first], TABLES), "Q")["reden"] == "R9.akkoord"


def test_r13_credit_frees_room_under_the_quarter_cap() -> None:
    first = factuur("A", regel(), produced=0)
    credit = factuur("CN", regel(uren=10), credit_for="A", produced=1)
    more = factuur("C", regel(uren=1), leverancier=OTHER, produced=2)
    assert pick(decide(lening_case(), [more, first], TABLES), "C")["reden"] \
        == "R13.lening-kwartaalplafond"
    assert pick(decide(lening_case(), [more, credit, first], TABLES), "C")["reden"] \
        == "R9.akkoord"


def test_r13_invoice_issued_more_than_four_months_after_plicht_voldaan_is_refused() -> None:
    """R13: judged by the invoice's issue date (BT-2), not its service date."""
    ctx = lening_case(plicht_voldaan_op=date(2024, 2, 4))  # the line's last service day
    [late] = decide(ctx, [factuur("A", regel(), datum=date(2024, 6, 5))], TABLES)
    assert outcome(late) == (AFGEWEZEN, "R13.na-plicht-voldaan", 196_800, 0)
    assert (late["bewijs"]["factuur_uiterlijk"], late["bewijs"]["factuurdatum"]) == \
        ("2024-06-04", "2024-06-05")
    [in_time] = decide(ctx, [factuur("A", regel(), datum=date(2024, 6, 4))], TABLES)
    assert in_time["reden"] == "R9.akkoord"
    not_lening = context(plicht_voldaan_op=date(2024, 2, 4))  # asielstatushouder, Wi2021
    [paid] = decide(not_lening, [factuur("A", regel(), datum=date(2024, 9, 1))], TABLES)
    assert paid["reden"] == "R9.akkoord"


# ── R24: no leerroute service after the plicht ended ────────────────────────────────────
def test_r24_service_starting_after_the_plicht_ended_is_refused_the_month_it_ended_paid(
) -> None:
    ended = context(plicht_voldaan_op=date(2024, 1, 20))  # ontheffing or voldaan on the 20th
    decisions = decide(ended, [
        factuur("A", regel(uren=7, begin=date(2024, 1, 8), einde=date(2024, 1, 14))),
        factuur("B", regel(uren=7, begin=date(2024, 1, 15), einde=date(2024, 1, 21))),
        factuur("C", regel(uren=7, begin=date(2024, 1, 22), einde=date(2024, 1, 28)))], TABLES)
    assert [(d["factuurnummer"], outcome(d)[:2]) for d in decisions] == [
        ("A", (GOEDGEKEURD, "R9.akkoord")), ("B", (GOEDGEKEURD, "R9.akkoord")),
        ("C", (AFGEWEZEN, "R24.na-einde-plicht"))]
    assert decisions[2]["bewijs"]["plicht_beeindigd_op"] == "2024-01-20"
    assert decisions[2]["goedgekeurd_cent"] == 0


# ── R17: gemeente on the service date ───────────────────────────────────────────────────
def test_r17_line_without_gemeente_is_held_and_books_nothing() -> None:
    [d] = decide(context(residences=()), [factuur("X", regel())], TABLES)
    assert outcome(d) == (AANGEHOUDEN, "R17.geen-gemeente", 196_800, 0)
    assert (d["gemeentecode"], d["kostenplaats"], d["kostensoort"]) == (None, None, None)


def test_r17_line_goes_to_the_gemeente_of_its_service_date() -> None:
    moved = (Residence("0363", date(2023, 6, 1), date(2024, 1, 8)),
             Residence("0344", date(2024, 1, 8), None))
    before = factuur("V", regel(uren=7, begin=date(2024, 1, 1), einde=date(2024, 1, 7)))
    after = factuur("W", regel(uren=7), produced=1)
    ctx = context(residences=moved, hours=weeks(start=date(2024, 1, 1), n=5),
                  routes=(Route(SCHOOL, "B1", "B1", None, date(2024, 1, 1)),))
    decisions = decide(ctx, [after, before], TABLES)
    assert [(d["gemeentecode"], d["kostenplaats"]) for d in decisions] == [
        ("0363", "KP6210"), ("0344", "KP6110")]


# ── R12: Kredietbank fees ───────────────────────────────────────────────────────────────
def kb_regel(nr: str, omschrijving: str, begin: date, bedrag: int, hh: str = "HH-1"
             ) -> dict[str, Any]:
    einde = begin if omschrijving.startswith("Intake") else \
        (begin.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return regel(nr, uren=1, prijs=bedrag, bedrag=bedrag, begin=begin, einde=einde,
                 omschrijving=omschrijving, eenheid="C62", koper=hh)


def grant(hh: str = "HH-1", begin: date = date(2024, 1, 15), einde: date | None = date(2024, 3, 10),
          *, bijstand: date = date(2024, 1, 10), vrijwillig: bool = False) -> Grant:
    return Grant(hh, f"B-{hh}", begin, einde, bijstand, None, vrijwillig)


def kb_case(*grants: Grant, **changes: Any) -> CaseContext:
    grants = grants or (grant(),)
    return context(**{"huishoudens": frozenset(g.huishouden for g in grants), "routes": (),
                      "hours": (), "grants": grants, **changes})


def test_r12_fees_in_active_ontzorgen_are_approved_once() -> None:
    first = factuur("KB1", kb_regel("1", "Intake financieel ontzorgen", date(2024, 1, 1), 14_700),
                    kb_regel("2", "Budgetbeheer 2024-01", date(2024, 1, 1), 2_500),
                    kb_regel("3", "Budgetbeheer 2024-03", date(2024, 3, 1), 2_500),
                    kb_regel("4", "Budgetbeheer 2024-04", date(2024, 4, 1), 2_500),
                    kb_regel("5", "Budgetbeheer 2024-01", date(2024, 1, 1), 2_500),
                    leverancier=KB)
    second = factuur("KB2", kb_regel("1", "Intake financieel ontzorgen", date(2024, 2, 1),
                                     14_700), leverancier=KB, produced=1)
    decisions = decide(kb_case(), [second, first], TABLES)
    assert [outcome(d) for d in decisions] == [
        (GOEDGEKEURD, "R12.akkoord", 14_700, 14_700),
        (GOEDGEKEURD, "R12.akkoord", 2_500, 2_500),
        (GOEDGEKEURD, "R12.akkoord", 2_500, 2_500),
        (AFGEWEZEN, "R12.geen-actief-ontzorgen", 2_500, 0),
        (AFGEWEZEN, "R12.budgetbeheer-dubbel", 2_500, 0),
        (AFGEWEZEN, "R12.intake-dubbel", 14_700, 0)]
    assert (decisions[0]["kostenplaats"], decisions[0]["regel"]) == ("KP6120", "R12")


def test_r12_intake_for_another_household_is_its_own_and_needs_a_grant() -> None:
    one = factuur("KB1", kb_regel("1", "Intake financieel ontzorgen", date(2024, 1, 1), 14_700),
                  kb_regel("2", "Intake financieel ontzorgen", date(2024, 1, 1), 14_700,
                           hh="HH-2"),
                  kb_regel("3", "Intake financieel ontzorgen", date(2024, 1, 1), 14_700,
                           hh="HH-3"), leverancier=KB)
    ctx = kb_case(grant(), grant("HH-2"))
    assert [d["reden"] for d in decide(ctx, [one], TABLES)] == [
        "R12.akkoord", "R12.akkoord", "R12.geen-besluit"]  # HH-3: no decision known (held)


def test_r12_wrong_tariff_is_refused_and_unknown_service_or_date_held() -> None:
    doc = factuur("KB1", kb_regel("1", "Intake financieel ontzorgen", date(2024, 1, 1), 15_000),
                  kb_regel("2", "Administratiekosten", date(2024, 1, 1), 1_000),
                  kb_regel("3", "Budgetbeheer 2019-12", date(2019, 12, 1), 2_500),
                  {**kb_regel("4", "Budgetbeheer 2024-02", date(2024, 2, 1), 2_500),
                   "hoeveelheid_milli": 2000, "regelbedrag_cent": 5_000},
                  leverancier=KB)
    assert [outcome(d)[:2] for d in decide(kb_case(), [doc], TABLES)] == [
        (AFGEWEZEN, "R12.tarief"), (AANGEHOUDEN, "R12.onbekende-dienst"),
        (AANGEHOUDEN, "R12.geen-tarief"), (AFGEWEZEN, "R12.tarief")]


# ── R22: PIB ────────────────────────────────────────────────────────────────────────────
PIB_START = date(2009, 3, 1)


def pib_case(goedgekeurd: bool = True) -> CaseContext:
    return context(regime="WI2007", doelgroep="ONBEKEND", routes=(), hours=(),
                   residences=(Residence("0392", date(2008, 1, 1), None),),
                   pib=(Pib("PIB-1", goedgekeurd, 500_000, 150_000, 25_000, PIB_START),))


def test_r22_lines_are_paid_within_the_approved_budget() -> None:
    day = date(2009, 4, 1)
    doc = factuur("P1", regel("1", bedrag=400_000, begin=day, einde=day),
                  regel("2", bedrag=200_001, begin=day, einde=day),
                  regel("3", bedrag=200_000, begin=day, einde=day))
    decisions = decide(pib_case(), [doc], TABLES)
    assert [outcome(d)[1:] for d in decisions] == [
        ("R22.akkoord", 400_000, 400_000), ("R22.budget-overschreden", 200_001, 0),
        ("R22.akkoord", 200_000, 200_000)]  # budget 5,000 + meerkosten capped at 1,000
    assert decisions[0]["kostenplaats"] == "KP6330"


def test_r22_plan_not_approved_is_held() -> None:
    day = date(2009, 4, 1)
    [d] = decide(pib_case(goedgekeurd=False),
                 [factuur("P1", regel(bedrag=1_000, begin=day, einde=day))], TABLES)
    assert outcome(d) == (AANGEHOUDEN, "R22.plan-niet-goedgekeurd", 1_000, 0)


def voucher(vid: str, ontvanger: str, vorm: str, waarde: int = 25_000,
            statusdatum: date = date(2009, 4, 1), status: str = "UITGEREIKT",
            traject: str = "PIB-1", produced: int = 0) -> dict[str, Any]:
    return {"message_id": f"{vid}:{status}:{produced}", "case_ref": CASE, "source": "isam",
            "produced_at": datetime(2009, 4, 1, tzinfo=UTC) + timedelta(minutes=produced),
            "gemeentecode": "0392", "pib_traject_id": traject, "voucher_id": vid,
            "ontvanger": ontvanger, "vorm": vorm, "waarde_cent": waarde, "status": status,
            "statusdatum": statusdatum, "trajectstartdatum": None}


def test_r22_vouchers() -> None:
    records = [
        voucher("V1", "INBURGERAAR", "VOUCHER"),
        voucher("V2", "INBURGERAAR", "VOUCHER", waarde=25_001),
        voucher("V3", "INBURGERAAR", "VOUCHER", statusdatum=PIB_START - timedelta(days=1)),
        voucher("V4", "INBURGERAAR", "VOUCHER", traject="PIB-ONBEKEND"),
        voucher("V5", "MAKELAAR_PROFESSIONAL", "VOUCHER"),
        voucher("V6", "MAKELAAR_VRIJWILLIGER", "GELD"),
        voucher("V7", "MAKELAAR_PROFESSIONAL", "GELD", waarde=20_000),
        voucher("V8", "INBURGERAAR", "GELD"),
    ]
    got = {d["voucher_id"]: (d["beslissing"], d["reden"], d["goedgekeurd_cent"])
           for d in vouchers(pib_case(), list(reversed(records)))}
    assert got == {
        "V1": (GOEDGEKEURD, "R22.akkoord", 25_000),
        "V2": (AFGEWEZEN, "R22.voucher-te-hoog", 0),
        "V3": (AFGEWEZEN, "R22.bonus-voor-start", 0),
        "V4": (AFGEWEZEN, "R22.bonus-voor-start", 0),
        "V5": (AFGEWEZEN, "R22.vorm", 0),
        "V6": (AFGEWEZEN, "R22.vorm", 0),
        "V7": (GOEDGEKEURD, "R22.akkoord", 20_000),
        "V8": (AFGEWEZEN, "R22.vorm", 0)}


def test_r22_latest_voucher_status_wins() -> None:
    handed = voucher("V1", "INBURGERAAR", "VOUCHER", statusdatum=date(2009, 4, 1))
    withdrawn = voucher("V1", "INBURGERAAR", "VOUCHER", statusdatum=date(2009, 5, 1),
                        status="INGETROKKEN")
    same_day = voucher("V1", "INBURGERAAR", "VOUCHER", statusdatum=date(2009, 5, 1),
                       status="VERANTWOORD", produced=1)
    for records in ([withdrawn, handed], [handed, withdrawn]):
        [d] = vouchers(pib_case(), records)
        assert (d["status"], d["reden"], d["goedgekeurd_cent"]) == ("INGETROKKEN",
                                                                    "R22.ingetrokken", 0)
    [d] = vouchers(pib_case(), [same_day, withdrawn, handed])
    assert (d["status"], d["reden"]) == ("VERANTWOORD", "R22.akkoord")


# ── the demo's invoices, and order independence ─────────────────────────────────────────
def demo_invoices() -> list[dict[str, Any]]:
    """``connectors/taalaanbieder/demo.play`` for one B1 learner of the first school."""
    return [factuur("2024-0001", regel(), produced=0),
            factuur("2024-0002", regel(prijs=4750), produced=1),
            factuur("2024-0001", regel(), produced=2),
            factuur("2024-0003", regel(uren=80), produced=3),
            factuur("2024-0004", regel(uren=10), credit_for="2024-0002", produced=4)]


def test_demo_invoices_get_the_intended_reasons() -> None:
    got = {d["factuur_message_id"]: d["reden"] for d in decide(context(), demo_invoices(), TABLES)}
    assert [got[i["factuur_message_id"]] for i in demo_invoices()] == [
        "R9.akkoord", "R9.prijs", "R9.dubbel-factuurnummer", "R9.uren-niet-geleverd",
        "R10.creditnota-op-geweigerde-factuur"]


def pool() -> list[dict[str, Any]]:
    kb = factuur("KB1", kb_regel("1", "Intake financieel ontzorgen", date(2024, 1, 1), 14_700),
                 kb_regel("2", "Budgetbeheer 2024-01", date(2024, 1, 1), 2_500),
                 leverancier=KB, produced=3)
    return [*demo_invoices(), kb,
            factuur("2024-0005", regel(uren=8), produced=3),
            factuur("2024-0006", regel(uren=30, begin=date(2024, 1, 29)), produced=3,
                    datum=date(2024, 2, 1)),
            factuur("2024-0007", regel(uren=48), credit_for="2024-0001", produced=5),
            factuur("2024-0008", regel(uren=20), credit_for="2024-0006", produced=1),
            factuur("F-881", regel(uren=40), leverancier=OTHER, produced=2),
            factuur("F-882", regel(uren=12), leverancier=OTHER, produced=2),
            factuur("F-881", regel(uren=3), leverancier=OTHER, produced=2, mid="zz"),
            factuur("KB2", kb_regel("1", "Intake financieel ontzorgen", date(2024, 1, 1),
                                    14_700), leverancier=KB, produced=3)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), gezinsmigrant=st.booleans())
def test_decisions_do_not_depend_on_the_order_of_invoices_or_facts(
        data: st.DataObject, gezinsmigrant: bool) -> None:
    earlier_route = Route(SCHOOL, "Z", "A2", None, date(2023, 12, 1))
    ctx = replace(lening_case(), huishoudens=frozenset({"HH-1"}),
                  routes=(*lening_case().routes, earlier_route),
                  grants=(grant(begin=date(2024, 1, 1), einde=None, bijstand=date(2024, 1, 1)),),
                  doelgroep="GEZINSMIGRANT" if gezinsmigrant else "ASIELSTATUSHOUDER",
                  residences=(Residence("0363", date(2023, 1, 1), date(2024, 1, 20)),
                              Residence("0344", date(2024, 1, 20), None)))
    chosen = data.draw(st.lists(st.sampled_from(pool()), min_size=1,
                                unique_by=lambda d: str(d["factuur_message_id"])))
    shuffled = data.draw(st.permutations(chosen))
    repeats = data.draw(st.lists(st.sampled_from(chosen), max_size=3))
    ctx2 = replace(ctx, hours=tuple(data.draw(st.permutations(ctx.hours))),
                   routes=tuple(data.draw(st.permutations(ctx.routes))),
                   residences=tuple(data.draw(st.permutations(ctx.residences))),
                   grants=tuple(data.draw(st.permutations(ctx.grants))))
    expected = decide(ctx, chosen, TABLES)
    assert decide(ctx2, [*shuffled, *repeats], TABLES) == expected
    assert len(expected) == sum(len(d["regels"]) for d in chosen)


@pytest.mark.parametrize("doelgroep", ["GEZINSMIGRANT", "ASIELSTATUSHOUDER"])
def test_every_decision_is_json_safe_and_names_its_rule(doelgroep: str) -> None:
    ctx = replace(lening_case(), doelgroep=doelgroep, huishoudens=frozenset({"HH-1"}),
                  grants=(grant(begin=date(2024, 1, 1), einde=None),))
    decisions = decide(ctx, pool(), TABLES)
    assert json.loads(json.dumps(decisions)) == decisions
    for d in decisions:
        assert d["reden"].startswith(d["regel"] + ".")
        assert d["goedgekeurd_cent"] == 0 or d["beslissing"] == GOEDGEKEURD

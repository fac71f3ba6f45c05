"""R11 and R12 per household: ontzorgen by doelgroep and vrijwillig, six months from the bijstand
start, and Kredietbank fees once per household across every member's case, in any arrival
order (through the pure projection and through the store's linked projections)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.reconcile.links import derived, household_key, linked
from hub.reconcile.view import case_view
from hub.store import Fact, InboundMessage, Store
from hub.store.linking import with_links
from hub.store.records import fact_order
from tests.unit.reconcile_facts import (
    BSN,
    CASE,
    NS,
    fact,
    koppeling,
    ontzorgen,
    plicht,
)

OTHER = "CR" + "B" * 30
KB = "30276519"
HH = "HH-1"


def _messages(*facts: Fact) -> list[Fact]:
    """Facts as the store records them: each with what it derives (invoice lines per case,
    household members)."""
    out = []
    for f in facts:
        message = InboundMessage("t", 0, 0, f.message_id, f.case_ref, f.kind, f.record)
        out += [Fact(m.message_id, m.case_ref, m.kind, m.record, "t", 0, 0)
                for m in (message, *derived(message))]
    return out


def kb_invoice(mid: str, number: str, issued: date, lines: list[tuple[str, str, date, int]]
               ) -> Fact:
    """A Kredietbank invoice: (case, description, service month, cents) per line, household HH."""
    regels = [{"regelnummer": str(n), "omschrijving": text, "case_ref": case,
               "koper_referentie": HH, "periode_begindatum": day, "periode_einddatum": day,
               "hoeveelheid_milli": 1000, "eenheid": "C62", "eenheidsprijs_cent": cents,
               "regelbedrag_cent": cents, "btw_categorie": "E", "btw_tarief_basispunten": 0}
              for n, (case, text, day, cents) in enumerate(lines, 1)]
    total = sum(r["regelbedrag_cent"] for r in regels)
    return fact("Factuur", mid, case_ref="FA" + number.rjust(30, "0"), source="kredietbank",
                documentsoort="INVOICE", factuurnummer=number, factuurdatum=issued,
                vervaldatum=None, leverancier_id=KB, leverancier_naam="Kredietbank",
                leverancier_btw_nummer=None, koper_referentie="ONTZORGEN",
                gecrediteerde_factuurnummer=None, valuta="EUR", totaal_excl_btw_cent=total,
                btw_bedrag_cent=0, totaal_incl_btw_cent=total, te_betalen_cent=total,
                iban_begunstigde=None, regels=regels, ubl_sha256=mid)


def member(case: str, *, doelgroep: str = "ASIELSTATUSHOUDER", vrijwillig: bool = False,
           einde: date | None = date(2024, 9, 30)) -> list[Fact]:
    return [fact("InburgeringsplichtVastgesteld", f"p-{case}", case_ref=case, bsn=BSN,
                 v_nummer=None, plicht_startdatum=date(2023, 6, 1), doelgroep=doelgroep,
                 regime="WI2021"),
            fact("KoppelingGemeente", f"k-{case}", case_ref=case, bsn=BSN, gemeentecode="0363",
                 koppeldatum=date(2023, 7, 1), azc=None),
            ontzorgen(f"o-{case}", HH, start=date(2024, 4, 1), einde=einde,
                      bijstand=date(2024, 3, 10), vrijwillig=vrijwillig, case_ref=case)]


def views(facts: list[Fact]) -> dict[str, dict[str, Any]]:
    """Every key's view from the facts, reading linked keys as the store does."""
    by_key: dict[str, list[Fact]] = {}
    for f in facts:
        by_key.setdefault(f.case_ref, []).append(f)
    unique = {k: sorted({f.message_id: f for f in fs}.values(), key=fact_order)
              for k, fs in by_key.items()}
    out = {}
    for key in unique:
        closure, _ = with_links([key], {key: unique[key]}, linked,
                                lambda keys: {k: unique.get(k, []) for k in keys})
        out[key] = case_view(key, closure[key])
    return out


def reasons(view: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted((d["factuurnummer"], d["regelnummer"], d["reden"])
                  for d in view["beslissingen"])


def household() -> list[Fact]:
    first = kb_invoice("kb-a", "KB-A", date(2024, 10, 5), [
        (CASE, "Intake financieel ontzorgen", date(2024, 4, 1), 14_700),
        (CASE, "Budgetbeheer 2024-04", date(2024, 4, 1), 2_500)])
    again = kb_invoice("kb-b", "KB-B", date(2024, 11, 5), [
        (OTHER, "Intake financieel ontzorgen", date(2024, 4, 1), 14_700),
        (OTHER, "Budgetbeheer 2024-04", date(2024, 4, 1), 2_500),
        (OTHER, "Budgetbeheer 2024-05", date(2024, 5, 1), 2_500)])
    return _messages(*member(CASE), *member(OTHER), first, again)


EXPECTED_A = [("KB-A", "1", "R12.akkoord"), ("KB-A", "2", "R12.akkoord")]
EXPECTED_B = [("KB-B", "1", "R12.intake-dubbel"), ("KB-B", "2", "R12.budgetbeheer-dubbel"),
              ("KB-B", "3", "R12.akkoord")]


def test_r12_a_second_member_billed_again_is_refused_for_the_household() -> None:
    got = views(household())
    assert reasons(got[CASE]) == EXPECTED_A
    assert reasons(got[OTHER]) == EXPECTED_B
    dubbel = next(d for d in got[OTHER]["beslissingen"] if d["reden"] == "R12.intake-dubbel")
    assert dubbel["bewijs"]["eerder_factuurnummer"] == "KB-A"
    assert dubbel["bewijs"]["eerder_gefactureerd_bij"] == CASE
    assert dubbel["bewijs"]["huishouden_leden"] == sorted([CASE, OTHER])
    hh = got[household_key(HH)]
    assert (hh["soort"], hh["leden"]) == ("huishouden", sorted([CASE, OTHER]))
    assert "beslissingen" not in hh  # a household view books nothing itself


def test_r12_the_household_is_the_same_whichever_member_is_billed_first() -> None:
    facts = [f for f in household() if f.message_id != "kb-a" and "kb-a@" not in f.message_id]
    assert reasons(views(facts)[OTHER])[:2] == [("KB-B", "1", "R12.akkoord"),
                                                ("KB-B", "2", "R12.akkoord")]


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(household()), cut=st.integers(1, 12))
def test_r12_any_order_and_batching_through_the_store_gives_the_same_decisions(
        tmp_path: Path, order: list[Fact], cut: int) -> None:
    url = f"sqlite:///{tmp_path / f'hh-{abs(hash((cut, tuple(f.message_id for f in order))))}.db'}"
    for deferred in (False, True):
        store = Store(url.replace(".db", f"-{deferred}.db"), projection=case_view,
                      derive=derived, links=linked, deferred_views=deferred)
        try:
            originals = [f for f in order if "@" not in f.message_id]
            for part in (originals[:cut], originals[cut:]):
                store.record_batch("c", [InboundMessage("t", 0, 0, f.message_id, f.case_ref,
                                                        f.kind, f.record) for f in part])
            while store.pending_projections():
                store.project_pending()
            assert reasons(store.case_view(CASE) or {}) == EXPECTED_A
            assert reasons(store.case_view(OTHER) or {}) == EXPECTED_B
        finally:
            store.close()


def fees(view: dict[str, Any]) -> list[tuple[str, str]]:
    return [(d["regelnummer"], d["reden"]) for d in view["beslissingen"]]


def months(case: str, number: str, *month_numbers: int) -> Fact:
    lines = [(case, "Intake financieel ontzorgen", date(2024, 4, 1), 14_700)]
    lines += [(case, f"Budgetbeheer 2024-{m:02d}", date(2024, m, 1), 2_500)
              for m in month_numbers]
    return kb_invoice(f"kb-{number}", number, date(2025, 1, 5), lines)


def test_r11_without_vrijwillig_no_fee_after_six_months_from_the_bijstand_start() -> None:
    """Bijstand 10 March: ontzorgen may run to 9 September, whatever end the decision says."""
    facts = _messages(*member(CASE, einde=date(2024, 12, 31)), months(CASE, "KB", 4, 9, 10))
    view = views(facts)[CASE]
    assert fees(view) == [("1", "R12.akkoord"), ("2", "R12.akkoord"), ("3", "R12.akkoord"),
                          ("4", "R11.na-zes-maanden")]
    assert view["ontzorgen"] == [{"begin": "2024-04-01", "einde": "2024-09-09"}]


def test_r11_vrijwillig_runs_to_the_decision_end() -> None:
    facts = _messages(*member(CASE, einde=date(2024, 12, 31), vrijwillig=True),
                      months(CASE, "KB", 10, 12))
    assert [r for _, r in fees(views(facts)[CASE])] == ["R12.akkoord"] * 3


def test_r11_a_gezinsmigrant_without_vrijwillig_is_not_ontzorgd() -> None:
    facts = _messages(*member(CASE, doelgroep="GEZINSMIGRANT"), months(CASE, "KB", 4))
    view = views(facts)[CASE]
    assert fees(view) == [("1", "R11.niet-vrijwillig"), ("2", "R11.niet-vrijwillig")]
    assert all(d["goedgekeurd_cent"] == 0 for d in view["beslissingen"])
    assert view["ontzorgen"] == []
    voluntary = _messages(*member(CASE, doelgroep="OVERIGE_MIGRANT", vrijwillig=True),
                          months(CASE, "KB", 4))
    assert [r for _, r in fees(views(voluntary)[CASE])] == ["R12.akkoord"] * 2


def test_r11_an_unknown_doelgroep_holds_the_fee_until_duo_tells_it() -> None:
    facts = _messages(*member(CASE)[1:], months(CASE, "KB", 4))  # no plicht yet
    view = views(facts)[CASE]
    assert {(d["beslissing"], d["reden"]) for d in view["beslissingen"]} == \
        {("AANGEHOUDEN", "R11.doelgroep-onbekend")}


def test_r11_the_bijstand_end_and_a_kredietbank_einde_end_it_early() -> None:
    ended = [*member(CASE)[:2], ontzorgen("o", HH, start=date(2024, 4, 1),
                                          einde=date(2024, 9, 30), bijstand=date(2024, 3, 10),
                                          bijstand_einde=date(2024, 5, 20))]
    view = views(_messages(*ended, months(CASE, "KB", 5, 6)))[CASE]
    assert fees(view)[1:] == [("2", "R12.akkoord"), ("3", "R11.bijstand-beeindigd")]
    einde = fact("OntzorgenEinde", "e", source="kredietbank", bsn=BSN, huishouden_id=HH,
                 einddatum=date(2024, 4, 15), reden="BIJSTAND_BEEINDIGD", toelichting=None)
    view = views(_messages(*member(CASE), einde, months(CASE, "KB", 4, 5)))[CASE]
    assert fees(view)[1:] == [("2", "R12.akkoord"), ("3", "R12.geen-actief-ontzorgen")]


def test_r12_the_intake_needs_a_granted_ontzorgen_and_waits_for_a_decision() -> None:
    base = [plicht("p", date(2023, 6, 1)), koppeling("k", "0363", date(2023, 7, 1))]
    waiting = views(_messages(*base, months(CASE, "KB", 4)))[CASE]
    assert [(d["beslissing"], d["reden"]) for d in waiting["beslissingen"]] == \
        [("AANGEHOUDEN", "R12.geen-besluit")] * 2  # no decision for the household yet
    refused = ontzorgen("o", HH, start=date(2024, 4, 1), einde=None, bijstand=date(2024, 3, 10),
                        besluit="AFGEWEZEN")
    view = views(_messages(*base, refused, months(CASE, "KB", 4)))[CASE]
    assert fees(view) == [("1", "R12.intake-zonder-toekenning"),
                          ("2", "R12.geen-actief-ontzorgen")]


def test_r12_links_are_symmetric() -> None:
    facts = household()
    by_key: dict[str, list[Fact]] = {}
    for f in facts:
        by_key.setdefault(f.case_ref, []).append(f)
    for key, own in by_key.items():
        for other in linked(key, own):
            assert key in linked(other, by_key.get(other, [])), (key, other)
    assert NS  # the builders' namespace is the schemas'

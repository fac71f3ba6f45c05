"""Order independence (ARCHITECTURE §2.1, issue 6.5): any permutation of a case's facts, with
repeats, gives the same view, decisions, signals and registrations, through the pure
projection and through the store."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.reconcile.links import derived
from hub.reconcile.view import case_view
from hub.store import Fact, InboundMessage, Store
from hub.store.jsonsafe import dumps
from tests.unit.reconcile_facts import (
    CASE,
    NS,
    exam,
    fact,
    gesprek,
    koppeling,
    pip,
    plicht,
    termijn,
    verhuizing,
    voldaan,
    voortgang,
)

SCHOOL = "B10001"


def _invoice(mid: str, number: str, start: date, end: date, hours: int, price: int,
             *, produced: datetime, soort: str = "INVOICE", credits: str | None = None) -> Fact:
    line = {"regelnummer": "1", "omschrijving": "Lesuren", "case_ref": CASE,
            "koper_referentie": None, "periode_begindatum": start, "periode_einddatum": end,
            "hoeveelheid_milli": hours * 1000, "eenheid": "HUR", "eenheidsprijs_cent": price,
            "regelbedrag_cent": hours * price, "btw_categorie": "E", "btw_tarief_basispunten": 0}
    key = "FA" + number.rjust(30, "0")
    record = {"documentsoort": soort, "factuurnummer": number, "factuurdatum": end,
              "vervaldatum": None, "leverancier_id": SCHOOL, "leverancier_naam": "School",
              "leverancier_btw_nummer": None, "koper_referentie": "C-1",
              "gecrediteerde_factuurnummer": credits, "valuta": "EUR",
              "totaal_excl_btw_cent": hours * price, "btw_bedrag_cent": 0,
              "totaal_incl_btw_cent": hours * price, "te_betalen_cent": hours * price,
              "iban_begunstigde": None, "regels": [line], "ubl_sha256": mid}
    whole = fact("Factuur", mid, case_ref=key, produced_at=produced, **record)
    [for_case] = derived(InboundMessage("t", 0, 0, mid, key, NS + "Factuur", whole.record))
    return Fact(for_case.message_id, CASE, for_case.kind, for_case.record, "t", 0, 0)


def history() -> list[Fact]:
    """One case with a move across 31 December, hours, exams, and good and bad invoices."""
    t = datetime(2024, 2, 1, tzinfo=UTC)
    return [
        plicht("p1", date(2023, 1, 10)), koppeling("k1", "0363", date(2023, 1, 20)),
        pip("pip1", date(2023, 3, 1), date(2023, 3, 1), school=SCHOOL),
        pip("pip2", date(2023, 3, 1), date(2024, 2, 1), school=SCHOOL, soort="GEWIJZIGD"),
        gesprek("g1", "BREDE_INTAKE", date(2023, 2, 15)),
        verhuizing("m1", date(2023, 12, 28), "0363", "0599"),
        termijn("t1", 8),
        voortgang("v1", SCHOOL, date(2023, 4, 1), date(2023, 4, 30), taal_h=40),
        voortgang("v2", SCHOOL, date(2024, 1, 1), date(2024, 1, 31), taal_h=40),
        exam("e1", "LEZEN", date(2024, 5, 1)), exam("e2", "KNM", date(2024, 5, 2)),
        voldaan("PvtVoldaan", "pvt1", date(2023, 10, 1)),
        _invoice("f1", "2023-04", date(2023, 4, 1), date(2023, 4, 30), 40, 4100, produced=t),
        _invoice("f2", "2023-04", date(2023, 4, 1), date(2023, 4, 30), 40, 4100,
                 produced=t.replace(day=2)),  # same number, other document: duplicate
        _invoice("f3", "2024-01", date(2024, 1, 1), date(2024, 1, 31), 40, 5000, produced=t),
        _invoice("f4", "2024-01b", date(2024, 1, 1), date(2024, 1, 31), 80, 4100, produced=t),
        _invoice("f5", "CN-1", date(2023, 4, 1), date(2023, 4, 30), 10, 4100, produced=t,
                 soort="CREDIT_NOTE", credits="2023-04"),
    ]


def _view(facts: list[Fact]) -> str:
    return dumps(case_view(CASE, facts))


BASELINE = history()
EXPECTED = _view(BASELINE)


@settings(max_examples=60, deadline=None)
@given(st.permutations(BASELINE), st.lists(st.sampled_from(BASELINE), max_size=6))
def test_any_order_gives_the_same_view(order: list[Fact], repeats: list[Fact]) -> None:
    unique = {f.message_id: f for f in [*order, *repeats]}  # the store's dedup by message id
    assert _view(list(unique.values())) == EXPECTED


def test_the_history_has_decisions_signals_and_registrations() -> None:
    view: dict[str, Any] = case_view(CASE, BASELINE)
    assert view["budget_toerekening"]["2023"] == "0599"
    assert {s["type"] for s in view["signalen"]} >= {"OVERDRACHT_VERHUIZING"}
    assert len(view["uitgaand"]) >= 3


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(BASELINE), cut=st.integers(1, len(BASELINE) - 1),
       repeats=st.lists(st.sampled_from(BASELINE), max_size=5))
def test_any_batching_through_the_store_gives_the_same_view(
    tmp_path: Path, order: list[Fact], cut: int, repeats: list[Fact]
) -> None:
    url = f"sqlite:///{tmp_path / f'order-{abs(hash((cut, len(repeats))))}.db'}"
    store = Store(url, projection=case_view)
    try:
        for part in (order[:cut], [*order[cut:], *repeats]):
            store.record_batch("test", [_inbound(f) for f in part])
        assert dumps(store.case_view(CASE)) == EXPECTED
    finally:
        store.close()
        Path(url.removeprefix("sqlite:///")).unlink()


def _inbound(f: Fact) -> InboundMessage:
    return InboundMessage("t", 0, 0, f.message_id, f.case_ref, f.kind, f.record)

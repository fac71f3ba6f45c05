"""The effect ledger's diff (ARCHITECTURE §2.3): whatever sequence of views a case went
through, the partners end up holding exactly what the last view implies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import topics
from hub.reconcile import effects
from hub.reconcile.effects import (
    AFMELDING,
    BOEKING,
    INTREKKING,
    SIGNALERING,
    TEGENBOEKING,
    net,
    plan,
)

CASE = "CR" + "A" * 30
NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
DOCS = ("doc-a", "doc-b")


def decision(doc: str, regel: str, cents: int, gemeente: str = "0363",
             approved: bool = True) -> dict[str, Any]:
    return {"factuur_key": "FA1", "factuur_message_id": doc, "factuurnummer": "2024-1",
            "leverancier_id": "B10001", "regelnummer": regel, "documentsoort": "INVOICE",
            "dienstdatum": "2024-03-01", "beslissing": "GOEDGEKEURD" if approved else "AFGEWEZEN",
            "reden": "R9.akkoord" if approved else "R9.dubbel-factuurnummer",
            "regel": "R9", "goedgekeurd_cent": cents if approved else 0,
            "gemeentecode": gemeente, "begrotingsjaar": 2024, "kostenplaats": "KP1",
            "kostensoort": "KS1", "iban_begunstigde": "NL91ABNA0417164300",
            "leverancier_naam": "School"}


def signal(ident: str, text: str = "x") -> dict[str, Any]:
    return {"id": ident, "type": "FACTUUR_GEWEIGERD", "gemeentecode": "0363", "regel": "R9",
            "vastgesteld_op": "2024-03-01", "uiterlijk": None, "toelichting": text,
            "kenmerken": {}}


def aanmelding(start: str) -> dict[str, Any]:
    return {"id": "00000000-0000-5000-8000-000000000001", "topic": topics.ONTZORGEN_AANMELDING,
            "effect": "ontzorgen:bron:isam:ontzorgenbesluit:1",
            "record": {"message_id": "00000000-0000-5000-8000-000000000001", "case_ref": CASE,
                       "huishouden_id": "HH1", "ontzorgen_startdatum": start}}


def pip(version: int) -> dict[str, Any]:
    ident = f"00000000-0000-5000-8000-00000000010{version}"
    return {"id": ident, "topic": topics.HUB_PIP_VASTGESTELD, "effect": "pip:bron:isam:pip:1",
            "record": {"message_id": ident, "case_ref": CASE, "gemeentecode": "0363",
                       "versie": version}}


def view(decisions: list[dict[str, Any]] = (), signals: list[dict[str, Any]] = (),  # type: ignore[assignment]
         uitgaand: list[dict[str, Any]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    return {"beslissingen": list(decisions), "signalen": list(signals),
            "uitgaand": list(uitgaand)}


def run(views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ledger: list[dict[str, Any]] = []
    for v in views:
        ledger += [dict(e) for e in plan(CASE, v, ledger, NOW)]
    return ledger


def test_a_booked_line_no_longer_approved_is_reversed_with_reference_and_reason() -> None:
    ledger = run([view([decision("doc-a", "1", 10_000)]),
                  view([decision("doc-a", "1", 0, approved=False)])])
    assert [e["soort"] for e in ledger] == [BOEKING, TEGENBOEKING]
    booked, back = ledger[0]["record"], ledger[1]["record"]
    assert back["bedrag_cent"] == -10_000
    assert back["tegenboeking_van"] == booked["boekingskenmerk"]
    assert back["boekingskenmerk"] != booked["boekingskenmerk"]
    assert ledger[1]["reden"] == "R9.dubbel-factuurnummer"
    assert net(ledger)["boekingen"] == {}


def test_a_changed_amount_is_reversed_then_booked_again() -> None:
    ledger = run([view([decision("doc-a", "1", 10_000)]),
                  view([decision("doc-a", "1", 7_500)])])
    assert [(e["soort"], e["bedrag_cent"]) for e in ledger] == [
        (BOEKING, 10_000), (TEGENBOEKING, -10_000), (BOEKING, 7_500)]
    assert len({e["effect_id"] for e in ledger}) == 3


def test_a_booking_is_dated_when_made_not_by_its_service_date() -> None:
    ledger = run([view([decision("doc-a", "1", 10_000)])])
    assert ledger[0]["record"]["boekingsdatum"] == NOW.date()
    assert ledger[0]["record"]["begrotingsjaar"] == 2024


def test_two_documents_with_one_number_get_their_own_booking_ids() -> None:
    ledger = run([view([decision("doc-a", "1", 100), decision("doc-b", "1", 100)])])
    assert len({e["record"]["boekingskenmerk"] for e in ledger}) == 2
    assert len({e["effect_id"] for e in ledger}) == 2


def test_a_signal_no_longer_implied_is_withdrawn_once() -> None:
    ledger = run([view(signals=[signal("s1")]), view(), view()])
    assert [e["soort"] for e in ledger] == ["SIGNAAL", INTREKKING]
    assert ledger[1]["record"]["ingetrokken_signaal_id"] == ledger[0]["effect_id"]
    assert net(ledger)["signalen"] == []


def test_the_same_view_again_sends_nothing_and_a_retry_plans_the_same_ids() -> None:
    v = view([decision("doc-a", "1", 100)], [signal("s1")], [pip(1)])
    first = plan(CASE, v, [], NOW)
    assert [e["effect_id"] for e in plan(CASE, v, [], NOW)] == [e["effect_id"] for e in first]
    assert plan(CASE, v, [dict(e) for e in first], NOW) == []


def test_an_ontzorgen_aanmelding_no_longer_granted_is_withdrawn_by_an_afmelding() -> None:
    ledger = run([view(uitgaand=[aanmelding("2024-01-01")]), view()])
    assert [e["soort"] for e in ledger] == ["REGISTRATIE", AFMELDING]
    assert ledger[1]["topic"] == topics.HUB_ONTZORGEN_EINDE


def test_a_corrected_pip_is_sent_again_and_a_vanished_one_raises_an_operator_signal() -> None:
    ledger = run([view(uitgaand=[pip(1)]), view(uitgaand=[pip(2)]), view(), view()])
    assert [e["soort"] for e in ledger] == ["REGISTRATIE", "CORRECTIE", SIGNALERING]
    assert ledger[2]["topic"] == topics.SIGNAAL
    assert ledger[2]["record"]["kenmerken"]["regel"] == "niet-intrekbaar"
    assert topics.HUB_PIP_VASTGESTELD in effects.NIET_INTREKBAAR


# -- the property: any history of views ends where the last view is -------------------------

decisions = st.lists(st.builds(decision, st.sampled_from(DOCS), st.sampled_from(("1", "2")),
                               st.integers(-5_000, 50_000), st.sampled_from(("0363", "0344")),
                               st.booleans()), max_size=4)
views = st.builds(view, decisions, st.lists(st.builds(signal, st.sampled_from(("s1", "s2")),
                                                      st.sampled_from(("a", "b"))), max_size=2),
                  st.lists(st.sampled_from([aanmelding("2024-01-01"), aanmelding("2024-02-01"),
                                            pip(1), pip(2)]), max_size=2))


def _unique(v: dict[str, Any]) -> dict[str, Any]:
    """A view has one decision per line, one signal per id, one item per effect."""
    lines = {(d["factuur_message_id"], d["regelnummer"]): d for d in v["beslissingen"]}
    sigs = {s["id"]: s for s in v["signalen"]}
    items = {i["effect"]: i for i in v["uitgaand"]}
    return view(list(lines.values()), list(sigs.values()), list(items.values()))


@settings(max_examples=300, deadline=None)
@given(st.lists(views.map(_unique), min_size=1, max_size=6))
def test_net_effect_is_what_the_last_view_implies_whatever_came_before(history: Any) -> None:
    ledger = run(history)
    alone = run(history[-1:])
    assert net(ledger)["boekingen"] == net(alone)["boekingen"]
    assert net(ledger)["signalen"] == net(alone)["signalen"]
    assert net(ledger)["registraties"] == net(alone)["registraties"]
    signalled = {e["effect_key"] for e in ledger if e["soort"] == SIGNALERING}
    for key in net(ledger)["niet_intrekbaar"]:  # kept by the partner: never silently
        assert key in signalled
        assert key not in net(alone)["registraties"]
    assert plan(CASE, history[-1], ledger, NOW) == []  # at rest once caught up
    assert len({e["effect_id"] for e in ledger}) == len(ledger)  # one id per effect version
    kenmerken = [e["record"]["boekingskenmerk"] for e in ledger if e["topic"] == topics.BOEKING]
    assert len(set(kenmerken)) == len(kenmerken)

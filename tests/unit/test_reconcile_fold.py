"""Incremental projection (issue 24): a case's view from its folded state (previous state plus
new facts) equals the full recomputation from every fact, for random histories in random
batches, with corrections (R21) among them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.reconcile import fold
from hub.reconcile.facts import EXAMEN
from hub.reconcile.view import case_view, default_reconciler
from hub.store import Fact
from hub.store.jsonsafe import dumps
from hub.store.records import fact_order
from tests.unit.reconcile_facts import (
    CASE,
    exam,
    gesprek,
    koppeling,
    pip,
    plicht,
    termijn,
    versioned,
    voldaan,
    voortgang,
)

ONDERDELEN = ("LEZEN", "LUISTEREN", "SCHRIJVEN", "SPREKEN", "KNM", "ONA")
DAY0 = date(2024, 1, 1)
T = datetime(2024, 3, 1, 9, tzinfo=UTC)


@st.composite
def exam_fact(draw: st.DrawFn, mid: str, earlier: list[str]) -> Fact:
    """An exam result; sometimes a DUO version of a record, sometimes correcting another."""
    f = exam(mid, draw(st.sampled_from(ONDERDELEN)), DAY0 + timedelta(days=draw(st.integers(0, 9))),
             niveau=draw(st.sampled_from(("A1", "A2", "B1", "B1", "B2"))),
             uitslag=draw(st.sampled_from(("GESLAAGD", "GESLAAGD", "NIET_GESLAAGD"))))
    if draw(st.integers(0, 4)) == 0:  # one in five carries DUO's version order
        n = draw(st.integers(1, 5))
        corrects = draw(st.sampled_from(earlier)) if earlier and draw(st.booleans()) else None
        f = versioned(f, f"duo:examen:{draw(st.integers(0, 2))}", volgnummer=n,
                      tijdstip=T + timedelta(minutes=n), corrigeert=corrects)
    return f


@st.composite
def other_fact(draw: st.DrawFn, mid: str) -> Fact:
    """Any of the other kinds a case's status reads."""
    day = DAY0 + timedelta(days=draw(st.integers(-400, 200)))
    choice = draw(st.integers(0, 7))
    if choice == 0:
        return plicht(mid, day, regime=draw(st.sampled_from(("WI2021", "WI2013"))))
    if choice == 1:
        return koppeling(mid, draw(st.sampled_from(("0363", "0599"))), day)
    if choice == 2:
        return pip(mid, day, day + timedelta(days=draw(st.integers(0, 90))),
                   leerroute=draw(st.sampled_from(("B1", "Z", "ONDERWIJS"))),
                   niveau=draw(st.sampled_from(("B1", "A2"))))
    if choice == 3:
        return voortgang(mid, "100001", day, day + timedelta(days=27),
                         taal_h=draw(st.integers(0, 400)), participatie_h=draw(st.integers(0, 400)))
    if choice == 4:
        return gesprek(mid, draw(st.sampled_from(("BREDE_INTAKE", "VOORTGANGSGESPREK"))), day)
    if choice == 5:
        return termijn(mid, draw(st.integers(1, 20)))
    return voldaan(draw(st.sampled_from(("PvtVoldaan", "MapVoldaan"))), mid, day)


def b1_context(regime: str) -> list[Fact]:
    """Plicht, koppeling, a B1 PIP, PVT and MAP: the exams then decide whether the plicht is met."""
    return [plicht("ctx-p", DAY0 - timedelta(days=300), regime=regime),
            koppeling("ctx-k", "0363", DAY0 - timedelta(days=290)),
            pip("ctx-pip", DAY0 - timedelta(days=200), DAY0 - timedelta(days=200)),
            voldaan("PvtVoldaan", "ctx-pvt", DAY0 - timedelta(days=10)),
            voldaan("MapVoldaan", "ctx-map", DAY0 - timedelta(days=9))]


@st.composite
def histories(draw: st.DrawFn, plain_exams: bool = False) -> list[list[Fact]]:
    """A case's facts in the batches they arrive in (each fact once, any order)."""
    facts: list[Fact] = []
    if plain_exams or draw(st.booleans()):
        facts += b1_context(draw(st.sampled_from(("WI2021", "WI2013"))))
    for i in range(draw(st.integers(1, 40))):
        mid = f"m{i:03d}-{draw(st.integers(0, 9))}"  # ids not in arrival order
        if plain_exams or draw(st.integers(0, 2)) > 0:
            f = draw(exam_fact(mid, [x.message_id for x in facts if x.kind == EXAMEN]))
            if plain_exams:
                f = exam(mid, f.record["onderdeel"], f.record["examendatum"],
                         niveau=f.record["niveau"], uitslag=f.record["uitslag"])
        else:
            f = draw(other_fact(mid))
        facts.append(f)
    facts = draw(st.permutations(facts))
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(facts) - 1)), max_size=5)))
    bounds = [0, *cuts, len(facts)]
    return [facts[a:b] for a, b in pairwise(bounds) if a < b]


def _full(facts: list[Fact]) -> str:
    return dumps(case_view(CASE, sorted(facts, key=fact_order)))


def _folded(state: fold.CaseState) -> str:
    return dumps(default_reconciler().view_of_state(CASE, state))


@settings(max_examples=150, deadline=None)
@given(histories())
def test_the_folded_view_equals_the_full_recomputation_after_every_batch(
    batches: list[list[Fact]],
) -> None:
    seen: list[Fact] = []
    state: fold.CaseState | None = None
    for batch in batches:
        seen += batch
        folded = None if state is None else fold.fold(state, batch)
        state = folded if folded is not None else fold.build(seen)
        assert _folded(state) == _full(seen)
        assert state.count == len(seen)


@settings(max_examples=60, deadline=None)
@given(histories(plain_exams=True))
def test_unversioned_exam_results_always_fold_and_keep_only_the_deciding_ones(
    batches: list[list[Fact]],
) -> None:
    state = fold.build(batches[0])
    seen = list(batches[0])
    for batch in batches[1:]:
        seen += batch
        folded = fold.fold(state, batch)
        assert folded is not None  # nothing here calls for a rebuild
        state = folded
    assert _folded(state) == _full(seen)
    # at most the best per onderdeel and the earliest pass per onderdeel and niveau
    assert len(state.items.get(EXAMEN, ())) <= len(ONDERDELEN) * 5


def test_a_versioned_exam_result_or_a_correction_target_asks_for_a_rebuild() -> None:
    first = versioned(exam("a", "LEZEN", DAY0), "duo:examen:1", volgnummer=1, tijdstip=T)
    state = fold.build([first])
    assert fold.fold(state, [versioned(exam("b", "LEZEN", DAY0, uitslag="NIET_GESLAAGD"),
                                       "duo:examen:1", volgnummer=2, tijdstip=T)]) is None
    correction = versioned(exam("c", "SPREKEN", DAY0, uitslag="NIET_GESLAAGD"),
                           "duo:examen:2", volgnummer=3, tijdstip=T, corrigeert="late")
    state = fold.build([first, correction])
    assert fold.fold(state, [exam("late", "SPREKEN", DAY0)]) is None  # arrives after its fix
    assert fold.fold(state, [exam("other", "SPREKEN", DAY0)]) is not None


def test_many_results_of_one_case_fold_into_a_handful() -> None:
    facts = [exam(f"e{i:03d}", ONDERDELEN[i % 5], DAY0 + timedelta(days=i % 40),
                  uitslag="GESLAAGD" if i % 3 else "NIET_GESLAAGD") for i in range(200)]
    state = fold.build(facts[:100])
    state = fold.fold(state, facts[100:])
    assert state is not None and state.count == 200
    assert len(state.items[EXAMEN]) <= 10
    assert _folded(state) == _full(facts)


def _without_count(state: fold.CaseState) -> str:
    view = default_reconciler().view_of_state(CASE, state)
    return dumps({**view, "facts": None})


SEEN_BASES: dict[bytes, str] = {}  # across examples: equal bases from different histories too


@settings(max_examples=150, deadline=None)
@given(histories())
def test_states_of_equal_basis_have_views_that_differ_only_in_the_fact_count(
    batches: list[list[Fact]],
) -> None:
    seen: list[Fact] = []
    for batch in batches:
        seen += batch
        state = fold.build(seen)
        view = _without_count(state)
        assert SEEN_BASES.setdefault(fold.basis(state), view) == view
        recounted = default_reconciler().recount(
            {**default_reconciler().view_of_state(CASE, state), "facts": 0}, state)
        assert dumps(recounted) == _full(seen)


def test_a_result_that_decides_nothing_or_repeats_one_leaves_the_basis_as_it_was() -> None:
    state = fold.build([exam("a", "LEZEN", DAY0 + timedelta(days=2))])
    before = fold.basis(state)
    later_fail = fold.fold(state, [exam("b", "LEZEN", DAY0 + timedelta(days=1),
                                        uitslag="NIET_GESLAAGD")])
    repeated = fold.fold(state, [exam("c", "LEZEN", DAY0 + timedelta(days=2))])
    assert later_fail is not None and fold.basis(later_fail) == before
    assert repeated is not None and fold.basis(repeated) == before  # "c" replaced "a"
    assert [mid for mid, _ in repeated.items[EXAMEN]] == ["c"]
    new_onderdeel = fold.fold(state, [exam("d", "SPREKEN", DAY0)])
    assert new_onderdeel is not None and fold.basis(new_onderdeel) != before


def test_message_ids_stay_in_the_basis_where_versions_or_corrections_decide() -> None:
    def duo(mid: str) -> Fact:
        return versioned(exam(mid, "LEZEN", DAY0), "duo:examen:1", volgnummer=1, tijdstip=T)

    assert fold.basis(fold.build([duo("a")])) != fold.basis(fold.build([duo("b")]))
    fix = versioned(exam("fix", "SPREKEN", DAY0, uitslag="NIET_GESLAAGD"), "duo:examen:2",
                    volgnummer=2, tijdstip=T, corrigeert="a")
    with_target = fold.build([exam("a", "SPREKEN", DAY0), fix])
    without = fold.build([exam("z", "SPREKEN", DAY0), fix])
    assert fold.basis(with_target) != fold.basis(without)
    assert _without_count(with_target) != _without_count(without)  # "a" is corrected, "z" not


def test_the_first_version_of_a_new_duo_record_folds_in_and_a_later_version_asks_for_a_rebuild(
) -> None:
    def duo(mid: str, examen: str, n: int, uitslag: str = "GESLAAGD") -> Fact:
        return versioned(exam(mid, "LEZEN", DAY0 + timedelta(days=n), uitslag=uitslag),
                         f"duo:examen:{examen}", volgnummer=n, tijdstip=T + timedelta(minutes=n))

    first = [duo("a", "1", 1)]
    state = fold.build(first)
    later = fold.fold(state, [duo("b", "2", 2, "NIET_GESLAAGD"), duo("c", "3", 3)])
    assert later is not None  # new DUO records: nothing they could replace
    assert _folded(later) == _full([*first, duo("b", "2", 2, "NIET_GESLAAGD"), duo("c", "3", 3)])
    assert later.sleutels == {"duo:examen:1", "duo:examen:2", "duo:examen:3"}
    assert fold.fold(later, [duo("d", "2", 4)]) is None  # a later version of a forgotten one
    assert fold.fold(state, [duo("e", "4", 4), duo("f", "4", 5)]) is None  # two in one batch

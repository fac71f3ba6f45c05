"""The store's incremental projection (issue 24): a projector that folds new facts into kept
per-case states writes the same views as one that re-reads every fact, for any batching, with
corrections and linked households among the facts, and after a restart forgets its states."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.reconcile.links import derived, linked
from hub.reconcile.view import default_reconciler
from hub.store import Fact, InboundMessage, Store, incremental
from hub.store import models as m
from tests.unit.reconcile_facts import CASE, exam, versioned
from tests.unit.test_reconcile_households import OTHER, kb_invoice, member
from tests.unit.test_reconcile_order import history

DAY = date(2024, 5, 1)
THIRD = "CR" + "C" * 30


def _facts() -> list[Fact]:
    """Exam-heavy cases, a DUO correction, a school-invoice history and a household of two."""
    out = list(history())
    for n in range(30):
        out.append(exam(f"x{n:02d}", ("LEZEN", "KNM", "SPREKEN")[n % 3], DAY + timedelta(n % 7),
                        uitslag="GESLAAGD" if n % 4 else "NIET_GESLAAGD"))
        out.append(Fact(f"y{n:02d}", THIRD, out[-1].kind, {**out[-1].record, "case_ref": THIRD},
                        "t", 0, 0))
    out.append(versioned(exam("fix", "LEZEN", DAY, uitslag="NIET_GESLAAGD"), "duo:1",
                         volgnummer=2, corrigeert="x00"))
    out += member(CASE) + member(OTHER)
    out.append(kb_invoice("kb1", "KB-1", date(2024, 5, 31),
                          [(CASE, "Intake", date(2024, 4, 1), 14700),
                           (OTHER, "Budgetbeheer", date(2024, 4, 1), 2500)]))
    return out


FACTS = _facts()


def _store(url: str, *, folding: bool) -> Store:
    reconciler = default_reconciler()
    return Store(url, projection=reconciler, derive=derived, links=linked, deferred_views=True,
                 folding=reconciler if folding else None)


def _drain(store: Store) -> None:
    while store.project_pending(7):  # small chunks: states are folded into many times
        pass


def _record(store: Store, batch: list[Fact]) -> None:
    store.record_batch("test", [InboundMessage("t", 0, 0, f.message_id, f.case_ref, f.kind,
                                               f.record) for f in batch])


def _run(url: str, batches: list[list[Fact]], *, folding: bool,
         restart_at: int = -1) -> tuple[str, int]:
    """The content hash after recording and projecting ``batches``; states folded into."""
    store = _store(url, folding=folding)
    try:
        for n, batch in enumerate(batches):
            if n == restart_at:  # a new projector process: no states kept
                store.close()
                store = _store(url, folding=folding)
            _record(store, batch)
            _drain(store)
        return store.content_hash(), store._rules.states.folded
    finally:
        store.close()


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(range(len(FACTS))),
       cuts=st.sets(st.integers(1, len(FACTS) - 1), min_size=3, max_size=8),
       restart=st.integers(0, 8))
def test_the_folding_projector_writes_what_full_recomputation_writes(
    tmp_path: Path, order: list[int], cuts: set[int], restart: int,
) -> None:
    bounds = [0, *sorted(cuts), len(order)]
    batches = [[FACTS[i] for i in order[a:b]] for a, b in pairwise(bounds)]
    tag = abs(hash((tuple(sorted(cuts)), restart)))
    full, _ = _run(f"sqlite:///{tmp_path / f'full-{tag}.db'}", batches, folding=False)
    folded, _ = _run(f"sqlite:///{tmp_path / f'fold-{tag}.db'}", batches, folding=True,
                     restart_at=restart)
    assert folded == full


def test_cases_are_folded_into_not_re_read(tmp_path: Path) -> None:
    batches = [FACTS[i::5] for i in range(5)]
    full, _ = _run(f"sqlite:///{tmp_path / 'full.db'}", batches, folding=False)
    folded, times = _run(f"sqlite:///{tmp_path / 'fold.db'}", batches, folding=True)
    assert folded == full
    assert times >= 4  # the exam cases, at least, in each later batch


def test_a_view_whose_basis_is_unchanged_is_recounted_unless_another_writer_changed_it(
    tmp_path: Path,
) -> None:
    """A result that decides nothing (a later fail after a pass) takes the stored view with a
    new count; a stored view that is not the one this projector computed is recomputed."""
    results = [exam("p", "LEZEN", DAY), exam("f1", "LEZEN", DAY - timedelta(1), "B1",
                                              "NIET_GESLAAGD"),
               exam("f2", "LEZEN", DAY - timedelta(2), "B1", "NIET_GESLAAGD")]
    store = _store(f"sqlite:///{tmp_path / 'fold.db'}", folding=True)
    full = _store(f"sqlite:///{tmp_path / 'full.db'}", folding=False)
    try:
        def record(fact: Fact) -> None:
            for s in (store, full):
                s.record_batch("test", [InboundMessage("t", 0, 0, fact.message_id, CASE,
                                                       fact.kind, fact.record)])
                _drain(s)

        record(results[0])
        record(results[1])
        assert store._rules.states.recounted == 1
        assert store.case_view(CASE) == full.case_view(CASE)
        assert (store.case_view(CASE) or {})["facts"] == 2
        with store.engine.begin() as conn:  # someone else writes a view the facts do not give
            conn.execute(m.case_view.update().values(view={**(store.case_view(CASE) or {}),
                                                           "gemeente": "9999"}))
        record(results[2])
        assert store._rules.states.recounted == 1  # not taken from the tampered view
        assert store.case_view(CASE) == full.case_view(CASE)
        assert (store.case_view(CASE) or {})["gemeente"] != "9999"
    finally:
        store.close()
        full.close()


def _prefold(store: Store, limit: int, shards: list[int] | None) -> None:
    """Fold every fact recorded so far ahead of projection, ``limit`` at a time."""
    cursor = -1
    while (last := store.prefold(cursor, limit, shards)[0]) != cursor:
        cursor = last


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(range(len(FACTS))),
       cuts=st.sets(st.integers(1, len(FACTS) - 1), min_size=3, max_size=8),
       steps=st.lists(st.sampled_from(["prefold", "both", "project"]), min_size=9, max_size=9),
       limit=st.integers(1, 40), half=st.booleans())
def test_facts_prefolded_ahead_of_projection_give_what_full_recomputation_writes(
    tmp_path: Path, order: list[int], cuts: set[int], steps: list[str], limit: int, half: bool,
) -> None:
    """Prefolding (reads only, while the worker records) between batches, with or without a
    projection after it, in passes of any size, for all shards or half of them."""
    bounds = [0, *sorted(cuts), len(order)]
    batches = [[FACTS[i] for i in order[a:b]] for a, b in pairwise(bounds)]
    tag = abs(hash((tuple(sorted(cuts)), tuple(steps), limit, half)))
    full, _ = _run(f"sqlite:///{tmp_path / f'full-{tag}.db'}", batches, folding=False)
    store = _store(f"sqlite:///{tmp_path / f'pre-{tag}.db'}", folding=True)
    try:
        for batch, step in zip(batches, steps, strict=False):
            _record(store, batch)
            if step != "project":
                _prefold(store, limit, list(range(0, 256, 2)) if half else None)
            if step != "prefold":
                _drain(store)
        _drain(store)
        assert store.content_hash() == full
    finally:
        store.close()


def test_facts_prefolded_are_not_read_again_by_their_projection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    results = [f for f in FACTS if f.case_ref == THIRD]  # plain exam results: no rebuilds
    store = _store(f"sqlite:///{tmp_path / 'pre.db'}", folding=True)
    full = _store(f"sqlite:///{tmp_path / 'full.db'}", folding=False)
    read: list[int] = []
    real = incremental._read
    monkeypatch.setattr(incremental, "_read", lambda conn, ids: read.append(len(ids)) or
                        real(conn, ids))
    try:
        for s in (store, full):
            _record(s, results[:15])
            _drain(s)
            _record(s, results[15:])
        read.clear()
        _prefold(store, 4, None)
        # in passes of 4 facts: the first that meets a new one folds all 15 new facts in
        assert sum(read) == 15 and store._rules.states.prefolded == 1
        read.clear()
        _drain(store)
        _drain(full)
        assert sum(read) == 0
        assert store.case_view(THIRD) == full.case_view(THIRD)
        assert (store.case_view(THIRD) or {})["facts"] == 30
    finally:
        store.close()
        full.close()

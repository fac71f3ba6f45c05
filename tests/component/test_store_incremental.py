"""The store's incremental projection (issue 24): a projector that folds new facts into kept
per-case states writes the same views as one that re-reads every fact, for any batching, with
corrections and linked households among the facts, and after a restart forgets its states."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.reconcile.links import derived, linked
from hub.reconcile.view import default_reconciler
from hub.store import Fact, InboundMessage, Store
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


def _run(url: str, batches: list[list[Fact]], *, folding: bool,
         restart_at: int = -1) -> tuple[str, int]:
    """The content hash after recording and projecting ``batches``; states folded into."""
    store = _store(url, folding=folding)
    try:
        for n, batch in enumerate(batches):
            if n == restart_at:  # a new projector process: no states kept
                store.close()
                store = _store(url, folding=folding)
            store.record_batch("test", [InboundMessage("t", 0, 0, f.message_id, f.case_ref,
                                                       f.kind, f.record) for f in batch])
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

"""Deferred projection: batches mark cases, the projector writes the same views inline would."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Connection

from hub.store import Store, views
from hub.store.engine import make_engine, transaction
from tests.component.test_store_support import ledger, message, milestones

OpenStore = Callable[..., Store]


@pytest.fixture
def open_store(new_store_url: Callable[[], str]) -> Iterator[OpenStore]:
    """Stores on fresh databases of this test's backend; closed after."""
    stores: list[Store] = []

    def open_(**options: Any) -> Store:
        stores.append(Store(new_store_url(), projection=ledger, emitter=milestones, **options))
        return stores[-1]

    yield open_
    for store in stores:
        store.close()


def _batches() -> list[list[Any]]:
    msgs = [message(n, f"CR-{n % 7}") for n in range(1, 120)]
    return [msgs[i:i + 25] for i in range(0, len(msgs), 25)] + [msgs[:10]]  # last: repeats


def test_deferred_batches_mark_cases_and_write_no_views(open_store: OpenStore) -> None:
    store = open_store(deferred_views=True)

    outcome = store.record_batch("exams", [message(1, "CR-A"), message(2, "CR-B")])

    assert (outcome.applied, outcome.views_changed) == (2, 0)
    assert store.case_view("CR-A") is None
    assert store.pending_projections() == 2
    assert store.count("outbox") == 0


def test_projector_writes_the_views_and_emits_what_inline_would(open_store: OpenStore) -> None:
    inline, deferred = open_store(), open_store(deferred_views=True)
    for batch in _batches():
        inline.record_batch("exams", batch)
        deferred.record_batch("exams", batch)

    projected = [deferred.project_pending(limit=3) for _ in range(4)]

    assert projected == [3, 3, 1, 0]
    assert deferred.pending_projections() == 0
    for n in range(7):
        assert deferred.case_view(f"CR-{n}") == inline.case_view(f"CR-{n}")
    assert deferred.count("fact") == inline.count("fact") == 119
    assert deferred.count("outbox") == inline.count("outbox") > 0  # milestones emitted once


def test_projecting_twice_changes_nothing(open_store: OpenStore) -> None:
    store = open_store(deferred_views=True)
    store.record_batch("exams", [message(n, "CR-A") for n in range(1, 4)])
    store.project_pending()
    digest, audit = store.content_hash(), store.count("audit")

    store.record_batch("exams", [message(n, "CR-A") for n in range(1, 4)])  # repeats only

    assert store.pending_projections() == 0
    assert store.project_pending() == 0
    assert (store.content_hash(), store.count("audit")) == (digest, audit)


def test_a_fact_recorded_while_the_projector_computes_keeps_its_case_dirty(
    open_store: OpenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(deferred_views=True)
    store.record_batch("exams", [message(1, "CR-A")])
    original = views.plan_dirty

    def plan_then_a_batch_lands(conn: Connection, *args: Any, **kw: Any) -> views.Plan:
        plan = original(conn, *args, **kw)
        store.record_batch("exams", [message(2, "CR-A")])  # commits between read and write
        return plan

    monkeypatch.setattr(views, "plan_dirty", plan_then_a_batch_lands)
    assert store.project_pending() == 1
    monkeypatch.setattr(views, "plan_dirty", original)

    assert store.pending_projections() == 1  # the new fact's mark survived
    assert store.case_view("CR-A") == {"ids": ["m1"], "total": "1.50", "hours": 0}
    assert store.project_pending() == 1
    assert store.case_view("CR-A") == {"ids": ["m1", "m2"], "total": "3.00", "hours": 0}
    assert store.pending_projections() == 0


def test_a_view_written_meanwhile_by_another_projector_is_not_overwritten(
    new_store_url: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = new_store_url()
    slow, fast = (Store(url, projection=ledger, emitter=milestones, deferred_views=True)
                  for _ in range(2))
    try:
        slow.record_batch("exams", [message(1, "CR-A")])
        fast.project_pending()
        slow.record_batch("exams", [message(2, "CR-A")])
        original = views.plan_dirty

        def plan_then_the_other_projects(conn: Connection, *args: Any, **kw: Any) -> views.Plan:
            plan = original(conn, *args, **kw)
            monkeypatch.setattr(views, "plan_dirty", original)
            assert fast.project_pending() == 1  # writes version 2 first
            return plan

        monkeypatch.setattr(views, "plan_dirty", plan_then_the_other_projects)
        assert slow.project_pending() == 1

        assert slow.count("audit") == 2  # versions 1 and 2, not a third write of version 2
        assert slow.case_view("CR-A") == {"ids": ["m1", "m2"], "total": "3.00", "hours": 0}
        assert slow.pending_projections() == 0
    finally:
        slow.close()
        fast.close()


def test_a_failed_projection_keeps_the_marks(
    open_store: OpenStore, new_store_url: Callable[[], str]
) -> None:
    url = new_store_url()

    def broken(case_ref: str, facts: Any) -> dict[str, Any]:
        raise RuntimeError("projection bug")

    store = Store(url, projection=broken, deferred_views=True)
    try:
        store.record_batch("exams", [message(1, "CR-A"), message(2, "CR-B")])
        assert store.project_pending() == 2  # logged per case, not raised: the rest goes on
        assert store.pending_projections() == 2
    finally:
        store.close()
    fixed = Store(url, projection=ledger, deferred_views=True)
    try:
        assert fixed.project_pending() == 2
        assert fixed.case_view("CR-B") == {"ids": ["m2"], "total": "1.50", "hours": 0}
    finally:
        fixed.close()


def test_marks_survive_in_the_database_not_in_memory(new_store_url: Callable[[], str]) -> None:
    url = new_store_url()
    first = Store(url, projection=ledger, deferred_views=True)
    first.record_batch("exams", [message(1, "CR-A")])
    first.close()  # a worker stopped before its projector ran

    engine = make_engine(url)
    with transaction(engine, write=False) as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM dirty_case").scalar() == 1
    engine.dispose()
    second = Store(url, projection=ledger, deferred_views=True)
    try:
        assert second.project_pending() == 1
        assert second.case_view("CR-A") is not None
    finally:
        second.close()


def test_a_case_whose_projection_fails_keeps_its_mark_and_the_others_are_projected(
        new_store_url: Callable[[], str]) -> None:
    def fragile(case_ref: str, facts: Any) -> dict[str, Any]:
        if case_ref == "CR-BAD":
            raise KeyError("dienstdatum")
        return ledger(case_ref, facts)

    store = Store(new_store_url(), projection=fragile, deferred_views=True)
    try:
        store.record_batch("exams", [message(1, "CR-A"), message(2, "CR-BAD"),
                                     message(3, "CR-B")])
        assert store.project_pending() == 3
        assert store.case_view("CR-A") is not None and store.case_view("CR-B") is not None
        assert store.case_view("CR-BAD") is None
        assert store.pending_projections() == 1  # kept: projected again once fixed
    finally:
        store.close()

"""Facts in, view out: arrival order, batching, redelivery and racing workers do not matter."""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.store import Fact, InboundMessage, Refusal, Store
from tests.component.test_store_support import HOURS, ledger, message, milestones, refusal
from tests.pg import PgCluster

Item = InboundMessage | Refusal
# Three cases, two kinds, two consumers' worth of messages and two refusals.
ACCEPTED = [message(n, f"CR-{n % 3}", kind=HOURS if n % 4 == 0 else "nl.x.Exam",
                    amount=f"{n}.25") for n in range(1, 13)]
REFUSED = [refusal(100), refusal(101)]
ITEMS: list[Item] = [*ACCEPTED, *REFUSED]


def apply(store: Store, items: Sequence[Item], cuts: Sequence[int]) -> None:
    """Deliver ``items`` in batches split at ``cuts``; messages alternate between consumers."""
    bounds = [0, *sorted(set(cuts)), len(items)]
    for start, end in itertools.pairwise(bounds):
        chunk = items[start:end]
        for consumer in ("exams", "replay"):
            accepted = [i for i in chunk if isinstance(i, InboundMessage)
                        and (consumer == "exams") == (int(i.message_id[1:]) % 2 == 0)]
            refused = [i for i in chunk if isinstance(i, Refusal) and consumer == "exams"]
            store.record_batch(consumer, accepted, refused)


def content_hash_of(url: str, items: Sequence[Item], cuts: Sequence[int] = ()) -> str:
    """Content hash of a fresh store fed ``items``."""
    store = Store(url, projection=ledger, emitter=milestones)
    try:
        apply(store, items, cuts)
        return store.content_hash()
    finally:
        store.close()


def test_order_and_batching_do_not_change_the_content(
    store_backend: str, new_store_url: Callable[[], str]
) -> None:
    reference = content_hash_of(new_store_url(), ITEMS)

    if store_backend == "sqlite":
        @settings(max_examples=12, deadline=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(st.permutations(ITEMS), st.lists(st.integers(0, len(ITEMS)), max_size=4),
               st.lists(st.sampled_from(ITEMS), max_size=3))
        def check(order: list[Item], cuts: list[int], redelivered: list[Item]) -> None:
            assert content_hash_of(new_store_url(), order + redelivered, cuts) == reference

        check()
        return
    rng = random.Random(20240501)
    for cuts in ([], [3], [1, 5, 9], list(range(len(ITEMS)))):
        order = ITEMS[::-1] if not cuts else rng.sample(ITEMS, len(ITEMS))
        assert content_hash_of(new_store_url(), order + order[:2], cuts) == reference


def test_content_hash_is_the_same_on_both_backends(
    postgres_cluster: PgCluster | None, tmp_path: Path
) -> None:
    if postgres_cluster is None:
        pytest.skip("PostgreSQL unavailable (see the summary line)")
    pg_url = postgres_cluster.create_database("hub_cross_backend")
    try:
        assert content_hash_of(pg_url, ITEMS) == content_hash_of(
            f"sqlite:///{tmp_path / 'store.db'}", ITEMS)
    finally:
        postgres_cluster.drop_database("hub_cross_backend")


def test_racing_consumers_leave_views_equal_to_a_rebuild(store_url: str) -> None:
    """Two workers add facts to the same cases at once; no view may miss a fact."""

    def dawdling_ledger(case_ref: str, facts: Sequence[Fact]) -> dict[str, Any]:
        time.sleep(0.002)  # widens the window in which the other worker commits
        return ledger(case_ref, facts)

    stores = [Store(store_url, projection=dawdling_ledger) for _ in range(2)]
    odds = [[message(n, f"CR-{n // 2 % 4}") for n in range(start, start + 8, 2)]
            for start in range(1, 160, 8)]  # every batch of either worker hits all 4 cases
    evens = [[message(n, f"CR-{n // 2 % 4}") for n in range(start + 1, start + 9, 2)]
             for start in range(1, 160, 8)]
    failures: list[BaseException] = []

    def run(store: Store, consumer: str, work: list[list[InboundMessage]]) -> None:
        try:
            for batch in work:
                store.record_batch(consumer, batch)
        except BaseException as exc:  # surfaced below; a thread must not swallow it
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(stores[0], "odd", odds)),
               threading.Thread(target=run, args=(stores[1], "even", evens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert failures == []
        assert stores[0].count("fact") == 160
        assert stores[0].rebuild_views() == 0
        assert len(stores[0].case_view("CR-1")["ids"]) == 40  # type: ignore[index]
    finally:
        for store in stores:
            store.close()

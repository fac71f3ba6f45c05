"""Principle 3 on a generated scenario: the facts of its most entangled cases (refused invoice
lines, Kredietbank fees per household, ontzorgen decisions) recorded in random orders and
batches, each batch projected like the store does and diffed against the effect ledger, leave
the same net effect at the partners as one projection of everything: the booked sum per
invoice line, the live signals and the current registrations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.reconcile.effects import net, plan
from hub.reconcile.links import linked
from hub.reconcile.tables import load_tables
from hub.reconcile.view import Reconciler
from hub.scenario import Params, generate
from hub.scenario.offline import as_fact, messages
from hub.scenario.replay import scenario_key
from hub.store import Fact, InboundMessage
from hub.store.linking import with_links
from hub.store.records import fact_order

NOW = datetime(2026, 12, 3, tzinfo=UTC)
RECONCILE = Reconciler(load_tables())
CLUSTER = 6  # cases; with their households and invoices
VIEWS: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> list[list[InboundMessage]]:
    """The message groups that touch a cluster of entangled cases of a generated scenario."""
    folder = tmp_path_factory.mktemp("effects") / "scenario"
    generate(Params(seed=11, gemeenten=2, cases=45, years=1), folder)
    groups = list(messages(folder, scenario_key(folder) or "k" * 32))
    final = Store([m for g in groups for m in g])
    views = {ref: final.project(ref) for ref in final.facts if ref.startswith("CR")}
    def score(view: dict[str, Any]) -> int:
        return sum(d["beslissing"] != "GOEDGEKEURD" for d in view.get("beslissingen", ())) \
            + 3 * len(view.get("huishoudens", ())) + len(view.get("uitgaand", ()))
    chosen = sorted(views, key=lambda r: (-score(views[r]), r))[:CLUSTER]
    keys = set(chosen)
    for ref in chosen:
        keys |= final.near(ref)
    picked = [g for g in groups if any(m.case_ref in keys for m in g)]
    assert len(picked) > 40  # enough facts to reorder
    return picked


class Store:
    """The store's projection in memory: facts by key, two-hop linked reads, per-key ledgers."""

    def __init__(self, recorded: Sequence[InboundMessage] = ()) -> None:
        self.facts: dict[str, dict[str, Fact]] = {}
        self.ledgers: dict[str, list[dict[str, Any]]] = {}
        self.record(recorded)

    def keys(self) -> list[str]:
        return sorted(self.facts)

    def record(self, batch: Sequence[InboundMessage]) -> set[str]:
        for m in batch:
            self.facts.setdefault(m.case_ref, {})[m.message_id] = as_fact(m)
        return {m.case_ref for m in batch}

    def own(self, key: str) -> list[Fact]:
        return sorted(self.facts.get(key, {}).values(), key=fact_order)

    def near(self, key: str) -> frozenset[str]:
        _, near = with_links([key], {key: self.own(key)}, linked,
                             lambda keys: {k: self.own(k) for k in keys})
        return near.get(key, frozenset())

    def project(self, key: str) -> dict[str, Any]:
        closure, _ = with_links([key], {key: self.own(key)}, linked,
                                lambda keys: {k: self.own(k) for k in keys})
        seen = (key, tuple(f.message_id for f in closure[key]))
        if seen not in VIEWS:  # a pure function of the facts: the same facts, the same view
            VIEWS[seen] = json.loads(json.dumps(RECONCILE(key, closure[key]), default=str))
        return VIEWS[seen]

    def emit(self, keys: set[str]) -> None:
        """Project ``keys`` and their linked neighbours; append each diff to its ledger."""
        todo = set(keys)
        for key in keys:
            todo |= self.near(key)
        for key in sorted(todo):
            ledger = self.ledgers.setdefault(key, [])
            ledger += [dict(e) for e in plan(key, self.project(key), ledger, NOW)]


def _nets(store: Store) -> dict[str, Any]:
    return {k: {**net(v), "niet_intrekbaar": []} for k, v in sorted(store.ledgers.items())
            if any(net(v).values())}


@settings(max_examples=200, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_any_order_and_batching_of_the_facts_leaves_the_same_net_effect(
        scenario: list[list[InboundMessage]], data: st.DataObject) -> None:
    order = data.draw(st.permutations(range(len(scenario))), label="arrival order")
    cuts = sorted(set(data.draw(st.lists(st.integers(1, len(order) - 1), max_size=6),
                                label="batch boundaries")))
    once = Store()
    once.emit(once.record([m for g in scenario for m in g]))
    replayed = Store()
    for start, end in zip([0, *cuts], [*cuts, len(order)], strict=True):
        batch = [m for i in order[start:end] for m in scenario[i]]
        replayed.emit(replayed.record(batch))
    assert _nets(replayed) == _nets(once)
    for key, ledger in replayed.ledgers.items():  # what a partner keeps was signalled
        signalled = {e["effect_key"] for e in ledger if e["soort"] == "SIGNALERING"}
        assert set(net(ledger)["niet_intrekbaar"]) <= signalled, key


def test_the_cluster_has_what_makes_order_matter(scenario: list[list[InboundMessage]]) -> None:
    kinds = {m.kind.rsplit(".", 1)[-1] for g in scenario for m in g}
    assert {"Factuur", "OntzorgenBesluit", "InburgeringsplichtVastgesteld"} <= kinds


def test_some_orders_do_send_reversals_or_withdrawals_on_the_way(
        scenario: list[list[InboundMessage]]) -> None:
    """Without the ledger these orders would leave stale effects: the property is not idle."""
    corrected = set()
    for order in (list(reversed(range(len(scenario)))), list(range(len(scenario)))):
        store = Store()
        for i in order:  # one message at a time: every intermediate view
            store.emit(store.record(scenario[i]))
        corrected |= {e["soort"] for ledger in store.ledgers.values() for e in ledger}
    assert corrected & {"TEGENBOEKING", "INTREKKING", "AFMELDING", "CORRECTIE"}

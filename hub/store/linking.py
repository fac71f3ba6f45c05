"""Projections that read other keys' facts too: a case its households, a household its members.

``Rules.links(key, facts)`` (pure) names the keys whose facts the projection of ``key`` also
reads. The store reads two hops (``key``, the keys it links, the keys those link) and passes all
those facts to the projection, which tells them apart by ``Fact.case_ref``. Links must be
symmetric (A links B exactly when B links A), so the keys that read a key are the keys it
reads: when a view changes, the store re-projects its two-hop neighbours (inline: in the same
transaction; deferred: by marking them dirty). Views are pure, so this stops once the
neighbours' views no longer change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from hub.store.records import Fact, Links, fact_order

Loader = Callable[[Sequence[str]], Mapping[str, list[Fact]]]
MAX_ROUNDS = 4  # a change reaches a two-hop neighbour in one round; the echo ends in two more


def with_links(refs: Sequence[str], own: Mapping[str, list[Fact]], links: Links,
               load: Loader) -> tuple[dict[str, list[Fact]], dict[str, frozenset[str]]]:
    """Per ref: its own facts and those of its two-hop neighbours (in ``fact_order``), and the
    neighbours themselves."""
    loaded: dict[str, list[Fact]] = dict(own)
    hop1 = {ref: set(links(ref, own[ref])) - {ref} for ref in refs}
    _load_missing(loaded, set().union(*hop1.values()), load)
    hop2 = {ref: set().union(*(links(k, loaded[k]) for k in sorted(hop1[ref]))) - {ref}
            for ref in refs}
    _load_missing(loaded, set().union(*hop2.values()), load)
    facts: dict[str, list[Fact]] = {}
    neighbours: dict[str, frozenset[str]] = {}
    for ref in refs:
        near = frozenset(hop1[ref] | hop2[ref])
        neighbours[ref] = near
        if not near:
            facts[ref] = own[ref]
            continue
        merged = {f.message_id: f for f in own[ref]}
        for key in sorted(near):
            merged.update((f.message_id, f) for f in loaded.get(key, ()))
        facts[ref] = sorted(merged.values(), key=fact_order)
    return facts, neighbours


def _load_missing(loaded: dict[str, list[Fact]], keys: set[str], load: Loader) -> None:
    missing = sorted(keys - set(loaded))
    if missing:
        loaded.update(load(missing))

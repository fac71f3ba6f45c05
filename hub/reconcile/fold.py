"""A case's projection state, updated from its previous state plus new facts (incremental).

The view is a pure function of a case's facts (ARCHITECTURE §2, principle 1). Re-reading and
re-decoding every fact of a busy case for each projection is what made views trail ingest, so
the projector keeps a ``CaseState`` per case instead: the facts the rules need, of which it
folds in only the new ones. ``fold(build(a), b)`` gives a state whose view equals the view of
``a + b`` (a property test checks it over random histories); where the rules do not allow that
``fold`` answers None and the caller rebuilds the state from every fact (``build``).

What is kept: every version of every kind the rules read in full, and of the examenresultaten
only the current results that decide the view (``exams.deciding``), with only the fields the
rules read (``exams.READ``), so a case with many exam results holds a handful of small ones,
plus the partner record keys (``bron_versie.sleutel``) of every exam result seen. A new exam
result that is the first version of its DUO record folds in like any other (it replaces
nothing). One that is a later version of a record already seen, a correction
(``corrigeert``), or the target a correction named may replace a deciding result by one that
was forgotten: then ``fold`` declines and the state is rebuilt from all facts (rare: DUO
changes and corrections, R21).

Plain data: no store, no codec. Facts come as anything with ``message_id``, ``kind`` and
``record`` (``hub.store.Fact``).
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from hub import versions
from hub.reconcile import exams
from hub.reconcile import facts as k
from hub.reconcile.facts import CaseFacts, Item


class FactLike(Protocol):
    """What the fold reads of a fact."""

    @property
    def message_id(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def record(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class CaseState:
    """The facts of one case the rules need, per kind, and how many facts it has in all.

    ``named`` holds the message ids exam results claim to correct (``bron_versie.corrigeert``):
    such a result arriving later is a correction's target and must not be folded blindly.
    ``sleutels`` holds the partner record key of every exam result seen, kept or forgotten: a
    later version of one of those records must not be folded blindly either.
    """

    items: Mapping[str, tuple[Item, ...]]
    count: int
    named: frozenset[str] = field(default_factory=frozenset)
    sleutels: frozenset[str] = field(default_factory=frozenset)

    def case_facts(self) -> CaseFacts:
        """The state as the rules read it."""
        return CaseFacts.from_items(self.items, self.count)


def build(facts: Iterable[FactLike]) -> CaseState:
    """The state of a case with exactly ``facts`` (any order)."""
    by_kind: dict[str, list[Item]] = {}
    count = 0
    for fact in facts:
        by_kind.setdefault(fact.kind, []).append((fact.message_id, fact.record))
        count += 1
    exam_items = by_kind.pop(k.EXAMEN, [])
    named = frozenset(_corrected(exam_items))
    sleutels = frozenset(key for _, record in exam_items if (key := _sleutel(record)))
    if exam_items:
        by_kind[k.EXAMEN] = _slim(exams.deciding(versions.current(exam_items)))
    return CaseState({kind: tuple(items) for kind, items in by_kind.items()}, count, named,
                     sleutels)


def fold(state: CaseState, new: Iterable[FactLike]) -> CaseState | None:
    """``state`` with the facts ``new`` (not yet in it) added, or None where a rebuild is due."""
    added: dict[str, list[Item]] = {}
    count = state.count
    sleutels = set(state.sleutels)
    for fact in new:
        if fact.kind == k.EXAMEN:
            key = _sleutel(fact.record)
            if (fact.message_id in state.named or key in sleutels
                    or _corrects(fact.record)):
                return None  # may replace a deciding result by a forgotten one
            if key:
                sleutels.add(key)
        added.setdefault(fact.kind, []).append((fact.message_id, fact.record))
        count += 1
    if not added:
        return state
    items = dict(state.items)
    for kind, more in added.items():
        items[kind] = (*items.get(kind, ()), *more)
    if k.EXAMEN in added:
        items[k.EXAMEN] = tuple(_slim(exams.deciding(items[k.EXAMEN])))
    return CaseState(items, count, state.named, frozenset(sleutels))


def _sleutel(record: Mapping[str, Any]) -> str | None:
    """The partner record a versioned result is a version of (None: a record of its own)."""
    b = versions.bron(record)
    return str(b["sleutel"]) if b and b.get("sleutel") else None


def _corrects(record: Mapping[str, Any]) -> bool:
    b = versions.bron(record)
    return bool(b and b.get("corrigeert"))


def basis(state: CaseState) -> bytes:
    """What the view of ``state`` is made of apart from its fact count: the kept facts per
    kind, where plain exam results count without their message ids.

    The rules read no exam result's id; the ids only order results that carry no
    ``bron_versie`` (each its own record: nothing can name it as corrected among them), and
    the kept ones are already in that order. So two states whose plain results are equal
    records in equal order have the same view, even when a repeated result (a new id)
    replaced a kept one. Where a kept result is versioned the ids stay in: they decide which
    version counts (``corrigeert`` names one by its id).
    """
    items = dict(state.items)
    kept = items.get(k.EXAMEN, ())
    if all(versions.bron(record) is None for _, record in kept):
        items[k.EXAMEN] = tuple(("", record) for _, record in kept)
    return pickle.dumps(sorted(items.items()), pickle.HIGHEST_PROTOCOL)


def _slim(items: Iterable[Item]) -> list[Item]:
    """Kept exam results with only the fields the rules read (``exams.READ``): a state is a
    few hundred bytes, not a full record with its encrypted BSN per result."""
    return [(mid, {f: r[f] for f in exams.READ if f in r}) for mid, r in items]


def _corrected(items: Iterable[Item]) -> Iterable[str]:
    for _, record in items:
        b = versions.bron(record)
        if b and b.get("corrigeert"):
            yield str(b["corrigeert"])

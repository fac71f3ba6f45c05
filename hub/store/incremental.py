"""Incremental projection in the store: fold a dirty case's new facts into the state kept for it.

The projector process keeps, per case, the state of the projection's ``Folding`` (for the hub:
``hub.reconcile.fold``) and the row ids of the facts folded into it. For a dirty case it asks the
index which fact ids the case has (an index-only scan), reads and decodes only the new ones and
folds them in; the view comes from the state. Everything else falls back to the full path
(every fact read, ``views._changes``): a case not held (first sight, evicted, after a restart),
a state the fold declines (a correction, R21), a fact that disappeared, or a key whose projection
reads other keys (``links``). The state is a pure function of the committed facts it was built
from, so keeping it is never wrong: a plan that is not applied leaves the case marked, and the
next plan finds no new ids and projects the same state again.

States are kept pickled (a few hundred bytes for a case of exam results, against ~1.5 KiB a
decoded fact): in this process's memory only, never written anywhere.
"""

from __future__ import annotations

import logging
import pickle
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, select

from hub.privacy import redact
from hub.store import models as m
from hub.store.records import Fact, Links
from hub.store.sql import among, chunks

log = logging.getLogger(__name__)
DEFAULT_STATES = 2_000_000  # cases; ~0.5-1 KiB each for cases of exam results
Observe = Callable[[str, int], None]
"""Told (key, how many facts) of each projection computed (the bench's duplicate count)."""


class Folding(Protocol):
    """A projection that can be updated from its previous state plus new facts."""

    def build_state(self, facts: Sequence[Fact]) -> Any:
        """The state of a key with exactly ``facts``."""

    def fold_state(self, state: Any, facts: Sequence[Fact]) -> Any | None:
        """``state`` plus the new ``facts``, or None where it must be rebuilt."""

    def view_of_state(self, key: str, state: Any) -> dict[str, Any]:
        """The view of ``key`` from its state (equal to the projection of all its facts)."""


@dataclass(frozen=True)
class _Entry:
    ids: array[int]  # fact row ids folded in, sorted
    blob: bytes  # the pickled state


class StateCache:
    """Thread-safe LRU: key -> (fact ids folded in, pickled state)."""

    def __init__(self, capacity: int = DEFAULT_STATES) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.folded = self.rebuilt = 0  # projections by each path, for the projector's log

    def get(self, key: str) -> _Entry | None:
        """The entry of ``key``, or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: str, ids: Sequence[int], state: Any) -> None:
        """Keep ``state`` as built from the facts with row ids ``ids``."""
        if self._capacity <= 0:
            return
        entry = _Entry(array("q", sorted(ids)), pickle.dumps(state, pickle.HIGHEST_PROTOCOL))
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)

    def drop(self, key: str) -> None:
        """Forget ``key`` (its projection reads other keys: the full path owns it)."""
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget every state."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True)
class Folded:
    """One chunk through the incremental path: views by key, and the keys left to the full path."""

    views: dict[str, dict[str, Any]]
    full: list[str]


def fold_chunk(
    conn: Connection, refs: Sequence[str], folding: Folding, states: StateCache, links: Links,
    failed: list[str], observe: Observe | None = None,
) -> Folded:
    """Views of ``refs`` from their kept states plus their new facts (see the module text)."""
    ids = _fact_ids(conn, refs)
    plans: dict[str, tuple[Any, list[int]]] = {}  # key -> (state or None to build, ids to read)
    for ref in refs:
        have = ids.get(ref, [])
        entry = states.get(ref)
        known = set(entry.ids) if entry is not None else set()
        new = [i for i in have if i not in known]
        if entry is None or len(have) - len(new) != len(known):
            plans[ref] = (None, have)
        else:
            plans[ref] = (pickle.loads(entry.blob), new)
    facts = _read(conn, [i for _, wanted in plans.values() for i in wanted])
    views: dict[str, dict[str, Any]] = {}
    full: list[str] = []
    rebuild: list[str] = []
    for ref, (state, wanted) in plans.items():
        mine = [facts[i] for i in wanted]
        if links(ref, mine):
            states.drop(ref)
            full.append(ref)
            continue
        folded = folding.build_state(mine) if state is None else folding.fold_state(state, mine)
        if folded is None:
            rebuild.append(ref)
            continue
        _project(ref, folded, ids.get(ref, []), folding, states, views, failed)
        states.folded += state is not None
        states.rebuilt += state is None
    if rebuild:
        everything = _read(conn, [i for ref in rebuild for i in ids.get(ref, [])])
        for ref in rebuild:
            state = folding.build_state([everything[i] for i in ids.get(ref, [])])
            _project(ref, state, ids.get(ref, []), folding, states, views, failed)
            states.rebuilt += 1
    if observe is not None:
        for ref in views:
            observe(ref, len(ids.get(ref, ())))
    return Folded(views, full)


def _project(ref: str, state: Any, ids: Sequence[int], folding: Folding, states: StateCache,
             views: dict[str, dict[str, Any]], failed: list[str]) -> None:
    try:
        views[ref] = folding.view_of_state(ref, state)
    except Exception as exc:  # a bug in a projection must not stop the other cases
        log.error("projection_failed case=%s error=%s: %s", ref, type(exc).__name__,
                  redact(str(exc))[:200])
        failed.append(ref)
        states.drop(ref)
        return
    states.put(ref, ids, state)


def _fact_ids(conn: Connection, refs: Sequence[str]) -> dict[str, list[int]]:
    f = m.fact.c
    out: dict[str, list[int]] = {}
    for ref, ident in conn.execute(select(f.case_ref, f.id).where(among(conn, f.case_ref, refs))):
        out.setdefault(ref, []).append(int(ident))
    return out


def _read(conn: Connection, ids: Sequence[int]) -> Mapping[int, Fact]:
    f = m.fact.c
    out: dict[int, Fact] = {}
    for chunk in chunks(sorted(ids)):
        stmt = select(f.id, f.message_id, f.case_ref, f.kind, f.payload, f.source_topic,
                      f.source_partition, f.source_offset).where(among(conn, f.id, chunk))
        for ident, *row in conn.execute(stmt):
            out[int(ident)] = Fact(*row)
    return out


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

Most new facts leave what a view is made of unchanged (an exam result that is not the best one
of its onderdeel). With each state the cache keeps two digests: of the state's ``basis`` (what
its view is a function of, apart from what ``recount`` sets: the fact count) and of the view
text computed from it. When a folded state has the same basis and the stored view is exactly
that text (its digest matches), the new view is the stored one ``recount`` for the new state,
and the full rules are not run: a stored view written by anyone else, or a plan that was never
applied, does not match and takes the rules.
"""

from __future__ import annotations

import hashlib
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
from hub.store.jsonsafe import RawJson, dumps, loads
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

    def basis(self, state: Any) -> bytes:
        """What ``view_of_state`` reads of ``state`` apart from what ``recount`` sets: equal
        bases (and key) give views that differ only there."""

    def recount(self, view: dict[str, Any], state: Any) -> dict[str, Any]:
        """``view``, computed from a state of equal ``basis``, as the view of ``state``."""


@dataclass(frozen=True)
class _Entry:
    ids: array[int]  # fact row ids folded in, sorted
    blob: bytes  # the pickled state
    basis: bytes = b""  # digest of the state's basis (``Folding.basis``)
    view: bytes = b""  # digest of the view text computed from the state


class StateCache:
    """Thread-safe LRU: key -> (fact ids folded in, pickled state)."""

    def __init__(self, capacity: int = DEFAULT_STATES) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.folded = self.rebuilt = 0  # projections by each path, for the projector's log
        self.recounted = 0  # views taken from the stored one (same basis)
        self.prefolded = 0  # states folded ahead of their projection (``prefold``)

    def get(self, key: str) -> _Entry | None:
        """The entry of ``key``, or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: str, ids: Sequence[int], state: Any, basis: bytes = b"",
            view: bytes = b"") -> None:
        """Keep ``state`` as built from the facts with row ids ``ids``, with the digests of its
        basis and of the view text computed from it."""
        if self._capacity <= 0:
            return
        entry = _Entry(array("q", sorted(ids)), pickle.dumps(state, pickle.HIGHEST_PROTOCOL),
                       basis, view)
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

    views: dict[str, RawJson]  # canonical view text by key
    full: list[str]


@dataclass(frozen=True)
class _Step:
    """How one key is projected: its state so far (None: build), fact ids to read, and the
    kept entry (for its digests)."""

    state: Any
    wanted: list[int]
    entry: _Entry | None


def fold_chunk(
    conn: Connection, refs: Sequence[str], folding: Folding, states: StateCache, links: Links,
    failed: list[str], stored: Mapping[str, str], observe: Observe | None = None,
) -> Folded:
    """Views of ``refs`` from their kept states plus their new facts (see the module text);
    ``stored`` holds the stored view text of the keys that have one."""
    ids = _fact_ids(conn, refs)
    plans = _plan(refs, ids, states)
    facts = _read(conn, [i for step in plans.values() for i in step.wanted])
    project = _Projector(folding, states, stored, failed)
    views = project.views
    full: list[str] = []
    rebuild: list[str] = []
    for ref, step in plans.items():
        state, wanted = step.state, step.wanted
        mine = [facts[i] for i in wanted]
        if links(ref, mine):
            states.drop(ref)
            full.append(ref)
            continue
        folded = folding.build_state(mine) if state is None else folding.fold_state(state, mine)
        if folded is None:
            rebuild.append(ref)
            continue
        project(ref, folded, ids.get(ref, []), step.entry)
        states.folded += state is not None
        states.rebuilt += state is None
    if rebuild:
        everything = _read(conn, [i for ref in rebuild for i in ids.get(ref, [])])
        for ref in rebuild:
            state = folding.build_state([everything[i] for i in ids.get(ref, [])])
            project(ref, state, ids.get(ref, []), plans[ref].entry)
            states.rebuilt += 1
    if observe is not None:
        for ref in views:
            observe(ref, len(ids.get(ref, ())))
    return Folded(views, full)


def prefold(
    conn: Connection, after: int, limit: int, folding: Folding, states: StateCache,
    links: Links, mine: Callable[[str], bool] | None = None,
) -> tuple[int, int]:
    """Fold the facts recorded after row id ``after`` (up to ``limit`` of them, in id order)
    into the kept states of their keys ahead of those keys' projection: reads only, so no
    write lock. ``mine`` picks the keys this projector projects (None: all). (The last row id
    read, how many keys were folded.)

    A state stays what ``fold_chunk`` keeps: the fold of exactly the facts whose ids it holds
    (a key not held is built from all its facts). The digests of its last computed view stay
    with it, so its projection recounts that view only if the basis is still the one it had.
    Keys whose projection reads other keys, and folds that decline, are left to the projection.
    """
    f = m.fact.c
    rows = conn.execute(select(f.id, f.case_ref).where(f.id > after).order_by(f.id)
                        .limit(limit)).all()
    if not rows:
        return after, 0
    refs = sorted({ref for _, ref in rows if mine is None or mine(ref)})
    done = 0
    for chunk in chunks(refs):
        ids = _fact_ids(conn, chunk)
        plans = {ref: step for ref, step in _plan(chunk, ids, states).items() if step.wanted}
        facts = _read(conn, [i for step in plans.values() for i in step.wanted])
        for ref, step in plans.items():
            new = [facts[i] for i in step.wanted]
            if links(ref, new):
                continue
            state = (folding.build_state(new) if step.state is None
                     else folding.fold_state(step.state, new))
            if state is None:
                continue
            entry = step.entry
            states.put(ref, ids.get(ref, []), state, entry.basis if entry else b"",
                       entry.view if entry else b"")
            done += 1
    states.prefolded += done
    return int(rows[-1][0]), done


def _plan(refs: Sequence[str], ids: Mapping[str, list[int]], states: StateCache
          ) -> dict[str, _Step]:
    """Per key: fold its new fact ids into its kept state, or build it from all of them (not
    held, or a fact it holds is gone)."""
    plans: dict[str, _Step] = {}
    for ref in refs:
        have = ids.get(ref, [])
        entry = states.get(ref)
        known = set(entry.ids) if entry is not None else set()
        new = [i for i in have if i not in known]
        if entry is None or len(have) - len(new) != len(known):
            plans[ref] = _Step(None, have, entry)
        else:
            plans[ref] = _Step(pickle.loads(entry.blob), new, entry)
    return plans


class _Projector:
    """A state's view text: recounted from the stored view where the basis is unchanged and
    the stored text is the one computed from it, else from the rules; then the state kept."""

    def __init__(self, folding: Folding, states: StateCache, stored: Mapping[str, str],
                 failed: list[str]) -> None:
        self.folding, self.states, self.stored, self.failed = folding, states, stored, failed
        self.views: dict[str, RawJson] = {}

    def __call__(self, ref: str, state: Any, ids: Sequence[int], entry: _Entry | None) -> None:
        stored = self.stored.get(ref)
        try:
            basis = _digest(self.folding.basis(state))
            if (entry is not None and entry.view and entry.basis == basis and stored is not None
                    and _digest(stored.encode()) == entry.view):
                text = RawJson(dumps(self.folding.recount(loads(stored), state)))
                self.states.recounted += 1
            else:
                text = RawJson(dumps(self.folding.view_of_state(ref, state)))
        except Exception as exc:  # a bug in a projection must not stop the other cases
            log.error("projection_failed case=%s error=%s: %s", ref, type(exc).__name__,
                      redact(str(exc))[:200])
            self.failed.append(ref)
            self.states.drop(ref)
            return
        self.views[ref] = text
        self.states.put(ref, ids, state, basis, _digest(text.encode()))


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _fact_ids(conn: Connection, refs: Sequence[str]) -> dict[str, list[int]]:
    f = m.fact.c
    out: dict[str, list[int]] = {}
    rows = conn.execute(select(f.case_ref, f.id).where(among(conn, f.case_ref, refs))).all()
    for ref, ident in rows:  # ``all``: one fetch, not a fetchone per row
        out.setdefault(ref, []).append(int(ident))
    return out


def _read(conn: Connection, ids: Sequence[int]) -> Mapping[int, Fact]:
    f = m.fact.c
    out: dict[int, Fact] = {}
    for chunk in chunks(sorted(ids)):
        stmt = select(f.id, f.message_id, f.case_ref, f.kind, f.payload, f.source_topic,
                      f.source_partition, f.source_offset).where(among(conn, f.id, chunk))
        for ident, *row in conn.execute(stmt).all():
            out[int(ident)] = Fact(*row)
    return out


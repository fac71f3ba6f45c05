"""Recompute case views from facts, write the changed ones with an audit row, emit.

Views are compared as ``jsonsafe.dumps`` text (canonical), so "changed" means the stored
JSON would differ. On PostgreSQL each touched case is locked (a transaction-scoped advisory
lock, in a fixed order) before its facts are read: a concurrent transaction adding a fact
to the same case then commits first and is seen, so no view is computed from a stale fact
set. SQLite writers are serialised by ``BEGIN IMMEDIATE`` and need no lock.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, Text, and_, bindparam, cast, delete, select, text, update

from hub.errors import StoreBusy
from hub.privacy import redact
from hub.store import bulk
from hub.store import models as m
from hub.store.cache import FactCache
from hub.store.effects import emit
from hub.store.incremental import Folding, Observe, StateCache, fold_chunk
from hub.store.jsonsafe import RawJson, dumps
from hub.store.linking import MAX_ROUNDS, with_links
from hub.store.records import (
    Derive,
    Emitter,
    Fact,
    Links,
    Projection,
    fact_order,
    no_derive,
    no_links,
)
from hub.store.shards import SHARDS, shard_of
from hub.store.sql import among, chunks

log = logging.getLogger(__name__)
_LOCK = text("SELECT count(pg_advisory_xact_lock(k)) "
             "FROM unnest(CAST(:keys AS bigint[])) AS k")


@dataclass(frozen=True)
class Rules:
    """How facts become a view, what a view change sends, which facts a message implies, the
    decoded-fact cache, and which other keys a projection reads (``linking``)."""

    projection: Projection
    emitter: Emitter
    cache: FactCache = field(default_factory=FactCache)
    derive: Derive = no_derive
    links: Links = no_links
    folding: Folding | None = None  # the projection, updatable from a kept state (``incremental``)
    states: StateCache = field(default_factory=StateCache)
    observe: Observe | None = None  # told (key, its facts) of every projection computed


@dataclass(frozen=True)
class _Change:
    case_ref: str
    old: RawJson | None  # stored view text, None for a new case
    version: int  # stored version, 0 for a new case
    new: RawJson
    neighbours: frozenset[str] = frozenset()  # keys whose projection reads this one's facts


def refresh(
    conn: Connection, case_refs: Iterable[str], rules: Rules, *, actor: str, action: str,
    now: datetime, pending: Mapping[str, Fact] = MappingProxyType({}),
    failed: list[str] | None = None, rounds: int = MAX_ROUNDS,
) -> int:
    """Re-project ``case_refs``; write, audit and emit every view that changed; count them.

    ``pending`` holds the facts this transaction wrote, by message id (not yet cacheable).
    With ``failed`` a case whose projection raises is logged and added to it, and the others
    go on; without it the exception propagates. The linked neighbours of a changed view are
    re-projected too (``linking``), at most ``rounds`` times over.
    """
    refs = sorted(set(case_refs))
    lock_cases(conn, refs)
    changed, neighbours = 0, set[str]()
    for chunk in chunks(refs):
        changes = _changes(conn, chunk, rules, pending, failed)
        _write_views(conn, changes, now)
        _write_audit(conn, changes, actor=actor, action=action, now=now)
        emit(conn, [(c.case_ref, c.new) for c in changes], rules.emitter, now)
        changed += len(changes)
        neighbours.update(n for c in changes for n in c.neighbours)
    if neighbours and rounds > 1:
        changed += refresh(conn, neighbours, rules, actor=actor, action=action, now=now,
                           pending=pending, failed=failed, rounds=rounds - 1)
    return changed


def mark_dirty(conn: Connection, case_refs: Iterable[str], now: datetime) -> None:
    """Mark cases for deferred projection; a fresh token supersedes any earlier mark (which
    keeps its ``marked_at``, so the oldest pending cases are projected first)."""
    refs = sorted(set(case_refs))  # one lock order for racing workers
    if not refs:
        return
    token = secrets.randbits(62)
    bulk.insert_many(conn, m.dirty_case, [{"case_ref": ref, "token": token, "marked_at": now,
                                           "shard": shard_of(ref)} for ref in refs],
                     conflict=["case_ref"], update=["token"])


@dataclass(frozen=True)
class Plan:
    """Dirty cases read and projected in one read-only transaction, not yet written.

    ``marks`` are (case_ref, token) as read; ``changes`` the views that differ from the stored
    ones (each with the version it replaces); ``failed`` the cases whose projection raised.
    """

    marks: list[tuple[str, int]]
    changes: list[_Change]
    failed: list[str]


def plan_dirty(conn: Connection, rules: Rules, *, limit: int,
               shards: Sequence[int] | None = None) -> Plan:
    """Read up to ``limit`` dirty cases, oldest mark first, and project them (no writes).

    With ``shards`` only marks of those projection shards (``hub.store.shards``). Marks are
    read before facts: every fact recorded under a mark's token is then visible, and a fact
    recorded later re-marks its case under a new token (see ``apply_plan``).
    """
    d = m.dirty_case.c
    query = select(d.case_ref, d.token).order_by(d.marked_at, d.case_ref).limit(limit)
    if shards is not None and len(set(shards)) < SHARDS:  # all of them: no filter at all
        # ``shard + 0``: walk the marks in ``marked_at`` order and skip other shards' marks,
        # never fetch all of the shards' marks through the shard index and sort them for the
        # limit (0.76 s a plan with 380k marks pending; the queue grows with the cases)
        query = query.where(among(conn, d.shard + 0, list(shards)))
    marks = [(ref, int(token)) for ref, token in conn.execute(query).all()]
    changes: list[_Change] = []
    failed: list[str] = []
    for chunk in chunks([ref for ref, _ in marks]):
        full: Sequence[str] = chunk
        if rules.folding is not None:  # the projector: kept states plus new facts
            stored = _stored(conn, chunk)
            folded = fold_chunk(conn, chunk, rules.folding, rules.states, rules.links, failed,
                                {ref: text for ref, (text, _) in stored.items()}, rules.observe)
            changes.extend(_compare(conn, folded.views, {}, stored))
            full = folded.full
        if full:
            changes.extend(_changes(conn, full, rules, MappingProxyType({}), failed))
    return Plan(marks, changes, failed)


def apply_plan(conn: Connection, plan: Plan, rules: Rules, *, now: datetime) -> int:
    """Write a plan's views (with audit rows and what they emit) and clear its marks.

    Run in a write transaction after ``plan_dirty``'s read transaction, so the write lock is
    held only for the writes. A view written meanwhile by someone else (its version moved) is
    left alone and its case stays marked; a mark whose token changed (new facts) stays too, so
    such cases are projected again. Failed cases keep their marks. Returns views written.
    """
    refs = [c.case_ref for c in plan.changes]
    lock_cases(conn, refs)
    v = m.case_view.c
    current: dict[str, int] = {}
    for chunk in chunks(refs):
        rows = conn.execute(select(v.case_ref, v.version).where(among(conn, v.case_ref, chunk)))
        current.update((ref, int(version)) for ref, version in rows)
    fresh = [c for c in plan.changes if current.get(c.case_ref, 0) == c.version]
    stale = {c.case_ref for c in plan.changes} - {c.case_ref for c in fresh}
    _write_views(conn, fresh, now)
    _write_audit(conn, fresh, actor="projector", action="case_view.update", now=now)
    emit(conn, [(c.case_ref, c.new) for c in fresh], rules.emitter, now)
    mark_dirty(conn, {n for c in fresh for n in c.neighbours}, now)  # linked views (``linking``)
    keep = stale | set(plan.failed)
    done = [{"ref": ref, "tok": token} for ref, token in plan.marks if ref not in keep]
    if done:
        d = m.dirty_case.c
        conn.execute(delete(m.dirty_case).where(and_(d.case_ref == bindparam("ref"),
                                                     d.token == bindparam("tok"))), done)
    return len(fresh)


def lock_cases(conn: Connection, refs: Sequence[str]) -> None:
    """Take PostgreSQL advisory locks on ``refs`` in ascending key order (no deadlocks)."""
    if conn.dialect.name != "postgresql" or not refs:
        return
    keys = sorted({_lock_key(ref) for ref in refs})
    conn.execute(_LOCK, {"keys": keys})  # one statement, locks taken in array order


def facts_by_case(
    conn: Connection, refs: Sequence[str], cache: FactCache,
    pending: Mapping[str, Fact] = MappingProxyType({}),
) -> dict[str, list[Fact]]:
    """Every fact of ``refs``, per case, in the projection's order.

    The message ids come from an index-only scan; only facts neither ``pending`` (written by
    this transaction) nor cached are read in full, and those are cached (they are committed).
    """
    f = m.fact.c
    ids = conn.execute(select(f.case_ref, f.message_id).where(among(conn, f.case_ref, refs))).all()
    known = cache.get_many([mid for _, mid in ids if mid not in pending])
    grouped: dict[str, list[Fact]] = {ref: [] for ref in refs}
    missing = []
    for case_ref, message_id in ids:
        fact = pending.get(message_id) or known.get(message_id)
        if fact is None:
            missing.append(message_id)
        else:
            grouped[case_ref].append(fact)
    fetched = _read_facts(conn, missing)
    cache.put(fetched)
    for fact in fetched:
        grouped[fact.case_ref].append(fact)
    for facts in grouped.values():
        facts.sort(key=fact_order)
    return grouped


def _read_facts(conn: Connection, message_ids: Sequence[str]) -> list[Fact]:
    f = m.fact.c
    facts: list[Fact] = []
    for chunk in chunks(message_ids):
        stmt = select(f.message_id, f.case_ref, f.kind, f.payload, f.source_topic,
                      f.source_partition, f.source_offset).where(among(conn, f.message_id, chunk))
        facts.extend(Fact(*row) for row in conn.execute(stmt).all())
    return facts


def _changes(
    conn: Connection, refs: Sequence[str], rules: Rules, pending: Mapping[str, Fact],
    failed: list[str] | None = None,
) -> list[_Change]:
    facts = facts_by_case(conn, refs, rules.cache, pending)
    near: Mapping[str, frozenset[str]] = {}
    if rules.links is not no_links:
        facts, near = with_links(refs, facts, rules.links,
                                 lambda keys: facts_by_case(conn, keys, rules.cache, pending))
    computed: dict[str, dict[str, Any]] = {}
    for ref in refs:
        try:
            computed[ref] = rules.projection(ref, facts[ref])
            if rules.observe is not None:
                rules.observe(ref, sum(f.case_ref == ref for f in facts[ref]))
        except Exception as exc:
            if failed is None:
                raise
            log.error("projection_failed case=%s error=%s: %s", ref, type(exc).__name__,
                      redact(str(exc))[:200])
            failed.append(ref)
    return _compare(conn, computed, near)


def _compare(conn: Connection, computed: Mapping[str, dict[str, Any] | RawJson],
             near: Mapping[str, frozenset[str]],
             stored: Mapping[str, tuple[str, int]] | None = None) -> list[_Change]:
    """The computed views that differ from the stored ones (as canonical JSON text);
    ``stored`` as ``_stored`` reads them, read here if not given."""
    if not computed:
        return []
    if stored is None:
        stored = _stored(conn, list(computed))
    changes = []
    for ref, view in computed.items():
        new = RawJson(dumps(view))
        old, version = stored.get(ref, (None, 0))
        if old != new:
            changes.append(_Change(ref, None if old is None else RawJson(old), version, new,
                                   near.get(ref, frozenset())))
    return changes


def _stored(conn: Connection, refs: Sequence[str]) -> dict[str, tuple[str, int]]:
    """Stored view text and version of those of ``refs`` that have a view."""
    v = m.case_view.c
    return {row.case_ref: (row.view, int(row.version)) for row in conn.execute(
        select(v.case_ref, cast(v.view, Text).label("view"), v.version)
        .where(among(conn, v.case_ref, list(refs)))).all()}


def _write_views(conn: Connection, changes: Sequence[_Change], now: datetime) -> None:
    fresh = [c for c in changes if c.old is None]
    if fresh:
        conn.execute(
            m.case_view.insert(),
            [{"case_ref": c.case_ref, "view": c.new, "version": 1, "updated_at": now}
             for c in fresh],
        )
    known = [c for c in changes if c.old is not None]
    if not known:
        return
    stmt = (
        update(m.case_view)
        .where(m.case_view.c.case_ref == bindparam("ref"))
        .where(m.case_view.c.version == bindparam("seen"))
        .values(view=bindparam("doc", type_=m.case_view.c.view.type),
                version=m.case_view.c.version + 1, updated_at=now)
    )
    result = conn.execute(
        stmt, [{"ref": c.case_ref, "seen": c.version, "doc": c.new} for c in known]
    )
    if conn.dialect.supports_sane_multi_rowcount and result.rowcount != len(known):
        raise StoreBusy("a case view changed under this transaction; retry the batch")


def _write_audit(
    conn: Connection, changes: Sequence[_Change], *, actor: str, action: str, now: datetime
) -> None:
    if not changes:
        return
    rows = [{"at": now, "actor": actor, "action": action, "entity": "case_view",
             "entity_id": c.case_ref, "old": c.old, "new": c.new, "reason": None}
            for c in changes]
    bulk.insert_many(conn, m.audit, rows)


def _lock_key(case_ref: str) -> int:
    return int.from_bytes(hashlib.sha256(case_ref.encode()).digest()[:8], "big", signed=True)

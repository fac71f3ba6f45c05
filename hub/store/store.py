"""The ``Store``: the hub's authoritative state behind one small, synchronous API.

Every method is one transaction. Database trouble that may pass (locked, deadlocked,
unreachable) surfaces as ``hub.errors.StoreBusy``; anything else is a bug and is not hidden.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Engine, func, select

from hub.errors import ConfigurationError
from hub.store import batch, dead_letter_writes, effects, views
from hub.store import models as m
from hub.store import outbox as outbox_rows
from hub.store.cache import FactCache
from hub.store.dead_letters import DeadLetter
from hub.store.digest import content_hash
from hub.store.engine import SQLITE_CHECKPOINT_PAGES, checkpoint, make_engine, transaction
from hub.store.incremental import Folding, Observe, prefold
from hub.store.migrate import upgrade
from hub.store.records import (
    BatchOutcome,
    Derive,
    Emitter,
    Fact,
    InboundMessage,
    Links,
    NewDeadLetter,
    OutboxMessage,
    OutboxRow,
    Projection,
    Refusal,
    default_projection,
    no_derive,
    no_emitter,
    no_links,
)
from hub.store.shards import shard_of
from hub.store.sql import upsert_insert, utcnow

REBUILD_ACTOR = "store:rebuild_views"


class Store:
    """Facts, case views, inbox, outbox, dead letters, audit trail and connector cursors."""

    def __init__(
        self, url: str, *, projection: Projection | None = None, emitter: Emitter | None = None,
        migrate: bool = True, deferred_views: bool = False, derive: Derive | None = None,
        cache_recorded: bool = True, checkpoint_pages: int = SQLITE_CHECKPOINT_PAGES,
        links: Links | None = None, folding: Folding | None = None,
    ) -> None:
        self._engine = make_engine(url, checkpoint_pages=checkpoint_pages)
        self._deferred = deferred_views
        self._cache_recorded = cache_recorded
        self._rules = views.Rules(projection or default_projection, emitter or no_emitter,
                                  derive=derive or no_derive, links=links or no_links,
                                  folding=folding)
        if migrate:
            try:
                upgrade(self._engine)
            except BaseException:
                self._engine.dispose()
                raise

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    def record_batch(
        self, consumer: str, accepted: Sequence[InboundMessage],
        refused: Sequence[Refusal] = (), outbox: Sequence[OutboxMessage] = (),
    ) -> BatchOutcome:
        """Apply a consumer's batch in one transaction (see ``hub.store.batch``).

        With ``deferred_views`` the touched cases are only marked; ``project_pending`` writes
        their views (and what the views emit) later. With ``cache_recorded`` (the default) the
        new facts are kept decoded for that projection.
        """
        if not (accepted or refused or outbox):
            return BatchOutcome(0, 0, 0, 0)
        with transaction(self._engine, write=True) as conn:
            outcome, new_facts = batch.record_batch(
                conn, self._rules, consumer, accepted, refused, outbox, utcnow(),
                project=not self._deferred,
            )
        if self._cache_recorded:  # off where another process projects: nobody would read them
            self._rules.cache.put(new_facts)  # committed now
        return outcome

    def project_pending(self, limit: int = 2000, shards: Sequence[int] | None = None) -> int:
        """Project up to ``limit`` cases marked dirty (of ``shards`` only, if given: see
        ``hub.store.shards``); how many were looked at.

        Facts are read and views computed in a read transaction; only the changed views, their
        audit rows, what they emit and the cleared marks are written, in a short write
        transaction (``views.plan_dirty``, ``views.apply_plan``), so recording agents in another
        process wait for the store's write lock only that long.
        """
        with transaction(self._engine, write=False) as conn:
            plan = views.plan_dirty(conn, self._rules, limit=limit, shards=shards)
        if plan.marks:
            with transaction(self._engine, write=True) as conn:
                views.apply_plan(conn, plan, self._rules, now=utcnow())
        return len(plan.marks)

    def prefold(self, after: int, limit: int = 5000, shards: Sequence[int] | None = None
                ) -> tuple[int, int]:
        """Fold the facts recorded after row id ``after`` (up to ``limit``; of ``shards`` only,
        if given) into the projector's kept states, in a read transaction: the work of their
        projection that needs no write lock, done while the worker holds it
        (``incremental.prefold``). (The last row id read, how many cases were folded); without
        folding rules nothing is read."""
        folding = self._rules.folding
        if folding is None:
            return after, 0
        wanted = None if shards is None else frozenset(shards)
        mine = None if wanted is None else (lambda ref: shard_of(ref) in wanted)
        with transaction(self._engine, write=False) as conn:
            return prefold(conn, after, limit, folding, self._rules.states, self._rules.links,
                           mine)

    def observe(self, observer: Observe) -> None:
        """Tell ``observer`` (key, facts) of every projection this store computes from now on."""
        self._rules = replace(self._rules, observe=observer)

    def pending_projections(self) -> int:
        """How many cases have facts their stored view does not reflect yet."""
        return self.count("dirty_case")

    def pending_outbox(self, limit: int = 500) -> list[OutboxRow]:
        """Unpublished outbox rows, oldest first."""
        with transaction(self._engine, write=False) as conn:
            return outbox_rows.pending(conn, limit)

    def mark_published(self, ids: Sequence[int]) -> None:
        """Stamp outbox rows as published."""
        if ids:
            with transaction(self._engine, write=True) as conn:
                outbox_rows.mark_published(conn, ids, utcnow())

    def mark_failed(self, ids: Sequence[int], error: str) -> None:
        """Count a failed publish attempt and keep the error."""
        if ids:
            with transaction(self._engine, write=True) as conn:
                outbox_rows.mark_failed(conn, ids, error)

    def facts_for(self, case_ref: str) -> list[Fact]:
        """A case's facts in the projection's order, records restored to Python types."""
        with transaction(self._engine, write=False) as conn:  # fresh copies, never the cache's
            return views.facts_by_case(conn, [case_ref], FactCache(capacity=0))[case_ref]

    def case_view(self, case_ref: str) -> dict[str, Any] | None:
        """The stored view of a case, or None when the case has no facts yet."""
        with transaction(self._engine, write=False) as conn:
            stored = conn.scalar(
                select(m.case_view.c.view).where(m.case_view.c.case_ref == case_ref)
            )
        return None if stored is None else dict(stored)

    def count(self, table: str) -> int:
        """Number of rows in one of the store's tables (``fact``, ``inbox``, ...)."""
        if table not in m.TABLES:
            known = ", ".join(sorted(m.TABLES))
            raise ConfigurationError(f"unknown table {table!r}; known: {known}")
        with transaction(self._engine, write=False) as conn:
            return int(conn.scalar(select(func.count()).select_from(m.TABLES[table])) or 0)

    def checkpoint(self, restart_pages: int = SQLITE_CHECKPOINT_PAGES) -> int | None:
        """Copy the SQLite WAL back into the database (see ``engine.checkpoint``)."""
        return checkpoint(self._engine, restart_pages)

    def fact_high_water(self) -> int:
        """The highest fact id: a progress probe that, unlike ``count``, reads one index page.

        Fact ids only grow, so it rises with every committed fact; it equals the number of
        facts as long as no fact-writing transaction was rolled back.
        """
        with transaction(self._engine, write=False) as conn:
            return int(conn.scalar(select(func.max(m.fact.c.id))) or 0)

    def rebuild_views(self, batch_size: int = 1000) -> int:
        """Re-project every case from its facts, ``batch_size`` cases per transaction."""
        self._rules.cache.clear()  # re-read every fact: a rebuild trusts nothing cached
        self._rules.states.clear()
        changed, after = 0, ""
        while True:
            with transaction(self._engine, write=True) as conn:
                refs = list(conn.scalars(
                    select(m.fact.c.case_ref).distinct()
                    .where(m.fact.c.case_ref > after)
                    .order_by(m.fact.c.case_ref).limit(batch_size)
                ))
                if not refs:
                    return changed
                changed += views.refresh(conn, refs, self._rules, actor=REBUILD_ACTOR,
                                         action="case_view.rebuild", now=utcnow())
            after = refs[-1]

    def sweep(self, emit: Callable[[str, dict[str, Any]], Sequence[OutboxMessage]],
              batch_size: int = 1000) -> int:
        """Offer every stored view to ``emit`` and put what it returns in the outbox (ids
        already there are skipped); ``batch_size`` views per transaction; how many were new."""
        added, after = 0, ""
        v = m.case_view.c
        while True:
            with transaction(self._engine, write=True) as conn:
                rows = conn.execute(select(v.case_ref, v.view).where(v.case_ref > after)
                                    .order_by(v.case_ref).limit(batch_size)).all()
                if not rows:
                    return added
                messages = [msg for ref, view in rows for msg in emit(ref, dict(view))]
                added += outbox_rows.insert_new(conn, messages, utcnow())
            after = rows[-1][0]

    def effects(self, case_ref: str) -> list[dict[str, Any]]:
        """The effect ledger of one case: every version of every effect sent, in order."""
        with transaction(self._engine, write=False) as conn:
            return effects.ledgers(conn, [case_ref])[case_ref]

    def audit(
        self, actor: str, action: str, entity: str, entity_id: str, *, old: Any = None,
        new: Any = None, reason: str | None = None,
    ) -> None:
        """Write one audit row; ``old``/``new`` may hold anything ``jsonsafe`` can carry."""
        with transaction(self._engine, write=True) as conn:
            conn.execute(m.audit.insert().values(
                at=utcnow(), actor=actor, action=action, entity=entity, entity_id=entity_id,
                old=old, new=new, reason=reason,
            ))

    # -- dead letters (reads: hub.store.dead_letters on ``self.engine``) --------------------
    @property
    def engine(self) -> Engine:
        """The engine, for the read functions of ``hub.store.dead_letters``."""
        return self._engine

    def add_dead_letters(self, letters: Sequence[NewDeadLetter]) -> set[str]:
        """Record dead letters (new ids only; a re-drive's letter marks its predecessor
        failed-again); the ids that were new."""
        if not letters:
            return set()
        with transaction(self._engine, write=True) as conn:
            return dead_letter_writes.insert_letters(conn, letters, utcnow())

    def mark_redriven(self, letter_id: str, *, actor: str, reason: str,
                      to: dict[str, Any]) -> bool:
        """Mark a letter re-driven (audited); False when it was resolved or discarded."""
        with transaction(self._engine, write=True) as conn:
            return dead_letter_writes.mark_redriven(conn, letter_id, actor=actor, reason=reason,
                                                    to=to, now=utcnow())

    def redriven_to(self, letter_id: str, to: dict[str, Any]) -> None:
        """Where a re-driven letter's message went (after the broker acknowledged it)."""
        with transaction(self._engine, write=True) as conn:
            dead_letter_writes.set_redriven_to(conn, letter_id, to)

    def redrive_failed(self, letter_id: str, *, back_to: str, actor: str) -> None:
        """Undo a re-drive mark whose message could not be sent (audited)."""
        with transaction(self._engine, write=True) as conn:
            dead_letter_writes.redrive_failed(conn, letter_id, back_to=back_to, actor=actor,
                                              now=utcnow())

    def discard_dead_letter(self, letter_id: str, *, actor: str, reason: str) -> bool:
        """Resolve a letter without re-drive (audited); False when it was not open."""
        with transaction(self._engine, write=True) as conn:
            return dead_letter_writes.discard(conn, letter_id, actor=actor, reason=reason,
                                              now=utcnow())

    def claim_reentries(self, consumer: str, limit: int = 20) -> list[DeadLetter]:
        """Re-driven edge letters of ``consumer`` not yet taken by it; taken now."""
        with transaction(self._engine, write=True) as conn:
            return dead_letter_writes.claim_reentries(conn, consumer, utcnow(), limit)

    def settle_delivered(self, consumer: str, letter_ids: Sequence[str]) -> int:
        """Resolve ``consumer``'s re-driven in-hub letters whose message it has now delivered
        to its partner (audited); how many changed."""
        if not letter_ids:
            return 0
        with transaction(self._engine, write=True) as conn:
            return dead_letter_writes.settle(conn, letter_ids, consumer, utcnow(),
                                             delivered=True)

    def release_reentry(self, letter_id: str) -> None:
        """Give a claimed re-entry back (it is taken again in the next round)."""
        with transaction(self._engine, write=True) as conn:
            dead_letter_writes.release_reentry(conn, letter_id)

    def audit_dead_letter(self, letter_id: str, *, actor: str, action: str, reason: str,
                          detail: dict[str, Any] | None = None) -> None:
        """One audit row in a letter's history (an unsealing, for example)."""
        with transaction(self._engine, write=True) as conn:
            dead_letter_writes.audit_letter(conn, utcnow(), actor, action, letter_id, reason,
                                            detail)

    def get_cursor(self, name: str) -> str | None:
        """A connector's saved pull cursor, or None."""
        with transaction(self._engine, write=False) as conn:
            return conn.scalar(select(m.cursor.c.value).where(m.cursor.c.name == name))

    def set_cursor(self, name: str, value: str) -> None:
        """Save a connector's pull cursor."""
        now = utcnow()
        with transaction(self._engine, write=True) as conn:
            stmt = upsert_insert(conn, m.cursor).values(name=name, value=value, updated_at=now)
            conn.execute(stmt.on_conflict_do_update(
                index_elements=["name"], set_={"value": value, "updated_at": now}
            ))

    def content_hash(self) -> str:
        """sha256 over facts, case views and dead letters (see ``hub.store.digest``)."""
        with transaction(self._engine, write=False) as conn:
            return content_hash(conn)

    def close(self) -> None:
        """Release every pooled connection."""
        self._engine.dispose()

"""The report's reads of the case store, as plain rows, in one read-only snapshot.

Views and per-case fact summaries are streamed in chunks (``yield_per``), both ordered by case
reference byte-wise on every backend, so they can be merged in one pass and the same store
always gives rows in the same order. Only payments, PIB facts and invoice dates are held in
memory, each bounded by its own kind of record, never by all facts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Integer, Text, and_, case, cast, func, or_, select

from hub.reconcile import facts as k
from hub.report.edges import Refusals, dead_letter_group
from hub.report.payments import Payment
from hub.report.sections import CaseFlags, as_day
from hub.store import Fact
from hub.store import models as m
from hub.store.dead_letters import PENDING, REDRIVEN
from hub.store.engine import make_engine, transaction
from hub.store.sql import bytewise

INVOICE_PREFIX = "FA"
NOT_CASES = (INVOICE_PREFIX, "HH")  # invoices' and households' own views (hub/reconcile)
BETALING = k.NS + "Betaling"
DUO_TOPICS, ISAM_TOPICS = "inburgering.duo.%", "inburgering.isam.%"
CHUNK = 250  # rows per fetch: a chunk of decoded views is a few MiB


class StoreReader:
    """Read-only access to one store for one report (its own engine, no migrations)."""

    def __init__(self, url: str) -> None:
        self._engine = make_engine(url)

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """One read transaction: every query of the report sees the same store."""
        with transaction(self._engine, write=False) as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield conn

    def close(self) -> None:
        """Release the engine's connections."""
        self._engine.dispose()


def _prefix(column: Any) -> Any:
    return func.substr(column, 1, len(INVOICE_PREFIX))


def invoice_views(conn: Connection) -> Iterator[tuple[str, dict[str, Any]]]:
    """Views of invoices (key ``FA…``), by key."""
    v = m.case_view.c
    stmt = select(v.case_ref, v.view).where(_prefix(v.case_ref) == INVOICE_PREFIX)
    yield from _stream(conn, stmt.order_by(bytewise(conn, v.case_ref)))


def case_views(conn: Connection) -> Iterator[tuple[str, dict[str, Any]]]:
    """Views of cases (every key but ``FA…`` invoices and ``HH…`` households), by reference."""
    v = m.case_view.c
    stmt = select(v.case_ref, v.view).where(_prefix(v.case_ref).not_in(NOT_CASES))
    yield from _stream(conn, stmt.order_by(bytewise(conn, v.case_ref)))


def case_flags(conn: Connection) -> Iterator[CaseFlags]:
    """Per case with a completeness finding: facts from DUO, ISAM, plicht/koppeling, hours."""
    f = m.fact.c
    duo = func.sum(case((f.source_topic.like(DUO_TOPICS), 1), else_=0))
    isam = func.sum(case((f.source_topic.like(ISAM_TOPICS), 1), else_=0))
    known = func.sum(case((f.kind.in_([k.PLICHT, k.KOPPELING]), 1), else_=0))
    hours = func.sum(case((f.kind == k.VOORTGANG, 1), else_=0))
    stmt = (
        select(f.case_ref, duo.cast(Integer), isam.cast(Integer), known.cast(Integer),
               hours.cast(Integer))
        .where(_prefix(f.case_ref).not_in(NOT_CASES))
        .group_by(f.case_ref)
        .having(or_(and_(duo > 0, isam == 0), and_(isam > 0, duo == 0),
                    and_(hours > 0, known == 0)))
        .order_by(bytewise(conn, f.case_ref))
    )
    for row in _stream(conn, stmt):
        yield CaseFlags(str(row[0]), int(row[1]), int(row[2]), int(row[3]), int(row[4]))


def payments(conn: Connection) -> Iterator[Payment]:
    """Every ``Betaling`` fact, by message id."""
    f = m.fact.c
    stmt = (select(f.message_id, f.case_ref, f.payload).where(f.kind == BETALING)
            .order_by(bytewise(conn, f.message_id)))
    for mid, ref, p in _stream(conn, stmt):
        yield Payment(str(mid), str(ref), p.get("boekingskenmerk") or None,
                      str(p.get("leverancier_id") or ""), str(p.get("factuurnummer") or ""),
                      as_day(p.get("betaaldatum")), int(p.get("bedrag_cent") or 0))


def payment_amounts(conn: Connection) -> Iterator[tuple[str | None, int, date | None]]:
    """(boekingskenmerk, amount in cents, betaaldatum) of every ``Betaling`` fact."""
    f = m.fact.c
    for (p,) in _stream(conn, select(f.payload).where(f.kind == BETALING)):
        yield (p.get("boekingskenmerk") or None, int(p.get("bedrag_cent") or 0),
               as_day(p.get("betaaldatum")))


def booking_ledgers(conn: Connection) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Per case (by reference) its effect-ledger bookings and reversals, in ledger order."""
    e = m.effect.c
    stmt = (select(e.case_ref, e.effect_key, e.soort, e.reden, e.record)
            .where(e.soort.in_(["BOEKING", "TEGENBOEKING"]))
            .order_by(bytewise(conn, e.case_ref), e.seq, e.id))
    ref: str | None = None
    entries: list[dict[str, Any]] = []
    for row in _stream(conn, stmt):
        if row[0] != ref:
            if ref is not None:
                yield ref, entries
            ref, entries = str(row[0]), []
        entries.append({"effect_key": row[1], "soort": row[2], "reden": row[3],
                        "record": row[4]})
    if ref is not None:
        yield ref, entries


def pib_facts(conn: Connection) -> dict[str, list[Fact]]:
    """PIB trajectplannen and budgets (R22) per case."""
    f = m.fact.c
    stmt = (select(f.message_id, f.case_ref, f.kind, f.payload, f.source_topic,
                   f.source_partition, f.source_offset)
            .where(f.kind.in_([k.PIB_PLAN, k.PIB_BUDGET])).order_by(bytewise(conn, f.message_id)))
    found: dict[str, list[Fact]] = {}
    for row in _stream(conn, stmt):
        found.setdefault(str(row[1]), []).append(Fact(*row))
    return found


def last_heard(conn: Connection) -> dict[str, date]:
    """Per source system (``inburgering.<system>.…``) the day its latest fact was recorded."""
    f = m.fact.c
    rows = conn.execute(select(f.source_topic, func.max(f.recorded_at))
                        .group_by(f.source_topic)).all()
    heard: dict[str, date] = {}
    for topic, at in rows:
        parts = str(topic).split(".")
        if len(parts) < 3 or at is None:
            continue
        day = _aware(at).date()
        heard[parts[1]] = max(heard.get(parts[1], day), day)
    return heard


OPEN_LETTERS = (PENDING, REDRIVEN)  # a dead letter still to deal with (hub.store.dead_letters)


def dead_letter_groups(conn: Connection) -> list[Refusals]:
    """Per source topic the open dead letters in the store (pending, or re-driven and not back
    yet): count, the oldest, error types."""
    d = m.dead_letter.c
    stmt = select(d.source_topic, d.error_type, func.count(), func.min(d.failed_at)).where(
        d.status.in_(OPEN_LETTERS))
    groups: dict[str, tuple[int, date | None, Counter[str]]] = {}
    for topic, error, count, oldest in conn.execute(stmt.group_by(d.source_topic,
                                                                   d.error_type)):
        n, first, errors = groups.get(str(topic), (0, None, Counter()))
        day = _aware(oldest).date() if oldest is not None else None
        errors[str(error)] += int(count)
        groups[str(topic)] = (n + int(count), min(filter(None, (first, day)), default=None),
                              errors)
    return [dead_letter_group(topic, n, first, errors)
            for topic, (n, first, errors) in sorted(groups.items())]


def knows_gemeente(conn: Connection, code: str) -> bool:
    """Whether a koppeling or verhuizing in the store names the gemeente (a 4-digit code)."""
    if not (len(code) == 4 and code.isdigit()):
        return False
    f = m.fact.c
    named = cast(f.payload, Text).like(f'%"{code}"%')
    stmt = select(f.id).where(f.kind.in_([k.KOPPELING, k.VERHUIZING]), named).limit(1)
    return conn.execute(stmt).first() is not None


def _stream(conn: Connection, stmt: Any) -> Iterator[Any]:
    yield from conn.execute(stmt.execution_options(yield_per=CHUNK))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)

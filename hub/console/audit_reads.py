"""The audit trail for admins: filtered, paged (newest first), and as formula-safe CSV.

Filters: ``actor`` and ``entity_id`` as a substring, ``action`` and ``entity`` exact or as a
prefix (``dead_letter.`` finds every dead-letter action), ``since``/``until`` on the row's time.
A page is at most ``limit`` rows older than ``before_id``. A user limited to gemeenten (R26)
sees the rows about cases they may see and their own acts (``scoped_rows``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from hub.console.auth import User
from hub.console.scope import visible_refs
from hub.console.store_reads import aware
from hub.errors import ConfigurationError
from hub.spreadsheet import csv_writer
from hub.store import models as m
from hub.store.engine import transaction

MAX_LIMIT = 5000
COLUMNS = ("id", "at", "actor", "action", "entity", "entity_id", "reason", "old", "new")
CASE_ENTITIES = ("case", "case_view")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def parse_moment(text: str, name: str = "since") -> datetime | None:
    """An ISO 8601 date or moment; without an offset it is Europe/Amsterdam time."""
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigurationError(f"{name}: an ISO 8601 date or moment") from exc
    return at if at.tzinfo else at.replace(tzinfo=AMSTERDAM)


@dataclass(frozen=True)
class AuditFilter:
    """Which audit rows to read."""

    actor: str = ""
    action: str = ""
    entity: str = ""
    entity_id: str = ""
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None
    limit: int = 200


def _prefix(column: Any, text: str) -> Any:
    return column.startswith(text, autoescape=True) if text.endswith(".") else column == text


def read(engine: Engine, f: AuditFilter) -> list[dict[str, Any]]:
    """Matching rows, newest first."""
    a = m.audit.c
    query = select(m.audit).order_by(a.id.desc()).limit(max(1, min(f.limit, MAX_LIMIT)))
    if f.actor:
        query = query.where(a.actor.contains(f.actor, autoescape=True))
    if f.action:
        query = query.where(_prefix(a.action, f.action))
    if f.entity:
        query = query.where(_prefix(a.entity, f.entity))
    if f.entity_id:
        query = query.where(a.entity_id.contains(f.entity_id, autoescape=True))
    if f.since is not None:
        query = query.where(a.at >= f.since)
    if f.until is not None:
        query = query.where(a.at < f.until)
    if f.before_id is not None:
        query = query.where(a.id < f.before_id)
    with transaction(engine, write=False) as conn:
        rows = conn.execute(query).all()
    return [{"id": int(r.id), "at": (aware(r.at) or r.at).isoformat(), "actor": r.actor,
             "action": r.action, "entity": r.entity, "entity_id": r.entity_id,
             "reason": r.reason, "old": r.old, "new": r.new} for r in rows]


def scoped_rows(engine: Engine, user: User, f: AuditFilter) -> list[dict[str, Any]]:
    """``read`` cut to what the user may see; pages further back until the page is full (at
    most ten reads, so a narrow scope over a long trail answers in bounded time)."""
    if not user.scoped:
        return read(engine, f)
    me = f"console:{user.name}"
    kept: list[dict[str, Any]] = []
    before = f.before_id
    for _ in range(10):
        rows = read(engine, AuditFilter(f.actor, f.action, f.entity, f.entity_id, f.since,
                                        f.until, before, f.limit))
        refs = visible_refs(engine, user, [r["entity_id"] for r in rows
                                           if r["entity"] in CASE_ENTITIES])
        kept += [r for r in rows if r["actor"] == me
                 or (r["entity"] in CASE_ENTITIES and r["entity_id"] in refs)]
        if len(rows) < f.limit or len(kept) >= f.limit:
            break
        before = rows[-1]["id"]
    return kept[:f.limit]


def to_csv(rows: Iterable[dict[str, Any]]) -> str:
    """The rows as CSV (``hub.spreadsheet``: no cell becomes a formula)."""
    import json

    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow([r["id"], r["at"], r["actor"], r["action"], r["entity"], r["entity_id"],
                         r["reason"] or "",
                         "" if r["old"] is None else json.dumps(r["old"], default=str),
                         "" if r["new"] is None else json.dumps(r["new"], default=str)])
    return out.getvalue()

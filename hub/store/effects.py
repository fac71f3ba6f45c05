"""The effect ledger's persistence: read a case's ledger, append what a view change sends.

The emitter (``records.Emitter``, wired by the runtime) compares the view with the ledger and
returns new entries with their messages; ``emit`` writes both in the caller's transaction, the
one that writes the view (ARCHITECTURE §2.3). The ledger is append-only: every version of every
effect stays, as every message stays in the outbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from hub.store import models as m
from hub.store.jsonsafe import loads
from hub.store.outbox import insert_outbox
from hub.store.records import Emitter, OutboxMessage, no_emitter
from hub.store.sql import among, chunks

COLUMNS = ("effect_key", "seq", "effect_id", "soort", "topic", "live", "bedrag_cent", "digest",
           "reden", "record")


def ledgers(conn: Connection, refs: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Every ledger entry of ``refs``, per case, in (seq, id) order."""
    e = m.effect.c
    out: dict[str, list[dict[str, Any]]] = {ref: [] for ref in refs}
    for chunk in chunks(sorted(set(refs))):
        rows = conn.execute(select(e.case_ref, e.created_at, *(e[c] for c in COLUMNS))
                            .where(among(conn, e.case_ref, chunk)).order_by(e.seq, e.id))
        for row in rows:
            out[row.case_ref].append(_entry(row))
    return out


def emit(conn: Connection, views: Iterable[tuple[str, str]], emitter: Emitter,
         now: datetime) -> None:
    """Ledger entries and outbox messages for ``views`` ((case_ref, view JSON text))."""
    if emitter is no_emitter:
        return
    pending = list(views)
    ledger = ledgers(conn, [ref for ref, _ in pending])
    rows: list[dict[str, Any]] = []
    messages: list[OutboxMessage] = []
    for ref, text in pending:
        emission = emitter(ref, loads(text), ledger[ref], now)
        rows += [{**{c: entry[c] for c in COLUMNS}, "case_ref": ref, "created_at": now}
                 for entry in emission.entries]
        messages += emission.messages
    if rows:
        conn.execute(m.effect.insert(), rows)
    insert_outbox(conn, messages, now)


def _entry(row: Any) -> dict[str, Any]:
    data = {c: getattr(row, c) for c in COLUMNS}
    data["live"] = bool(data["live"])
    data["created_at"] = row.created_at
    return data

"""A content hash of the store's meaning: facts, case views and dead letters.

JSON columns are hashed as stored: ``jsonsafe.dumps`` text, canonical by construction.
Timestamps, autoincrement ids, view versions, inbox and outbox are left out: they record how
the store got where it is, not what it holds. Rows are hashed in code-point order, so the
same content gives the same hash on SQLite and PostgreSQL, in any arrival order or batching.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Connection, Select, Text, cast, select

from hub.store import models as m
from hub.store.jsonsafe import canonical
from hub.store.sql import bytewise

_ROWS_PER_FETCH = 2000


def content_hash(conn: Connection) -> str:
    """sha256 hex digest over facts, case views and dead-letter rows, deterministically."""
    digest = hashlib.sha256()
    for section, stmt in _sections(conn):
        digest.update(f"[{section}]\n".encode())
        for row in conn.execution_options(yield_per=_ROWS_PER_FETCH).execute(stmt):
            digest.update(canonical(list(row)).encode())
            digest.update(b"\n")
    return digest.hexdigest()


def _sections(conn: Connection) -> list[tuple[str, Select[Any]]]:
    f, v, d = m.fact.c, m.case_view.c, m.dead_letter.c
    return [
        ("fact", select(f.message_id, f.case_ref, f.kind, cast(f.payload, Text))
         .order_by(bytewise(conn, f.message_id))),
        ("case_view", select(v.case_ref, cast(v.view, Text)).order_by(bytewise(conn, v.case_ref))),
        ("dead_letter", select(
            d.letter_id, d.kind, d.consumer, d.source_topic, d.source_partition, d.source_offset,
            d.error_type, d.error_message, d.attempts, d.status,
        ).order_by(bytewise(conn, d.letter_id))),
    ]

"""Many rows in one statement, past SQLAlchemy's per-row parameter processing.

PostgreSQL: ``INSERT .. SELECT FROM unnest(arrays)``. SQLAlchemy sends a batch's rows with
``RETURNING`` as one multi-row ``VALUES`` statement with a placeholder per value (4,000 for 500
facts); psycopg then parses that text anew for every batch (too long for its statement cache),
which cost more than the database's work (issue 24: the store took ~2k rows/s). Here each
column travels as one array parameter: the statement text is short and the same for every
batch, so it is parsed once and PostgreSQL plans it once.

SQLite: one multi-row ``VALUES`` statement per chunk, as SQLAlchemy's own "insertmanyvalues"
builds it, but with each column's bind processor looked up once per batch and applied in one
pass (the stored text is the same as SQLAlchemy's: its own processors make it); SQLAlchemy's
per-row ``construct_params`` cost about as much as SQLite's work (issue 24).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Connection, Table

from hub.store.engine import translate_errors
from hub.store.jsonsafe import dumps

SQLITE_MAX_VARIABLES = 32_766  # SQLite's default limit of ? parameters per statement (3.32+)


def insert_many(
    conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], *,
    conflict: Sequence[str] = (), update: Sequence[str] = (), returning: str | None = None,
) -> list[Any]:
    """Insert ``rows`` (all with the same keys); on a ``conflict`` do nothing, or set the
    ``update`` columns from the new row; the ``returning`` column of the rows written."""
    if not rows:
        return []
    if conn.dialect.name == "sqlite":
        return _sqlite_insert_many(conn, table, rows, conflict=conflict, update=update,
                                   returning=returning)
    columns = list(rows[0])
    arrays = [[_json(table.c[c].type, row[c]) for row in rows]
              if isinstance(table.c[c].type, JSON) else [row[c] for row in rows]
              for c in columns]
    sources = ", ".join(f"CAST(%b AS {_array_type(conn, table, c)})" for c in columns)
    sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({sources})"
           + _tail(conflict, update, returning))
    # psycopg itself, on this transaction's connection: arrays in binary need no escaping of
    # every quote in the JSON payloads (the text format's cost)
    driver = conn.connection.driver_connection
    assert driver is not None
    with translate_errors(), driver.cursor(binary=True) as cur:
        cur.execute(sql.encode(), arrays)
        return [row[0] for row in cur.fetchall()] if returning is not None else []


def _sqlite_insert_many(
    conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], *,
    conflict: Sequence[str], update: Sequence[str], returning: str | None,
) -> list[Any]:
    columns = list(rows[0])
    processors = [(c, table.c[c].type.dialect_impl(conn.dialect).bind_processor(conn.dialect))
                  for c in columns]
    values = [[row[c] if process is None else process(row[c]) for c, process in processors]
              for row in rows]
    head = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "
    tail = _tail(conflict, update, returning)
    one = "(" + ", ".join("?" * len(columns)) + ")"
    per_statement = max(1, SQLITE_MAX_VARIABLES // len(columns))
    driver = conn.connection.driver_connection  # this transaction's sqlite3 connection
    assert driver is not None
    found: list[Any] = []
    with translate_errors():
        cur = driver.cursor()
        try:
            for start in range(0, len(values), per_statement):
                chunk = values[start:start + per_statement]
                cur.execute(head + ", ".join([one] * len(chunk)) + tail,
                            [v for row in chunk for v in row])
                if returning is not None:
                    found += [row[0] for row in cur.fetchall()]
        finally:
            cur.close()
    return found


def _tail(conflict: Sequence[str], update: Sequence[str], returning: str | None) -> str:
    """The ``ON CONFLICT`` and ``RETURNING`` clauses (the same on both databases)."""
    tail = ""
    if conflict:
        action = ("DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in update)
                  if update else "DO NOTHING")
        tail += f" ON CONFLICT ({', '.join(conflict)}) {action}"
    if returning is not None:
        tail += f" RETURNING {returning}"
    return tail


def _array_type(conn: Connection, table: Table, column: str) -> str:
    compiled = table.c[column].type.compile(dialect=conn.dialect)
    return f"{compiled}[]"



def _json(column: Any, value: Any) -> str | None:
    """The column's own serialiser; None as SQL NULL where the (JSON) column says so."""
    return None if value is None and column.none_as_null else dumps(value)

"""Small SQL helpers shared by the store's modules: dialect inserts and chunking."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Column, Connection, Table, any_, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from hub.errors import ConfigurationError

T = TypeVar("T")
# Rows per IN (...) list: far below SQLite's 32766 host parameters and kind to PG's planner.
CHUNK = 500

Insert = postgresql.Insert | sqlite.Insert


def upsert_insert(conn: Connection, table: Table) -> Insert:
    """An INSERT that knows ``ON CONFLICT``, for the connection's dialect."""
    name = conn.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise ConfigurationError(f"the store runs on sqlite or postgresql, not {name}")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def among(conn: Connection, column: ColumnElement[Any], values: Sequence[Any]
          ) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL ``= ANY(array)``: one parameter, one cached plan."""
    if conn.dialect.name == "postgresql":
        return column == any_(literal(list(values), postgresql.ARRAY(column.type)))
    return column.in_(values)


def bytewise(conn: Connection, column: Column[Any]) -> ColumnElement[Any]:
    """``column`` ordered by code point on every backend (PostgreSQL's "C" collation)."""
    return column.collate("C") if conn.dialect.name == "postgresql" else column


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)

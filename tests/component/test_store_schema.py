"""Migrations create exactly the model tables; database trouble surfaces as StoreBusy."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, inspect

from hub.errors import ConfigurationError, StoreBusy
from hub.store import Store
from hub.store.engine import make_engine
from hub.store.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    model_metadata,
    upgrade,
)
from hub.store.models import metadata
from tests.component.test_store_support import message

# Store tables that later migrations add (0003: deferred projection marks; 0005: the effect
# ledger) or reshape (0006: dead letters keyed by letter id, with originals and a status).
LATER = {"dirty_case", "dead_letter", "effect"}


def _initial_metadata() -> MetaData:
    initial = MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.tables.values():
        if table.name not in LATER:
            table.to_metadata(initial)
    return initial


def _not_dead_letter(obj: Any, name: str | None, type_: str, *_: Any) -> bool:
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table != "dead_letter"


def schema_diff(url: str) -> tuple[list[Any], str | None, set[str], list[MetaData]]:
    """(autogenerate diff against the models, revision, table names, metadata compared)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            revision = current_revision(conn)
            models = [_initial_metadata()] if revision == "0001" else model_metadata()
            opts: dict[str, Any] = {"compare_type": True}
            if revision == "0001":  # 0001's dead_letter is not the model's (0006 reshapes it)
                opts["include_object"] = _not_dead_letter
            context = MigrationContext.configure(conn, opts=opts)
            diff = compare_metadata(context, models)  # type: ignore[arg-type]
        return diff, revision, set(inspect(engine).get_table_names()), models
    finally:
        engine.dispose()


def test_initial_migration_creates_exactly_the_store_tables(store_url: str) -> None:
    engine = make_engine(store_url)
    try:
        upgrade(engine, "0001")
    finally:
        engine.dispose()

    diff, revision, tables, _ = schema_diff(store_url)

    assert revision == "0001"
    assert diff == []
    assert tables == {*metadata.tables, "alembic_version"} - LATER | {"dead_letter"}


def test_head_matches_every_model(store_url: str) -> None:
    Store(store_url).close()

    diff, revision, tables, models = schema_diff(store_url)

    assert revision == head_revision()
    assert diff == []
    assert tables == {name for meta in models for name in meta.tables} | {"alembic_version"}


def test_migrations_downgrade_and_upgrade_again(store_url: str) -> None:
    Store(store_url).close()
    engine = make_engine(store_url)
    try:
        with engine.begin() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()

    store = Store(store_url)  # migrates to head again
    try:
        assert store.record_batch("exams", [message(1)]).applied == 1
    finally:
        store.close()


def test_opening_twice_does_not_migrate_twice(store_url: str) -> None:
    first = Store(store_url)
    first.record_batch("exams", [message(1)])
    second = Store(store_url)
    try:
        assert second.count("fact") == 1
    finally:
        first.close()
        second.close()


def test_a_locked_sqlite_database_is_store_busy(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    Store(f"sqlite:///{path}").close()
    store = Store(f"sqlite:///{path}?timeout=0", migrate=False)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        with pytest.raises(StoreBusy, match="locked"):
            store.record_batch("exams", [message(1)])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.record_batch("exams", [message(1)]).applied == 1  # and it passes
    store.close()


def test_an_unreachable_server_is_store_busy() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(StoreBusy):
        Store(f"postgresql+psycopg://hub@127.0.0.1:{port}/hub?connect_timeout=2")


def test_sql_bugs_are_not_disguised_as_busy(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'empty.db'}", migrate=False)  # no tables
    try:
        with pytest.raises(Exception, match="no such table") as caught:
            store.record_batch("exams", [message(1)])
        assert not isinstance(caught.value, StoreBusy)
    finally:
        store.close()


def test_a_bad_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="database URL not usable"):
        Store("nosuchdialect://x/y")

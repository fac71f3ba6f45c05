"""Run the store's Alembic migrations programmatically (they ship inside the package)."""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, MetaData, func, select

from hub.errors import ConfigurationError
from hub.store.engine import transaction

MIGRATIONS = Path(__file__).with_name("migrations")
# Every module whose tables these migrations create (autogenerate compares against them all).
MODEL_MODULES = ("hub.store.models", "hub.console.models")
# Any constant will do: it only has to be the same for every hub process on a database.
_PG_MIGRATION_LOCK = 0x6875622D73746F72  # "hub-stor"


def alembic_config(url: str | None = None) -> Config:
    """Alembic configuration pointing at the packaged migrations (no ini file needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` in one transaction, one migrating process at a time."""
    with transaction(engine, write=True) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(_PG_MIGRATION_LOCK)))
        config = alembic_config()
        config.attributes["connection"] = conn
        try:
            command.upgrade(config, revision)
        except CommandError as exc:  # e.g. a database migrated by a newer hub
            raise ConfigurationError(f"store schema cannot be migrated: {exc}") from exc


def current_revision(conn: Connection) -> str | None:
    """The revision the database is at, or None before the first migration."""
    return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this code."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def model_metadata() -> list[MetaData]:
    """The MetaData of every module in ``MODEL_MODULES``."""
    return [importlib.import_module(name).metadata for name in MODEL_MODULES]

"""Alembic environment for the hub store.

``hub.store.migrate.upgrade`` passes an open connection in ``config.attributes``; the
``alembic`` command line (``alembic -c hub/store/alembic.ini ...``) gets the URL from
``HUB_DATABASE_URL`` or ``sqlalchemy.url``. Logging is left to the caller on purpose.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection, MetaData

from hub.store.engine import make_engine
from hub.store.migrate import model_metadata

config = context.config


def _run(connection: Connection, target_metadata: list[MetaData] | None) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """Emit SQL to stdout (``alembic upgrade head --sql``)."""
    context.configure(
        url=_url(), target_metadata=model_metadata(), literal_binds=True, compare_type=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate over the caller's connection, or one made from the configured URL."""
    given = config.attributes.get("connection")
    if given is not None:  # the hub upgrading itself: no models needed (nor imported)
        _run(given, None)
        return
    engine = make_engine(_url())
    try:
        with engine.begin() as connection:
            _run(connection, model_metadata())  # the command line: autogenerate, check
    finally:
        engine.dispose()


def _url() -> str:
    url = os.environ.get("HUB_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set HUB_DATABASE_URL or sqlalchemy.url to run migrations")
    return url


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

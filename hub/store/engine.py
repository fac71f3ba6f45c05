"""Engines, transactions and the translation of database errors into the hub's tree.

Every JSON column goes through ``jsonsafe.dumps``/``loads``: callers hand in and get back
Python values (bytes, dates, Decimal), the database holds canonical tagged JSON text.

SQLite runs in WAL mode with ``synchronous=NORMAL``, no memory-mapped I/O (``mmap_size=0``)
and a writability check before each transaction (``probe_writable``: never SIGBUS), foreign
keys on, a busy timeout, a 32 MiB page cache and a checkpoint every 10,000 WAL pages (a
recording worker whose projector process runs the checkpoints sets that to a backstop only).
Writers start with ``BEGIN IMMEDIATE`` so two writers queue on the busy timeout instead of
failing on a read-to-write lock upgrade; readers use a plain deferred ``BEGIN``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from hub.errors import ConfigurationError, StoreBusy
from hub.store import jsonsafe

SQLITE_BUSY_TIMEOUT_S = 5.0
SQLITE_CACHE_KIB = 32 * 1024
SQLITE_CHECKPOINT_PAGES = 10_000
# For a writer whose checkpoints another process runs (``Store.checkpoint``): only a backstop.
SQLITE_BACKSTOP_PAGES = 100_000
_WRITE = "hub_write"
# Primary SQLite result codes that mean "try again later", not "the code is wrong".
# A full disk and a read-only file are outages too (issue 18): the agents pause, nothing is
# dead-lettered, and they resume when the store is writable again.
_SQLITE_CAUSES = {"SQLITE_BUSY": "locked", "SQLITE_LOCKED": "locked",
                  "SQLITE_PROTOCOL": "locked", "SQLITE_CANTOPEN": "cannot be opened",
                  "SQLITE_IOERR": "I/O error", "SQLITE_FULL": "disk full",
                  "SQLITE_READONLY": "read-only"}
_SQLITE_TRANSIENT = tuple(_SQLITE_CAUSES)
# PostgreSQL SQLSTATE classes and codes -> cause (53: insufficient resources).
_PG_CAUSES = {"53100": "disk full", "25006": "read-only", "55P03": "locked", "40P01": "locked",
              "53": "out of resources", "08": "unreachable", "57": "unavailable"}
_JSON = {"json_serializer": jsonsafe.dumps, "json_deserializer": jsonsafe.loads}


def make_engine(url: str, *, checkpoint_pages: int = SQLITE_CHECKPOINT_PAGES) -> Engine:
    """An engine for ``url`` with the hub's SQLite settings, or pre-pinging for servers.

    ``checkpoint_pages``: WAL size (pages) at which a committing SQLite connection of this engine
    copies the WAL back into the database itself (``PRAGMA wal_autocheckpoint``).
    """
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite":
            return create_engine(parsed, pool_pre_ping=True, **_JSON)
    except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError) as exc:
        raise ConfigurationError(f"database URL not usable: {type(exc).__name__}") from exc
    connect_args: dict[str, Any] = {}
    if "timeout" not in parsed.query:  # sqlite3's timeout is SQLite's busy_timeout
        connect_args["timeout"] = SQLITE_BUSY_TIMEOUT_S
    engine = create_engine(parsed, connect_args=connect_args, **_JSON)

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        _sqlite_on_connect(dbapi_connection, checkpoint_pages)

    event.listen(engine, "connect", on_connect)
    path = parsed.database or ""
    if path and path != ":memory:" and not path.startswith("file:"):
        files = tuple(path + ending for ending in ("", "-wal", "-shm"))
        # before BEGIN: even BEGIN writes the reader's mark into the -shm mapping
        event.listen(engine, "begin", lambda _conn: probe_writable(files))
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def probe_writable(files: tuple[str, ...]) -> None:
    """``StoreBusy`` (read-only) unless every existing store file is writable.

    WAL mode maps the ``-shm`` file shared and writable, and even a reader writes to it: once
    that file turns unwritable (made read-only or immutable, its file system remounted
    read-only) the next write to the mapping kills the process by SIGBUS. So every transaction
    first asks the kernel (``access``, which sees modes, read-only mounts and the immutable
    flag; well under a microsecond) and pauses instead of touching the files. It never opens
    them: closing a descriptor would drop SQLite's POSIX locks on the file. What is left is a
    change of the files during one transaction.
    """
    for name in files:
        if not os.access(name, os.W_OK) and os.path.exists(name):
            raise StoreBusy(f"{os.path.basename(name)}: not writable", cause="read-only",
                            where=files[0])


def _sqlite_on_connect(dbapi_connection: Any, checkpoint_pages: int) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _sqlite_on_begin)
    cur = dbapi_connection.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        # No memory-mapped I/O: a mapped page that cannot be written (full disk, file made
        # read-only or truncated) kills the process by SIGBUS instead of returning an error.
        cur.execute("PRAGMA mmap_size=0")
        # Batches dirty many index pages: keep them cached, and checkpoint less often
        # (a page rewritten by several batches is then copied to the database once).
        cur.execute(f"PRAGMA cache_size={-SQLITE_CACHE_KIB}")
        cur.execute(f"PRAGMA wal_autocheckpoint={int(checkpoint_pages)}")
    finally:
        cur.close()


def checkpoint(engine: Engine, restart_pages: int = SQLITE_CHECKPOINT_PAGES) -> int | None:
    """Copy the SQLite WAL back into the database; the WAL's size in pages before, or None
    for other databases.

    A passive checkpoint first (it neither waits for nor blocks anyone). Under a steady stream
    of writes that never empties the WAL, so once it holds ``restart_pages`` a RESTART follows:
    it waits (busy timeout) for the current writer, copies the little that is left and makes
    the next writer start the WAL file from the beginning again.
    """
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database or ""
    if database and database != ":memory:":
        probe_writable(tuple(database + ending for ending in ("", "-wal", "-shm")))
    with translate_errors(where(engine)):
        raw = engine.raw_connection()  # outside any transaction (autocommit, see on_connect)
    try:
        cur = raw.cursor()
        _, pages, _ = cur.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if pages >= restart_pages:
            cur.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
        cur.close()
    except sqlite3.OperationalError as exc:
        raise StoreBusy(f"checkpoint: {type(exc).__name__}: {exc}", cause=_cause(exc),
                        where=where(engine)) from exc
    finally:
        raw.close()
    return int(pages)


def _sqlite_on_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get(_WRITE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def transaction(engine: Engine, *, write: bool) -> Iterator[Connection]:
    """One database transaction: committed when the block ends, rolled back if it raises."""
    with translate_errors(where(engine)), engine.connect() as conn:
        conn.execution_options(**{_WRITE: write})
        with conn.begin():
            yield conn


def where(engine: Engine) -> str:
    """The database, for error texts: the SQLite file, or host:port/name (never a password)."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return str(url.database or ":memory:")
    return f"{url.host}:{url.port or 5432}/{url.database}"


@contextmanager
def translate_errors(place: str = "") -> Iterator[None]:
    """Raise ``StoreBusy`` (naming the cause) for locked, full, read-only, lost or unreachable
    databases; leave bugs alone."""
    try:
        yield
    except sa_exc.TimeoutError as exc:
        raise StoreBusy("no free database connection in the pool", cause="busy",
                        where=place) from exc
    except sa_exc.DBAPIError as exc:
        if is_transient(exc):
            raise StoreBusy(describe(exc), cause=_cause(exc.orig), where=place) from exc
        raise


def _cause(orig: BaseException | None) -> str:
    name = str(getattr(orig, "sqlite_errorname", "") or "")
    for prefix, cause in _SQLITE_CAUSES.items():
        if name.startswith(prefix):
            return cause
    state = str(getattr(orig, "sqlstate", "") or "")
    if state:
        return _PG_CAUSES.get(state) or _PG_CAUSES.get(state[:2]) or "unavailable"
    text = str(orig).lower()
    if "disk is full" in text or "disk full" in text:
        return "disk full"
    if "readonly" in text or "read-only" in text:
        return "read-only"
    return "locked" if "locked" in text or "busy" in text else "unavailable"


def is_transient(exc: sa_exc.DBAPIError) -> bool:
    """Whether retrying the transaction may help (lock, deadlock, lost or refused connection)."""
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, sa_exc.OperationalError):
        return False
    if not isinstance(exc.orig, sqlite3.Error):
        return True  # psycopg: connection, deadlock, serialization, cancel, resources
    name = getattr(exc.orig, "sqlite_errorname", "")
    if name:
        return name.startswith(_SQLITE_TRANSIENT)
    text = str(exc.orig).lower()
    return any(word in text for word in ("locked", "busy", "unable to open", "disk is full",
                                         "readonly"))


def describe(exc: sa_exc.DBAPIError) -> str:
    """Driver error class and first line, never the statement or its parameters."""
    first = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else ""
    return f"{type(exc.orig).__name__}: {first}"

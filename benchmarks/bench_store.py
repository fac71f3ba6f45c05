"""The store side of ``hub bench``: which database, and the store's own ceiling.

The ceiling writes the same rows the hub writes (inbox row, fact, dirty mark per message, one
transaction per ``HUB_BATCH_SIZE`` messages, the worker's store settings) straight into a fresh
store, without Kafka, Avro or a worker: the most the hub could record on this database here.
A thread runs the passive WAL checkpoints the projector process runs in the hub's path.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from hub.runtime import Runtime
from hub.settings import Settings
from hub.store import InboundMessage

VALUE = "nl.inburgering.hub.Examenresultaat"


class Databases:
    """Fresh databases for each run: SQLite files under ``home``, or a private PostgreSQL."""

    def __init__(self, kind: str, home: str) -> None:
        self.kind, self.home = kind, home
        self._cluster: Any = None
        if kind == "postgresql":
            self._cluster = _pg().start_cluster()
        elif kind != "sqlite":
            raise SystemExit(f"--database: sqlite or postgresql, not {kind!r}")

    def fresh(self, name: str) -> str:
        """The URL of a new, empty database."""
        if self._cluster is None:
            return f"sqlite:///{self.home}/{name}.db"
        return str(self._cluster.create_database(f"bench_{name}_{uuid.uuid4().hex[:6]}"))

    def describe(self) -> str:
        """What the store runs on, for the heading."""
        if self._cluster is None:
            return "SQLite store (WAL)"
        return f"PostgreSQL {self._cluster.version} (private cluster, fsync off)"

    def close(self) -> None:
        """Stop the private PostgreSQL, if any."""
        if self._cluster is not None:
            self._cluster.stop()


def _pg() -> Any:
    """The suite's private-cluster helper (``tests/pg.py``: initdb, pg_ctl; or
    ``HUB_TEST_POSTGRES_URL``), from the checkout this bench runs from."""
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    return importlib.import_module("tests.pg")


def ceiling(settings: Settings, chunks: Iterable[list[dict[str, Any]]], topic: str) -> float:
    """Messages per second written straight into a fresh store in the worker's batch size."""
    store = Runtime(settings).store
    batch = settings.batch_size
    stop = threading.Event()
    checkpoints = threading.Thread(target=_checkpoints, args=(store, stop), daemon=True)
    checkpoints.start()
    done, started = 0, time.perf_counter()
    try:
        for chunk in chunks:
            for start in range(0, len(chunk), batch):
                store.record_batch("bench-ceiling", list(_messages(chunk[start:start + batch],
                                                                    topic, done)))
                done += len(chunk[start:start + batch])
        return done / (time.perf_counter() - started)
    finally:
        stop.set()
        checkpoints.join()
        store.close()


def _messages(records: list[dict[str, Any]], topic: str, offset: int) -> Iterator[InboundMessage]:
    for n, record in enumerate(records):
        yield InboundMessage(topic, 0, offset + n, str(record["message_id"]),
                             str(record["case_ref"]), VALUE, record)


def _checkpoints(store: Any, stop: threading.Event) -> None:
    while not stop.wait(0.5):
        with contextlib.suppress(Exception):  # busy: the next one will do
            store.checkpoint()

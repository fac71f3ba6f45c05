"""A store outage is not a bad message: full disk and read-only file pause, then recover.

Each test stores a first batch, breaks the store for real (a full small file system, SQLite's
own page limit, files made read-only), hands the handler a second batch and repairs the store
from inside the pause; then every message must be stored exactly once, with no dead letter, an
ERROR naming the cause and the database, and the health back to healthy.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, event

import topics
from hub.agents.handler import BatchHandler, RawMessage
from hub.agents.store_outage import OutagePolicy, StoreHealth
from hub.codec import AvroCodec
from hub.demo import exam_results
from hub.reconcile.view import case_view
from hub.registry import FileSchemaRegistry
from hub.settings import from_env
from hub.store import Store

TOPIC = topics.EXAMENRESULTAAT
CONSUMER = "record:outage"


@pytest.fixture(scope="module")
def codec() -> AvroCodec:
    return AvroCodec(FileSchemaRegistry())


def _raw(codec: AvroCodec, records: Sequence[dict[str, Any]], start: int) -> list[RawMessage]:
    return [RawMessage(TOPIC, 0, start + n,
                       codec.encode(topics.KEY_SCHEMA, {"case_ref": r["case_ref"]}),
                       codec.encode(topics.by_name(TOPIC).value_schema, r))
            for n, r in enumerate(records)]


def _outage_run(tmp_path: Path, codec: AvroCodec, db: Path, *, break_store: Callable[[], None],
                repair: Callable[[], None], caplog: pytest.LogCaptureFixture,
                store_hook: Callable[[Store], None] = lambda _: None) -> tuple[Store, Any]:
    """First batch stored, store broken, second batch paused until ``repair`` on pause 3."""
    records = exam_results(from_env({"HUB_HOME": str(tmp_path)}), cases=40, seed=5)
    half = len(records) // 2
    store = Store(f"sqlite:///{db}", projection=case_view)
    store_hook(store)
    health = StoreHealth()
    pauses: list[Any] = []

    def pause(delay: float) -> None:
        pauses.append((delay, health.state))
        if len(pauses) == 3:
            repair()

    handler = BatchHandler(CONSUMER, codec=codec, store=store,
                           outage=OutagePolicy(backoff_s=0.05, health=health, sleep=pause))
    first = handler.handle(_raw(codec, records[:half], 0))
    assert first.outcome.applied == half
    break_store()
    with caplog.at_level(logging.ERROR, logger="hub.agents.store_outage"):
        second = handler.handle(_raw(codec, records[half:], half))
    assert len(pauses) == 3, "the broken store must pause the batch"
    assert [delay for delay, _ in pauses] == [0.05, 0.1, 0.2]  # growing delays
    assert all(not state.healthy for _, state in pauses)  # unhealthy while paused
    assert health.state.healthy  # and healthy again by itself
    assert second.outcome.applied == len(records) - half and second.unstored == []
    assert store.count("fact") == len(records)  # every message stored once
    assert store.count("inbox") == len(records)
    assert store.count("dead_letter") == 0  # an outage is not a bad message
    assert {f.message_id for r in records for f in store.facts_for(r["case_ref"])} == {
        r["message_id"] for r in records}
    again = handler.handle(_raw(codec, records, 0))  # a redelivery after the pause
    assert again.outcome.applied == 0 and again.outcome.duplicates == len(records)
    return store, pauses


@contextlib.contextmanager
def _small_filesystem(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip("mounting a small tmpfs needs CAP_SYS_ADMIN here; the SQLite-level "
                    "full-database test below covers the same path")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_full_small_filesystem_pauses_then_every_message_is_stored_once(
        tmp_path: Path, codec: AvroCodec, caplog: pytest.LogCaptureFixture) -> None:
    with _small_filesystem(tmp_path / "fs", "3m") as fs:
        db, filler = fs / "hub.db", fs / "filler"

        def fill() -> None:
            with filler.open("wb") as out, contextlib.suppress(OSError):
                while True:
                    out.write(b"\0" * 65536)
                    out.flush()

        _outage_run(tmp_path, codec, db, break_store=fill, repair=filler.unlink, caplog=caplog)
    assert f"store disk full: {db}" in caplog.text


def test_a_full_database_at_the_sqlite_level_pauses_then_recovers(
        tmp_path: Path, codec: AvroCodec, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "hub.db"
    limit: dict[str, int | None] = {"pages": None}

    def hook(store: Store) -> None:
        def begin(conn: Connection) -> None:
            pages = limit["pages"] or 1_073_741_823
            conn.exec_driver_sql(f"PRAGMA max_page_count={pages}")
        event.listen(store._engine, "begin", begin)

    def full() -> None:
        limit["pages"] = 1 + os.path.getsize(db) // 4096  # SQLITE_FULL at the next page

    def room() -> None:
        limit["pages"] = None

    _outage_run(tmp_path, codec, db, break_store=full, repair=room, caplog=caplog,
                store_hook=hook)
    assert f"store disk full: {db}" in caplog.text


def _set_read_only(files: Sequence[Path], read_only: bool) -> None:
    for path in files:
        if not path.exists():
            continue
        immutable = bool(shutil.which("chattr")) and os.geteuid() == 0  # root ignores modes
        if read_only:
            path.chmod(0o444)
        if immutable:
            subprocess.run(["chattr", "+i" if read_only else "-i", str(path)], check=True)
        if not read_only:
            path.chmod(0o644)


def test_a_read_only_store_file_pauses_then_recovers_without_sigbus(
        tmp_path: Path, codec: AvroCodec, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "hub.db"
    files = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
    try:
        _outage_run(tmp_path, codec, db, break_store=lambda: _set_read_only(files, True),
                    repair=lambda: _set_read_only(files, False), caplog=caplog)
    finally:
        _set_read_only(files, False)
    assert f"store read-only: {db}" in caplog.text


def test_the_worker_status_names_the_outage_and_fits_the_connector_status_contract(
        codec: AvroCodec) -> None:
    from hub.agents.store_outage import HealthState
    from hub.agents.worker_status import WORKER, status_record
    from hub.console.metrics import SnapshotCollector
    from hub.errors import StoreBusy

    health = StoreHealth()
    health.down(StoreBusy("database or disk is full", cause="disk full", where="/var/hub.db"))
    record = status_record(health.state)
    spec = topics.by_name(topics.CONNECTOR_STATUS)
    _, back = codec.decode(codec.encode(spec.value_schema, record))
    assert (back["connector"], back["healthy"], back["last_error"]) == (
        WORKER, False, "store disk full: /var/hub.db")
    assert status_record(HealthState(healthy=True))["healthy"] is True
    snap = {"topics": [], "groups": [], "agents": [], "dead_letters": {},
            "connectors": [{"connector": WORKER, "healthy": back["healthy"], "silent": False}]}
    [up] = [m for m in SnapshotCollector(lambda: snap).collect() if m.name == "hub_connector_up"]
    assert [(s.labels, s.value) for s in up.samples] == [({"connector": WORKER}, 0.0)]

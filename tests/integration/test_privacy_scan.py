"""Privacy (ARCHITECTURE principle 5): after a demo run with every connector and simulated
partner, no BSN appears in plain text in any topic (dead letters included), log, store file
or other file the hub wrote. Partner exchange folders are left out: a school's CSV carries
BSNs by contract, and the hub keeps what it received.

A BSN here is a 9-digit number passing the eleven-test, not inside a longer token (a case
reference or base64 text may hold such a run by chance). The hub pads 8-digit BSNs to 9 at the
edge, so 8-digit numbers (KvK numbers pass the test too) are not looked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from hub.broker import free_port
from hub.privacy import is_valid_bsn

pytestmark = pytest.mark.integration

_NUMBER = re.compile(rb"(?<![0-9A-Za-z+/])\d{9}(?![0-9A-Za-z+/])")
# Partner input and the replay's copies of it carry BSNs, as partners do.
PARTNER_FOLDERS = ("taalaanbieder", "financieel", "demo-pki", "demo-scenario", "scenario")


def bsn_positions(data: bytes) -> list[int]:
    """Offsets of plaintext BSNs in ``data`` (offsets only: a report must not repeat them)."""
    return [m.start() for m in _NUMBER.finditer(data) if is_valid_bsn(m.group().decode())]


def _hub_files(var: Path) -> Iterator[Path]:
    for path in sorted(var.rglob("*")):
        if path.is_file() and path.relative_to(var).parts[0] not in PARTNER_FOLDERS:
            yield path


def _content(path: Path) -> bytes:
    """What a file holds: a SQLite database as the SQL dump of every row (its pages split
    values, e.g. an IBAN, so the raw bytes show digit runs no row contains); its WAL and
    shared-memory files are read through it."""
    if path.suffix == ".db":
        with contextlib.closing(sqlite3.connect(path)) as conn:
            return "\n".join(conn.iterdump()).encode()
    if path.name.endswith((".db-wal", ".db-shm")):
        return b""
    return path.read_bytes()


async def _topic_bytes(bootstrap: str) -> dict[str, list[bytes]]:
    """Every record's key, value and headers on every topic, read from the start."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    found: dict[str, list[bytes]] = {}
    try:
        names = sorted(t for t in await consumer.topics() if not t.startswith("__"))
        parts = [TopicPartition(t, p) for t in names
                 for p in consumer.partitions_for_topic(t) or ()]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        idle = 0
        while idle < 3:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            idle = 0 if batches else idle + 1
            for tp, records in batches.items():
                chunks = found.setdefault(tp.topic, [])
                for r in records:
                    chunks.extend([r.key or b"", r.value or b""])
                    chunks.extend(v or b"" for _, v in r.headers or ())
    finally:
        await consumer.stop()
    return found


@pytest.mark.slow(60)
# the whole demo: minutes on a loaded 2-core machine (not a speed target)
@pytest.mark.timeout(900)
def test_no_plaintext_bsn_in_topics_logs_store_or_hub_files(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update({"HUB_HOME": str(tmp_path), "HUB_WORKER_WEB_PORT": str(free_port()),
                "HUB_CONSOLE_PORT": str(free_port())})
    process = subprocess.Popen([sys.executable, "-m", "hub.cli", "up", "--demo", "--port",
                                str(port)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    assert process.stdout is not None
    output = []
    try:
        for line in process.stdout:
            output.append(line)
            if line.startswith(b"report   workbook") or line.startswith(b"stopping"):
                break
        assert any(line.startswith(b"report   workbook") for line in output), b"".join(output)
        topics = asyncio.run(_topic_bytes(f"127.0.0.1:{port}"))
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=90)
    output.append(rest)
    var = tmp_path / "var"

    partner_bsns = sum(len(bsn_positions(p.read_bytes())) for folder in PARTNER_FOLDERS
                       for p in (var / folder).rglob("*") if p.is_file())
    assert list((var / "reports").glob("*.html")), "the report is part of the scan"
    assert partner_bsns > 0, "the demo's partners sent no BSNs: the scan would prove nothing"
    assert sum(len(chunks) for chunks in topics.values()) > 400
    assert any(name.endswith(".dlt") and chunks for name, chunks in topics.items())

    leaks = {f"topic {name}": len(hits) for name, chunks in topics.items()
             if (hits := [pos for chunk in chunks for pos in bsn_positions(chunk)])}
    leaks.update({f"file {path.relative_to(var)}": len(hits) for path in _hub_files(var)
                  if (hits := bsn_positions(_content(path)))})
    leaks.update({"hub up output": len(hits)}
                 if (hits := bsn_positions(b"".join(output))) else {})
    assert (var / "hub.db").exists() and (var / "logs" / "worker.log").exists()
    assert leaks == {}


def test_the_scanner_finds_a_bsn_and_ignores_case_refs_and_kvk_numbers() -> None:
    assert bsn_positions(b'{"bsn":"111222333"}') == [8]
    assert bsn_positions(b"BSN;111222333;x") == [4]
    assert bsn_positions(b"CR81402763F13E0C132207229DB0FCFE") == []
    assert bsn_positions(b'"aanbieder":"41216593"') == []
    assert bsn_positions(b"123456789") == []  # fails the eleven-test

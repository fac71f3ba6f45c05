"""`hub import isi FILE` end to end: rows stored once, re-import stores nothing, rejects listed."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import random
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

import topics
from connectors.edge import RuntimeSealer
from connectors.isi.translate import LAYOUTS, translate_row
from hub.demo import synthetic_bsn
from hub.publish import TopicWriter
from hub.runtime import Runtime
from hub.store import Store
from tests.integration.conftest import HubEnv, wait_until

pytestmark = pytest.mark.integration
BAD_ROWS = [
    "PERSOON;111222334;;WI2007;GEZINSMIGRANT;2009-03-01",  # R20
    "TRAJECT;111222333;T-X;WI2007;0392;PIB;X;;2009-04-01;;4875;1200;AFGEROND",  # R22
    "VOUCHER;111222333;P1;V-X;0392;INBURGERAAR;GELD;100;GEKOCHT;2009-05-01;",  # R22
]


def _export(path: Path, people: int) -> int:
    """Write an export with ``people`` persons and three bad rows; returns the good rows."""
    rng = random.Random(9)
    lines = ["# ISI export for the integration test"]
    for n in range(people):
        bsn = synthetic_bsn(rng)
        lines += [f"PERSOON;{bsn};;WI2007;GEZINSMIGRANT;0{1 + n % 9}-03-2009",
                  f"TRAJECT;{bsn};T-{n};WI2007;0392;PIB;Taalcentrum Haarlem;;2009-04-01;;"
                  f"4875,00;650;AFGEROND",
                  f"PIBBUDGET;{bsn};PIB-{n};0392;2009-03-20;5000;650;250",
                  f"VOUCHER;{bsn};PIB-{n};V-{n};0392;INBURGERAAR;VOUCHER;250;UITGEREIKT;"
                  f"2010-07-15;2009-04-01",
                  f"EXAMEN;{bsn};EX-{n};SPREKEN;A2;2010-06-12;GESLAAGD;"]
    lines[3:3] = BAD_ROWS
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return people * 5


def _import(hub_env: HubEnv, source: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "hub.cli", "import", "isi", str(source)],
                          env=hub_env.env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def _sentinels(hub_env: HubEnv, runtime: Runtime) -> int:
    """A fresh record on every partition of every ISI topic: once all are stored, every
    earlier message on those partitions was processed too (partitions are consumed in order)."""
    rng = random.Random(99)
    rows = {"PERSOON": "{b};;WI2013;ONBEKEND;2014-01-01",
            "TRAJECT": "{b};S-{u};WI2013;0392;DUAAL;X;;2014-02-01;;100;;LOPEND",
            "EXAMEN": "{b};S-{u};KNM;A2;2014-05-01;GESLAAGD;",
            "PIBBUDGET": "{b};S-{u};0392;2014-01-05;100;;",
            "VOUCHER": "{b};S-{u};S-{u};0392;INBURGERAAR;VOUCHER;10;GEKOCHT;2014-01-05;"}
    sealer, sent = RuntimeSealer(runtime), 0
    writer = TopicWriter(hub_env.env["HUB_KAFKA_BOOTSTRAP"], runtime.codec)
    producer = AIOKafkaProducer(bootstrap_servers=hub_env.env["HUB_KAFKA_BOOTSTRAP"])
    await producer.start()
    try:
        for kind, template in rows.items():
            topic = LAYOUTS[kind][0]
            for partition in range(topics.by_name(topic).partitions):
                row = [kind, *template.format(b=synthetic_bsn(rng), u=uuid.uuid4()).split(";")]
                record = translate_row(row, sealer=sealer, received_at=datetime.now(UTC)).record
                key, value = writer.encode(topic, record)
                await producer.send_and_wait(topics.physical(topic, hub_env.suffix), value,
                                             key=key, partition=partition)
                sent += 1
    finally:
        await producer.stop()
    return sent


@pytest.mark.slow(15)
def test_import_twice_stores_each_row_once_and_lists_the_refused_rows(
        hub_env: HubEnv, worker: subprocess.Popen[bytes], tmp_path: Path) -> None:
    source = tmp_path / "isi-export.csv"
    good = _export(source, people=12)
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    settings = hub_env.settings()
    store = Store(settings.effective_database_url)

    summary = _import(hub_env, source)
    assert f"{good + len(BAD_ROWS)} rows: {good} accepted, {len(BAD_ROWS)} refused" in summary
    wait_until(lambda: store.count("fact") >= good, timeout=60)
    assert "rows: 60 accepted" in _import(hub_env, source)  # the same file again
    sentinels = asyncio.run(_sentinels(hub_env, Runtime(settings)))
    wait_until(lambda: store.count("fact") >= good + sentinels, timeout=60)

    assert store.count("fact") == good + sentinels  # the re-import added nothing
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before  # input untouched
    with (tmp_path / "isi-export.csv.rejects.csv").open(newline="") as handle:
        rejects = list(csv.reader(handle, delimiter=";"))
    assert rejects[0] == ["line", "row_type", "field", "reason"]
    assert [(r[0], r[2]) for r in rejects[1:]] == [
        ("4", "PERSOON.bsn"), ("5", "TRAJECT.meerkosten"), ("6", "VOUCHER.vorm")]
    assert "111222334" not in (tmp_path / "isi-export.csv.rejects.csv").read_text()
    store.close()

"""Proof under faults (ARCHITECTURE §2): the store's content is the same after SIGKILLs of the
worker and of a connector, after a duplicate-and-reorder storm, and when one of two workers
sharing the partitions stops mid-run, as after one clean, uninterrupted run.

Every run reads the same encoded inputs (broken messages, then examenresultaten) on its own
topics into its own store; runs are compared by ``Store.content_hash`` (facts, views, dead
letters). A connector re-run re-encrypts BSNs and re-stamps ``produced_at``, so the ISI import
killed mid-file is compared by what its facts mean (ids, cases, kinds, fields).
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

import topics
from hub.broker import EmbeddedBroker, free_port
from hub.broker_ops import BrokerOps
from hub.demo import exam_results, synthetic_bsn
from hub.kafka_admin import apply_topics
from hub.publish import TopicWriter
from hub.runtime import Runtime
from hub.store import Store
from hub.store import models as m
from hub.store.engine import make_engine
from tests.integration.conftest import HubEnv, stop_process, wait_until

pytestmark = pytest.mark.integration

# Sent first, with fixed keys: the same partitions and offsets (hence dead letters) every run.
BROKEN = [(b"broken-1", b"\x00\x00\x00\xff\xffnot avro"), (b"broken-2", b"\x01\x02")]
Pairs = list[tuple[bytes | None, bytes | None]]


@dataclass(frozen=True)
class Inputs:
    """Encoded inputs shared by every run (same bytes, so the same facts)."""

    exams: Pairs
    isi_export: Path
    isi_facts: int

    @property
    def facts(self) -> int:
        return len(self.exams)


EnvFactory = Callable[[str], HubEnv]


@pytest.fixture(scope="module")
def env_factory(broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory) -> EnvFactory:
    """Fresh hub environments (own topics and store), all with the same development keys."""
    keys = tmp_path_factory.mktemp("keys")
    base = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    base.update({"HUB_KAFKA_BOOTSTRAP": broker.bootstrap, "HUB_BATCH_WITHIN_S": "0.05",
                 "HUB_PROJECTOR_INTERVAL_S": "0.2"})
    from hub.settings import from_env

    from_env({**base, "HUB_HOME": str(keys)})  # writes the development keys once

    def new(name: str) -> HubEnv:
        home = tmp_path_factory.mktemp(name)
        (home / "var").mkdir()
        shutil.copy(keys / "var" / "dev-secrets.json", home / "var" / "dev-secrets.json")
        env = {**base, "HUB_HOME": str(home), "HUB_TOPIC_SUFFIX": f".f{uuid.uuid4().hex[:8]}",
               "HUB_DATABASE_URL": f"sqlite:///{home / 'hub.db'}",
               "HUB_WORKER_WEB_PORT": str(free_port())}
        made = HubEnv(home, env)
        asyncio.run(apply_topics(broker.bootstrap, made.suffix))
        return made

    return new


@pytest.fixture(scope="module")
def inputs(env_factory: EnvFactory) -> Inputs:
    env = env_factory("inputs")
    codec = Runtime(env.settings()).codec
    value = topics.by_name(topics.EXAMENRESULTAAT).value_schema
    exams: Pairs = [(codec.encode(topics.KEY_SCHEMA, {"case_ref": r["case_ref"]}),
                     codec.encode(value, r)) for r in exam_results(env.settings(), 1500, 11)]
    export, rows = _isi_export(env.home / "isi.csv", persons=300)
    return Inputs(exams, export, rows)


@pytest.fixture(scope="module")
def reference(inputs: Inputs, env_factory: EnvFactory) -> tuple[str, int, int]:
    """The content of one clean, uninterrupted run."""
    result = clean_run(env_factory("clean"), inputs)
    assert result[1:] == (inputs.facts, len(BROKEN))
    return result


def _isi_export(path: Path, persons: int) -> tuple[Path, int]:
    """An ISI export (connectors/isi/FORMAT.md): a PERSOON and an EXAMEN row per person."""
    rng = random.Random(5)
    lines = ["# generated for the fault tests"]
    for n in range(persons):
        bsn = synthetic_bsn(rng)
        lines.append(f"PERSOON;{bsn};;WI2013;OVERIGE_MIGRANT;2014-09-01")
        lines.append(f"EXAMEN;{bsn};EX-{n:05d};ONA;A2;2015-02-03;GESLAAGD;")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, 2 * persons


async def _send(env: HubEnv, pairs: Pairs) -> None:
    runtime = Runtime(env.settings())
    async with TopicWriter(env.env["HUB_KAFKA_BOOTSTRAP"], runtime.codec,
                           suffix=env.suffix) as writer:
        await writer.send_raw(topics.EXAMENRESULTAAT, pairs)


def _import_isi(env: HubEnv, source: Path, batch_size: int = 500) -> subprocess.Popen[bytes]:
    return env.spawn("import", "isi", str(source), "--batch-size", str(batch_size),
                     log_name="import")


def _isi_produced(env: HubEnv) -> int:
    """Messages the ISI import has put on its topics so far."""
    names = [topics.physical(spec.name, env.suffix) for spec in topics.TOPICS
             if spec.name.startswith("inburgering.isi.") and spec.direction == "inbound"]
    with BrokerOps(env.env["HUB_KAFKA_BOOTSTRAP"]) as broker:
        return sum(o.messages for o in broker.offsets(broker.partitions(names)).values())


def _settled(env: HubEnv, facts: int, dead: int) -> Callable[[], bool]:
    store = Store(env.settings().effective_database_url)

    def check() -> bool:
        return (store.count("fact") >= facts and store.count("dead_letter") >= dead
                and store.pending_projections() == 0)

    return check


def _hash(env: HubEnv) -> tuple[str, int, int]:
    store = Store(env.settings().effective_database_url)
    try:
        return store.content_hash(), store.count("fact"), store.count("dead_letter")
    finally:
        store.close()


def clean_run(env: HubEnv, inputs: Inputs) -> tuple[str, int, int]:
    asyncio.run(_send(env, BROKEN + inputs.exams))
    worker = env.spawn("worker", log_name="worker")
    try:
        wait_until(_settled(env, inputs.facts, dead=len(BROKEN)), timeout=180)
    finally:
        stop_process(worker)
    return _hash(env)


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


@pytest.mark.slow(150)
def test_sigkill_of_the_worker_ten_times_gives_the_clean_store(
    inputs: Inputs, env_factory: EnvFactory, reference: tuple[str, int, int]
) -> None:
    env = env_factory("killed")
    rng = random.Random(1)
    asyncio.run(_send(env, BROKEN + inputs.exams))

    store = Store(env.settings().effective_database_url)
    # Ten kills at random points of progress: each life is killed as soon as the store holds
    # its threshold of facts (mid-batch, mid-projection or mid-publish, wherever that falls).
    # The last kill comes at least two recording batches (500 messages) before the end.
    thresholds = sorted(rng.sample(range(100, inputs.facts - 1000), 10))
    for threshold in thresholds:
        worker = env.spawn("worker", log_name="worker")
        wait_until(lambda t=threshold: store.count("fact") >= t, timeout=90, interval=0.02)
        _kill(worker)
    killed_at = store.count("fact")
    worker = env.spawn("worker", log_name="worker")
    try:
        wait_until(_settled(env, inputs.facts, dead=len(BROKEN)), timeout=180)
    finally:
        stop_process(worker)
        store.close()

    assert killed_at < inputs.facts, "the kills all came after the work was done"
    assert _hash(env) == reference


def _storm(pairs: Pairs, rng: random.Random, window: int = 40) -> Pairs:
    """Every message two or three times, shuffled within windows of ``window`` sends."""
    stormy = [pair for pair in pairs for _ in range(rng.choice((2, 3)))]
    for start in range(0, len(stormy), window):
        part = stormy[start:start + window]
        rng.shuffle(part)
        stormy[start:start + window] = part
    return stormy


@pytest.mark.slow(15)
def test_duplicate_and_reorder_storm_gives_the_clean_store(
    inputs: Inputs, env_factory: EnvFactory, reference: tuple[str, int, int]
) -> None:
    env = env_factory("storm")
    stormy = _storm(inputs.exams, random.Random(2))
    asyncio.run(_send(env, BROKEN + stormy))
    worker = env.spawn("worker", log_name="worker")
    try:
        wait_until(_settled(env, inputs.facts, dead=len(BROKEN)), timeout=180)
    finally:
        stop_process(worker)

    assert len(stormy) >= 2 * len(inputs.exams)
    assert _hash(env) == reference


@pytest.mark.slow(30)
def test_two_workers_one_stopped_mid_run_gives_the_clean_store(
    inputs: Inputs, env_factory: EnvFactory, reference: tuple[str, int, int]
) -> None:
    env = env_factory("scaled")
    asyncio.run(_send(env, BROKEN + inputs.exams))
    # Small fetches, so the run lasts long enough (seconds) to stop a worker in the middle of it.
    slow = {**env.env, "HUB_BATCH_SIZE": "5"}
    workers = [subprocess.Popen([sys.executable, "-m", "hub.cli", "worker"],
                                env={**slow, "HUB_WORKER_WEB_PORT": str(free_port())},
                                stdout=open(env.home / f"worker{n}.log", "ab"),  # noqa: SIM115
                                stderr=subprocess.STDOUT, start_new_session=True)
               for n in range(2)]
    store = Store(env.settings().effective_database_url)
    try:
        wait_until(lambda: store.count("fact") > 0, timeout=60)
        stop_process(workers[0])  # stopped mid-run: the other takes over its partitions
        stopped_at = store.count("fact")
        wait_until(_settled(env, inputs.facts, dead=len(BROKEN)), timeout=180)
    finally:
        for worker in workers:
            stop_process(worker)
        store.close()

    assert stopped_at < inputs.facts
    assert _hash(env) == reference


@pytest.mark.slow(90)
def test_two_workers_one_killed_again_and_again_gives_the_clean_store(
    inputs: Inputs, env_factory: EnvFactory, reference: tuple[str, int, int]
) -> None:
    """Two workers share the partitions and the projection shards; one is SIGKILLed at four
    random points of progress and restarted each time (its projector dies with it)."""
    env = env_factory("scaled-killed")
    rng = random.Random(2)
    asyncio.run(_send(env, BROKEN + inputs.exams))
    small = {**env.env, "HUB_BATCH_SIZE": "50"}  # more, smaller batches: kills land mid-run

    def spawn(n: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "hub.cli", "worker"],
                                env={**small, "HUB_WORKER_WEB_PORT": str(free_port())},
                                stdout=open(env.home / f"worker{n}.log", "ab"),
                                stderr=subprocess.STDOUT, start_new_session=True)

    steady = spawn(0)
    store = Store(env.settings().effective_database_url)
    try:
        for threshold in sorted(rng.sample(range(100, inputs.facts - 1500), 4)):
            victim = spawn(1)
            wait_until(lambda t=threshold: store.count("fact") >= t, timeout=120, interval=0.02)
            _kill(victim)
        killed_at = store.count("fact")
        victim = spawn(1)
        wait_until(_settled(env, inputs.facts, dead=len(BROKEN)), timeout=240)
    finally:
        stop_process(steady)
        stop_process(victim)
        store.close()

    assert killed_at < inputs.facts, "the kills all came after the work was done"
    assert _hash(env) == reference


def _meaning(env: HubEnv) -> list[tuple[str, str, str, str]]:
    """Facts without what a re-run changes: the BSN's ciphertext and nonce, produced_at."""
    store = Store(env.settings().effective_database_url)
    try:
        cipher = Runtime(env.settings()).cipher
        facts = []
        for ref in sorted(_case_refs(env)):
            for fact in store.facts_for(ref):
                record = dict(fact.record)
                record.pop("produced_at", None)
                record["bsn"] = cipher.decrypt(record["bsn"])[-2:]  # compared, never printed
                facts.append((fact.message_id, fact.case_ref, fact.kind, repr(sorted(
                    record.items()))))
        return sorted(facts)
    finally:
        store.close()


def _case_refs(env: HubEnv) -> list[str]:
    engine = make_engine(env.settings().effective_database_url)
    try:
        with engine.connect() as conn:
            return list(conn.scalars(select(m.fact.c.case_ref).distinct()))
    finally:
        engine.dispose()


@pytest.mark.slow(30)
def test_sigkill_of_the_isi_import_then_a_rerun_gives_the_clean_facts(
    inputs: Inputs, env_factory: EnvFactory
) -> None:
    clean, killed = env_factory("isi-clean"), env_factory("isi-killed")
    assert _import_isi(clean, inputs.isi_export).wait(120) == 0
    # One record per batch, so the import produces all along; it is killed once part of the file is
    # on the topics (checked: still running, not everything sent). The re-import is idempotent.
    importer = _import_isi(killed, inputs.isi_export, batch_size=1)
    wait_until(lambda: _isi_produced(killed) >= 30 or importer.poll() is not None,
               timeout=120, interval=0.05)
    assert importer.poll() is None, "the import ended before it could be killed"
    _kill(importer)
    produced = _isi_produced(killed)
    assert 0 < produced < inputs.isi_facts, f"killed after {produced} of {inputs.isi_facts}"
    assert _import_isi(killed, inputs.isi_export).wait(120) == 0
    for env in (clean, killed):
        worker = env.spawn("worker", log_name="worker")
        try:
            wait_until(_settled(env, inputs.isi_facts, dead=0), timeout=180)
        finally:
            stop_process(worker)

    assert len(_meaning(clean)) == inputs.isi_facts
    assert _meaning(killed) == _meaning(clean)

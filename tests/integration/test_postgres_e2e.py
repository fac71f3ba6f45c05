"""Issue 24, acceptance 4 and 5: PostgreSQL end to end. A generated scenario goes through the
real broker, worker, connectors and simulated partners into SQLite; the very messages its
connectors and partners put on the inbound topics are then replayed, partition by partition in
order, onto fresh topics and through two real workers sharing the partitions into PostgreSQL.
Both stores must hold the same content (``Store.content_hash``: facts, views, dead letters)."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
from kafka import KafkaProducer

import topics
from hub.broker import free_port
from hub.broker_ops import BrokerOps, create_missing_topics
from hub.scenario import Params, generate, run_scenario, scenario_env, scenario_settings
from hub.store import Store
from tests.integration.conftest import HubEnv, stop_process, wait_until
from tests.pg import PgCluster

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
INBOUND = [spec.name for spec in topics.TOPICS if spec.direction == "inbound"]
# the connectors' edge letters reach the store through these (issue 18: the worker records them)
DEAD_LETTER_TOPICS = sorted({spec.dead_letter for spec in topics.TOPICS if spec.dead_letter})
BROKEN = [(b"broken-1", b"\x00\x00\x00\xff\xffnot avro"), (b"broken-2", b"\x01\x02")]


def _send_broken(bootstrap: str, suffix: str) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        for key, value in BROKEN:
            producer.send(topics.physical(topics.EXAMENRESULTAAT, suffix), key=key, value=value)
        producer.flush()
    finally:
        producer.close()


def _copy_inbound(bootstrap: str, source: str, target: str,
                  names: list[str] = INBOUND) -> int:
    """Copy every record of ``names`` (key, value, headers) to the ``target`` suffix, each
    partition in offset order into the same partition: the same offsets. Returns how many."""
    create_missing_topics(bootstrap, target)
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    copied = 0
    try:
        with BrokerOps(bootstrap) as broker:
            tps = broker.partitions(topics.physical(name, source) for name in names)
            by_partition = defaultdict(list)
            for record in broker.read({tp: 0 for tp in tps}):
                by_partition[(record.topic, record.partition)].append(record)
        for (topic, partition), records in sorted(by_partition.items()):
            records.sort(key=lambda r: r.offset)
            assert [r.offset for r in records] == list(range(len(records)))
            name = topics.physical(topics.logical(topic, source), target)
            for r in records:
                producer.send(name, key=r.key, value=r.value, partition=partition,
                              headers=list(r.headers or ()) or None)
            producer.flush()
            copied += len(records)
    finally:
        producer.close()
    return copied


def _settled(url: str, facts: int, dead: int) -> bool:
    store = Store(url)
    try:
        return (store.count("fact") == facts and store.count("dead_letter") == dead
                and store.pending_projections() == 0)
    finally:
        store.close()


def _count(url: str, table: str) -> int:
    store = Store(url)
    try:
        return store.count(table)
    finally:
        store.close()


def _quiet(url: str, seconds: float = 3.0) -> tuple[str, int, int]:
    """Wait until the store stops changing and has nothing to project; its hash and counts."""
    store = Store(url)
    try:
        last = None
        while True:
            now = (store.count("fact"), store.count("dead_letter"), store.pending_projections())
            if now == last and now[2] == 0:
                return store.content_hash(), now[0], now[1]
            last = now
            time.sleep(seconds)
    finally:
        store.close()


@pytest.mark.slow(90)
def test_a_scenario_replayed_onto_postgresql_by_two_workers_matches_sqlite(
        hub_env: HubEnv, worker: subprocess.Popen[bytes], tmp_path: Path,
        postgres_cluster: PgCluster | None) -> None:
    if postgres_cluster is None:
        pytest.skip("PostgreSQL unavailable")
    folder = tmp_path / "scenario"
    generate(Params(seed=7, gemeenten=2, cases=50, years=1), folder)
    settings = hub_env.settings()
    bootstrap = hub_env.env["HUB_KAFKA_BOOTSTRAP"]
    _send_broken(bootstrap, hub_env.suffix)  # dead letters belong to the content too
    said: list[str] = []
    result = run_scenario(settings, folder, said.append, own_stack=False,
                          workspace=tmp_path / "replay", timeout_s=200)
    assert result.problem is None, "\n".join(said)
    sqlite_url = scenario_settings(settings, folder).effective_database_url
    expected, facts, dead = _quiet(sqlite_url)
    stop_process(worker)
    # the two broken messages plus the scenario's edge letters (its anomalies; issue 18)
    assert facts > 500 and dead > len(BROKEN)


    suffix = f".pg{uuid.uuid4().hex[:8]}"
    assert _copy_inbound(bootstrap, hub_env.suffix, suffix) == _count(sqlite_url, "inbox")
    _copy_inbound(bootstrap, hub_env.suffix, suffix, DEAD_LETTER_TOPICS)
    pg_url = postgres_cluster.create_database(f"e2e_{uuid.uuid4().hex[:8]}")
    env = {**hub_env.env, **scenario_env(folder), "HUB_TOPIC_SUFFIX": suffix,
           "HUB_DATABASE_URL": pg_url}
    workers = [subprocess.Popen([sys.executable, "-m", "hub.cli", "worker"],
                                env={**env, "HUB_WORKER_WEB_PORT": str(free_port())},
                                stdout=open(tmp_path / f"pg-worker{n}.log", "ab"),  # noqa: SIM115
                                stderr=subprocess.STDOUT, start_new_session=True)
               for n in range(2)]
    try:
        wait_until(lambda: _settled(pg_url, facts, dead), timeout=240, interval=1.0)
        actual, _, _ = _quiet(pg_url)
    finally:
        for process in workers:
            stop_process(process)
    assert actual == expected

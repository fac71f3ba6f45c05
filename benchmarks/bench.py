"""``hub bench``: the hub's path into the store against a raw aiokafka loop, same broker, same run.

Baseline: consume Avro records, decode, re-encode and produce them (no store). Hub: the same
records through a real ``hub worker`` into the SQLite case store, measured from the first
committed fact to the last; then how long the projector needs until every case view reflects
every fact ("views current"). Both rates, their ratio and the worker's peak memory are printed.

The workload keeps a realistic history per case (DOMAIN §5: ~100 messages per case per year):
``--facts-per-case`` (default 20) sets how many cases the messages are spread over.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

import topics
from hub.broker import EmbeddedBroker, free_port
from hub.demo import exam_results
from hub.kafka_admin import apply_topics
from hub.publish import TopicWriter
from hub.runtime import Runtime
from hub.settings import Settings, from_env
from hub.store import Store

Say = Callable[[str], None]
VALUE = "nl.inburgering.hub.Examenresultaat"


@dataclass(frozen=True)
class Result:
    """One size's figures."""

    messages: int
    raw_rate: float
    hub_rate: float
    views_lag_s: float
    worker_peak_mib: float

    @property
    def ratio(self) -> float:
        """Hub rate as a share of the raw loop's rate."""
        return self.hub_rate / self.raw_rate if self.raw_rate else 0.0


def records(settings: Settings, n: int, facts_per_case: int) -> list[dict[str, Any]]:
    """``n`` examenresultaten, ``facts_per_case`` per case, each with its own message id."""
    base = exam_results(settings, cases=max(1, n // facts_per_case), seed=1)
    return [{**base[i % len(base)], "message_id": str(uuid.UUID(int=i + 1))} for i in range(n)]


async def _produce(runtime: Runtime, topic: str, suffix: str, items: list[dict[str, Any]]) -> None:
    async with TopicWriter(runtime.settings.kafka_bootstrap, runtime.codec,
                           suffix=suffix) as writer:
        for start in range(0, len(items), 5000):
            await writer.send_many(topic, items[start:start + 5000])


async def raw_loop(runtime: Runtime, suffix: str, n: int) -> float:
    """Consume-decode-encode-produce with aiokafka and fastavro; returns messages per second."""
    bootstrap = runtime.settings.kafka_bootstrap
    source = topics.physical(topics.EXAMENRESULTAAT, suffix + ".raw")
    target = topics.physical(topics.EXAMENRESULTAAT, suffix + ".raw-out")
    consumer = AIOKafkaConsumer(source, bootstrap_servers=bootstrap, group_id="bench-raw" + suffix,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                session_timeout_ms=10_000, max_poll_records=2000)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5,
                                enable_idempotence=False)
    await consumer.start()
    await producer.start()
    done, started = 0, 0.0
    try:
        while done < n:
            fetched = await consumer.getmany(timeout_ms=500, max_records=2000)
            if fetched and not started:
                started = time.perf_counter()
            futures = []
            for batch in fetched.values():
                for message in batch:
                    _, record = runtime.codec.decode(message.value)
                    futures.append(await producer.send(target, runtime.codec.encode(VALUE, record),
                                                       key=message.key))
            await asyncio.gather(*futures)
            await consumer.commit()
            done += len(futures)
        return n / (time.perf_counter() - started)
    finally:
        await consumer.stop()
        await producer.stop()


def hub_path(env: dict[str, str], n: int, db: str,
             say: Say = lambda _: None) -> tuple[float, float, float]:
    """Run a real worker until ``n`` facts are committed and every view is current.

    Says the rate of each tenth on the way (how it holds as the store grows). Returns (facts
    committed per second, seconds from the last fact to current views, peak MiB).
    """
    store = Store(db)
    log = open(Path(env["HUB_HOME"]) / "worker.log", "ab")  # noqa: SIM115
    worker = subprocess.Popen([sys.executable, "-m", "hub.cli", "worker"], env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    first_at, first_count, peak = 0.0, 0, 0.0
    step = max(n // 10, 1)
    mark_at, mark_count, mark = 0.0, 0, step
    try:
        while (count := store.fact_high_water()) < n:
            if count and not first_at:
                first_at, first_count = time.perf_counter(), count
                mark_at, mark_count = first_at, count
            if count >= mark and n >= 100_000:
                now = time.perf_counter()
                say(f"{count:>17,} facts: {(count - mark_count) / (now - mark_at):8,.0f}/s "
                    "since the last line")
                mark_at, mark_count, mark = now, count, (count // step + 1) * step
            peak = max(peak, _peak_mib(worker.pid))
            if worker.poll() is not None:
                raise RuntimeError(f"worker exited; see {log.name}")
            time.sleep(0.05)
        last_at = time.perf_counter()
        if (total := store.count("fact")) != n:
            raise RuntimeError(f"{total} facts stored for {n} messages; see {log.name}")
        while store.pending_projections():
            peak = max(peak, _peak_mib(worker.pid))
            time.sleep(0.05)
        views_lag = time.perf_counter() - last_at
        rate = (n - first_count) / (last_at - first_at)
        return rate, views_lag, max(peak, _peak_mib(worker.pid))
    finally:
        worker.terminate()
        worker.wait(30)
        store.close()


def _peak_mib(pid: int) -> float:
    """Peak resident memory of ``pid`` plus its children (the projector): MiB."""
    total = 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) / 1024
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total
    return total + sum(_peak_mib(int(child)) for child in children)


def run(sizes: list[int], driver: str, say: Say, facts_per_case: int = 20) -> list[Result]:
    """Measure every size on one embedded broker; prints a line per size."""
    results = []
    with EmbeddedBroker(free_port()) as broker, tempfile.TemporaryDirectory() as home:
        for n in sizes:
            suffix = f".b{uuid.uuid4().hex[:6]}"
            env = {**os.environ, "HUB_HOME": home, "HUB_KAFKA_BOOTSTRAP": broker.bootstrap,
                   "HUB_TOPIC_SUFFIX": suffix, "HUB_AGENT_DRIVER": driver,
                   "HUB_DATABASE_URL": f"sqlite:///{home}/bench{suffix}.db",
                   "HUB_WORKER_WEB_PORT": str(free_port()), "HUB_LOG_LEVEL": "WARNING"}
            runtime = Runtime(from_env(env))
            items = records(runtime.settings, n, facts_per_case)
            asyncio.run(apply_topics(broker.bootstrap, suffix))
            asyncio.run(apply_topics(broker.bootstrap, suffix + ".raw", [
                topics.by_name(topics.EXAMENRESULTAAT)]))
            asyncio.run(apply_topics(broker.bootstrap, suffix + ".raw-out", [
                topics.by_name(topics.EXAMENRESULTAAT)]))
            say(f"{n:>9,} messages: producing ...")
            asyncio.run(_produce(runtime, topics.EXAMENRESULTAAT, suffix + ".raw", items))
            raw = asyncio.run(raw_loop(runtime, suffix, n))
            asyncio.run(_produce(runtime, topics.EXAMENRESULTAAT, suffix, items))
            rate, views_lag, peak = hub_path(env, n, env["HUB_DATABASE_URL"], say)
            result = Result(n, raw, rate, views_lag, peak)
            results.append(result)
            say(f"{n:>9,} messages: raw loop {raw:>8,.0f}/s | hub into store {rate:>8,.0f}/s | "
                f"ratio {result.ratio:5.1%} | views current {views_lag:4.1f}s later | "
                f"worker+projector peak {peak:,.0f} MiB")
    return results

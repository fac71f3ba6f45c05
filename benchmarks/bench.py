"""``hub bench``: the hub's path into the store against a raw aiokafka loop and against the
store's own ceiling, same broker, same run.

Baseline: consume Avro records, decode, re-encode and produce them (no store). Ceiling: the same
inbox/fact/mark rows written straight into a fresh store in the hub's batch size, without Kafka
(``bench_store.ceiling``). Hub: the same records through real ``hub worker`` processes into the
store, measured from the first committed fact to the last; then how long the projectors need
until every case view reflects every fact ("views current"). Printed per size: the three rates,
the hub's ratio to both, the rate of each tenth of the run (does it sink as the store grows?),
views current, and the peak RSS of the worker and of its projector process. With several
workers, each projector's share of the projections and the projections done twice for the same
facts (``HUB_PROJECTOR_TRACE``).

The workload keeps a realistic history per case (DOMAIN §5: ~100 messages per case per year):
``--facts-per-case`` (default 20) sets how many cases the messages are spread over; messages
come round-robin over the cases, so every case keeps getting facts to the end (the hardest
order for the projector). Records are generated and produced in chunks (10M fit in memory).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

import topics
from benchmarks.bench_store import VALUE, Databases, ceiling
from hub.broker import EmbeddedBroker, free_port
from hub.demo import exam_results
from hub.kafka_admin import apply_topics
from hub.publish import TopicWriter
from hub.runtime import Runtime
from hub.settings import Settings, from_env
from hub.store import Store

Say = Callable[[str], None]
CHUNK = 5000


@dataclass(frozen=True)
class Result:
    """One size's figures (a rate of 0: that path was skipped)."""

    messages: int
    raw_rate: float
    hub_rate: float
    ceiling_rate: float
    views_lag_s: float
    worker_peak_mib: float
    projector_peak_mib: float
    hub_seconds: float
    tenths: tuple[float, ...] = ()
    shares: tuple[int, ...] = ()  # projections per worker
    duplicates: int = 0  # (case, facts) projected by more than one projector

    @property
    def ratio(self) -> float:
        """Hub rate as a share of the raw loop's rate."""
        return self.hub_rate / self.raw_rate if self.raw_rate else 0.0

    @property
    def ceiling_ratio(self) -> float:
        """Hub rate as a share of the store's own ceiling."""
        return self.hub_rate / self.ceiling_rate if self.ceiling_rate else 0.0


@dataclass
class _Run:
    """What the hub path measured."""

    rate: float = 0.0
    lag: float = 0.0
    seconds: float = 0.0
    worker_peak: float = 0.0
    projector_peak: float = 0.0
    tenths: list[float] = field(default_factory=list)


def record_chunks(settings: Settings, n: int,
                  facts_per_case: int) -> Iterator[list[dict[str, Any]]]:
    """``n`` examenresultaten over ``n // facts_per_case`` cases, round-robin, each with its own
    message id, ``CHUNK`` at a time."""
    base = exam_results(settings, cases=max(1, n // facts_per_case), seed=1)
    for start in range(0, n, CHUNK):
        yield [{**base[i % len(base)], "message_id": str(uuid.UUID(int=i + 1))}
               for i in range(start, min(n, start + CHUNK))]


def records(settings: Settings, n: int, facts_per_case: int) -> list[dict[str, Any]]:
    """All of ``record_chunks`` as one list (small sizes, tools)."""
    return [r for chunk in record_chunks(settings, n, facts_per_case) for r in chunk]


async def _produce(runtime: Runtime, suffixes: list[str], chunks: Iterator[list[dict[str, Any]]]
                   ) -> None:
    """Encode each chunk once and produce it to the examenresultaat topic of every suffix."""
    bootstrap = runtime.settings.kafka_bootstrap
    writers = [TopicWriter(bootstrap, runtime.codec, suffix=s) for s in suffixes]
    for writer in writers:
        await writer.start()
    try:
        for chunk in chunks:
            pairs = [writers[0].encode(topics.EXAMENRESULTAAT, r) for r in chunk]
            for writer in writers:
                await writer.send_raw(topics.EXAMENRESULTAAT, pairs)
    finally:
        for writer in writers:
            await writer.stop()


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


def hub_path(envs: list[dict[str, str]], n: int, db: str, say: Say = lambda _: None) -> _Run:
    """Run real workers until ``n`` facts are committed and every view is current.

    Says the rate of each tenth on the way (how it holds as the store grows).
    """
    store = Store(db)
    log = open(Path(envs[0]["HUB_HOME"]) / "worker.log", "ab")  # noqa: SIM115
    workers = [subprocess.Popen([sys.executable, "-m", "hub.cli", "worker"], env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
               for env in envs]
    run = _Run()
    first_at, first_count = 0.0, 0
    step = max(n // 10, 1)
    mark_at, mark_count, mark = 0.0, 0, step

    def sample() -> None:
        for worker in workers:
            own, children = _peaks(worker.pid)
            run.worker_peak, run.projector_peak = (max(run.worker_peak, own),
                                                   max(run.projector_peak, children))
            if worker.poll() is not None:
                raise RuntimeError(f"worker exited; see {log.name}")

    try:
        while (count := store.fact_high_water()) < n:
            if count and not first_at:
                first_at, first_count = time.perf_counter(), count
                mark_at, mark_count = first_at, count
            if count >= mark and first_at:
                now = time.perf_counter()
                run.tenths.append((count - mark_count) / (now - mark_at))
                if n >= 100_000:
                    say(f"{count:>17,} facts: {run.tenths[-1]:8,.0f}/s since the last line")
                mark_at, mark_count, mark = now, count, (count // step + 1) * step
            sample()
            time.sleep(0.05)
        last_at = time.perf_counter()
        if (total := store.count("fact")) != n:
            raise RuntimeError(f"{total} facts stored for {n} messages; see {log.name}")
        while store.pending_projections():
            sample()
            time.sleep(0.05)
        run.lag = time.perf_counter() - last_at
        run.rate = (n - first_count) / (last_at - first_at)
        run.seconds = last_at - first_at
        sample()
        return run
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
        store.close()


def _peaks(pid: int) -> tuple[float, float]:
    """Peak resident memory (MiB) of ``pid`` and of its heaviest child (the projector)."""
    own = _vm_hwm(pid)
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return own, 0.0
    return own, max((_vm_hwm(int(child)) for child in children), default=0.0)


def _vm_hwm(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _shares(folder: Path) -> tuple[tuple[int, ...], int]:
    """Projections per worker (its projectors' traces, ``projector-<worker>-<part>.trace``),
    and (key, facts) pairs projected by more than one projector."""
    per_file: list[set[str]] = []
    counts: Counter[str] = Counter()
    for path in sorted(folder.glob("*.trace")):
        lines = path.read_text(encoding="utf-8").splitlines()
        counts[path.stem.split("-")[1]] += len(lines)
        per_file.append(set(lines))
    seen = Counter(line for lines in per_file for line in lines)
    return tuple(counts.values()), sum(1 for times in seen.values() if times > 1)


def _drop_topics(bootstrap: str, names: list[str]) -> None:
    """Free the broker's memory of topics no longer needed (best effort)."""
    from kafka.admin import KafkaAdminClient

    with contextlib.suppress(Exception):
        admin = KafkaAdminClient(bootstrap_servers=bootstrap)
        try:
            admin.delete_topics(names)
        finally:
            admin.close()


@dataclass(frozen=True)
class Options:
    """How to run: driver, history depth, database, workers, paths to skip."""

    driver: str = "batch"
    facts_per_case: int = 20
    database: str = "sqlite"
    workers: int = 1
    skip: frozenset[str] = frozenset()


def run(sizes: list[int], driver: str, say: Say, facts_per_case: int = 20,
        options: Options | None = None) -> list[Result]:
    """Measure every size on one embedded broker; prints a line per size."""
    opts = options or Options(driver, facts_per_case)
    results = []
    with EmbeddedBroker(free_port()) as broker, tempfile.TemporaryDirectory() as home:
        databases = Databases(opts.database, home)
        say(f"store: {databases.describe()}; workers: {opts.workers}; load: "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        try:
            for n in sizes:
                results.append(_one(broker, home, databases, n, opts, say))
        finally:
            databases.close()
    return results


def _one(broker: EmbeddedBroker, home: str, databases: Databases, n: int, opts: Options,
         say: Say) -> Result:
    suffix = f".b{uuid.uuid4().hex[:6]}"
    db = databases.fresh(f"bench{suffix[2:]}")
    trace = Path(home) / f"trace{suffix}"
    base = {**os.environ, "HUB_HOME": home, "HUB_KAFKA_BOOTSTRAP": broker.bootstrap,
            "HUB_TOPIC_SUFFIX": suffix, "HUB_AGENT_DRIVER": opts.driver,
            "HUB_DATABASE_URL": db, "HUB_LOG_LEVEL": "WARNING",
            "HUB_PROJECTOR_TRACE": str(trace) if opts.workers > 1 else ""}
    envs = [{**base, "HUB_WORKER_WEB_PORT": str(free_port())} for _ in range(opts.workers)]
    runtime = Runtime(from_env(base))
    settings = runtime.settings
    spec = [topics.by_name(topics.EXAMENRESULTAAT)]
    asyncio.run(apply_topics(broker.bootstrap, suffix))
    for extra in (".raw", ".raw-out"):
        asyncio.run(apply_topics(broker.bootstrap, suffix + extra, spec))
    say(f"{n:>9,} messages: producing ...")
    raw_too = "raw" not in opts.skip
    asyncio.run(_produce(runtime, [suffix + ".raw", suffix] if raw_too else [suffix],
                         record_chunks(settings, n, opts.facts_per_case)))
    raw = asyncio.run(raw_loop(runtime, suffix, n)) if raw_too else 0.0
    _drop_topics(broker.bootstrap, [topics.physical(topics.EXAMENRESULTAAT, suffix + x)
                                    for x in (".raw", ".raw-out")])
    hub = hub_path(envs, n, db, say)
    _drop_topics(broker.bootstrap, [topics.physical(topics.EXAMENRESULTAAT, suffix)])
    if db.startswith("sqlite:///"):
        for path in Path(home).glob(f"bench{suffix[2:]}.db*"):
            path.unlink()  # disk: the ceiling writes another store as large
    roof = 0.0
    if "ceiling" not in opts.skip:
        roof_settings = from_env({**base, "HUB_DATABASE_URL": databases.fresh(f"roof{suffix[2:]}")})
        roof = ceiling(roof_settings, record_chunks(settings, n, opts.facts_per_case),
                       topics.physical(topics.EXAMENRESULTAAT, suffix))
    shares, duplicates = _shares(trace) if opts.workers > 1 else ((), 0)
    result = Result(n, raw, hub.rate, roof, hub.lag, hub.worker_peak, hub.projector_peak,
                    hub.seconds, tuple(hub.tenths), shares, duplicates)
    for line in describe(result):
        say(line)
    return result


def _against(rate: float, ratio: float) -> str:
    """A baseline's rate and the hub's ratio to it; "skipped" where it was not run."""
    return f"{rate:>8,.0f}/s, ratio {ratio:5.1%}" if rate else "skipped (--skip)"


def describe(r: Result) -> list[str]:
    """The lines ``hub bench`` prints for one size."""
    lines = [f"{r.messages:>9,} messages: hub into store {r.hub_rate:>8,.0f}/s "
             f"({r.hub_seconds:,.1f} s) | raw loop {_against(r.raw_rate, r.ratio)} | "
             f"store ceiling {_against(r.ceiling_rate, r.ceiling_ratio)}",
             f"{'':>19}views current {r.views_lag_s:4.1f}s after the last fact | peak RSS "
             f"worker {r.worker_peak_mib:,.0f} MiB, projector {r.projector_peak_mib:,.0f} MiB"]
    if len(r.tenths) >= 5:
        inner = r.tenths[1:]  # the first tenth holds the start-up
        lines.append(f"{'':>19}tenths: {', '.join(f'{t:,.0f}' for t in r.tenths)}/s; "
                     f"slowest/fastest after the first {min(inner) / max(inner):5.1%}, "
                     f"last/second {r.tenths[-1] / r.tenths[1]:5.1%}")
    if r.shares:
        total = sum(r.shares) or 1
        lines.append(f"{'':>19}projections per worker: "
                     f"{', '.join(f'{s:,} ({s / total:.0%})' for s in r.shares)}; "
                     f"projected twice for the same facts: {r.duplicates}")
    lines.append(f"{'':>19}load: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return lines

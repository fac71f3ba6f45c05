"""The projector alone: how fast it brings every view up to date after a burst of facts.

``hub bench`` shows that after the last fact nearly every case is dirty with most of its facts
unprojected (while the worker records, it holds the store's write lock almost always), so "views
current" is the time the projectors need to project every case from its facts. This measures
that step on its own, in one process and without Kafka, in a few seconds per run (the hub bench
takes minutes and moves ±15% between runs):

1. ``--messages`` examenresultaten over ``--messages / --facts-per-case`` cases, round-robin (the
   records of ``hub bench``), are written into a fresh SQLite store with ``Store.record_batch`` in
   the hub's batch size, each case marked dirty: the store the projectors find at the last fact.
2. **Floor**: every fact row read back with its payload decoded (``jsonsafe.loads``) in chunks
   of the projector's size: what any projection must at least do.
3. **Projector**: a copy of that store projected until no case is dirty, with the projector's
   own loop (``Store.project_pending`` of ``HUB_PROJECTOR_CASES``, a passive checkpoint between
   chunks), the incremental rules and no state held (every case folded from all its facts).
4. **Prefolded**: a fresh copy whose facts are first all folded ahead (``Store.prefold`` in the
   projector's passes, what it does while the worker records), then projected as in 3: the
   least the projectors have left when the last fact is in.

Printed per run: cases and facts per second, CPU seconds, and the projector's rate as a share
of the floor's. ``--runs`` repeats steps 2-3 on copies of the same store.

    .venv/bin/python -m benchmarks.projector_bench --messages 200000 --facts-per-case 20
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from sqlalchemy import Text, cast, select

from benchmarks.bench import record_chunks
from benchmarks.bench_store import _messages
from hub.agents.projector_process import PREFOLD_FACTS
from hub.runtime import Runtime
from hub.settings import Settings, from_env
from hub.store import Store
from hub.store import models as m
from hub.store.engine import transaction
from hub.store.jsonsafe import loads


def main() -> None:
    """Build the store once, then measure the floor and the projector ``--runs`` times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--facts-per-case", type=int, default=20)
    parser.add_argument("--runs", type=int, default=2)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        source = Path(home) / "source.db"
        started = time.perf_counter()
        build(_settings(home, source), opts.messages, opts.facts_per_case)
        print(f"store of {opts.messages:,} facts over {opts.messages // opts.facts_per_case:,} "
              f"cases built in {time.perf_counter() - started:.1f} s")
        for run in range(1, opts.runs + 1):
            copy = Path(home) / f"run{run}.db"
            shutil.copyfile(source, copy)
            floor = read_floor(_settings(home, copy))
            cases, facts, wall, cpu = drain(_settings(home, copy))
            print(f"run {run}: floor {facts / floor[0]:,.0f} facts/s ({floor[1]:.2f} s CPU) | "
                  f"projector {cases / wall:,.0f} cases/s, {facts / wall:,.0f} facts/s "
                  f"({cpu:.2f} s CPU) = {floor[0] / wall:.1%} of the floor")
            shutil.copyfile(source, copy)
            ahead, (cases, _, wall, cpu) = drain_prefolded(_settings(home, copy))
            print(f"       prefolded: every fact folded ahead in {ahead:.2f} s "
                  f"({facts / ahead:,.0f} facts/s), then the projection {cases / wall:,.0f} "
                  f"cases/s ({wall:.2f} s, {cpu:.2f} s CPU)")
            copy.unlink()


def _settings(home: str, path: Path) -> Settings:
    return from_env({"HUB_HOME": home, "HUB_DATABASE_URL": f"sqlite:///{path}",
                     "HUB_LOG_LEVEL": "WARNING"})


def build(settings: Settings, n: int, facts_per_case: int) -> None:
    """The store as the worker leaves it: ``n`` facts recorded, every case marked dirty."""
    store = Runtime(settings).store
    done = 0
    try:
        for chunk in record_chunks(settings, n, facts_per_case):
            for start in range(0, len(chunk), settings.batch_size):
                part = chunk[start:start + settings.batch_size]
                store.record_batch("bench", list(_messages(part, "bench", done)))
                done += len(part)
        store.checkpoint(0)  # everything into the database file: the copies are whole
    finally:
        store.close()


def read_floor(settings: Settings) -> tuple[float, float]:
    """Wall and CPU seconds to read every fact row and decode its payload."""
    store = Runtime(settings).store
    f = m.fact.c
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        with transaction(store.engine, write=False) as conn:
            result = conn.exec_driver_sql("SELECT id FROM fact ORDER BY id")
            ids = [row[0] for row in result]
            step = settings.projector_cases * 20
            for start in range(0, len(ids), step):
                chunk = ids[start:start + step]
                rows = conn.execute(select(f.id, f.message_id, f.case_ref, f.kind,
                                           cast(f.payload, Text), f.source_topic,
                                           f.source_partition, f.source_offset)
                                    .where(f.id.between(chunk[0], chunk[-1]))).all()
                for row in rows:
                    loads(row[4])
    finally:
        store.close()
    return time.perf_counter() - wall, time.process_time() - cpu


def drain_prefolded(settings: Settings) -> tuple[float, tuple[int, int, float, float]]:
    """Every fact prefolded (``Store.prefold``, what the projector does while the worker
    records), then projected until nothing is dirty: (prefold seconds, ``drain``)."""
    store = Runtime(settings).store
    try:
        started, cursor = time.perf_counter(), 0
        while (last := store.prefold(cursor, PREFOLD_FACTS)[0]) != cursor:
            cursor = last
        return time.perf_counter() - started, drain(settings, store)
    finally:
        store.close()


def drain(settings: Settings, store: Store | None = None) -> tuple[int, int, float, float]:
    """Project until nothing is dirty: (cases, facts, wall seconds, CPU seconds)."""
    own = store is None
    store = Runtime(settings).store if store is None else store
    try:
        facts = store.count("fact")
        cases = 0
        wall, cpu = time.perf_counter(), time.process_time()
        while done := store.project_pending(settings.projector_cases, None):
            cases += done
            store.checkpoint()
        return cases, facts, time.perf_counter() - wall, time.process_time() - cpu
    finally:
        if own:
            store.close()


if __name__ == "__main__":
    main()

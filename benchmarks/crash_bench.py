"""Crash-equivalence at scale (issue 10.1): the same input through a clean worker and through a
worker killed with SIGKILL at random moments, compared by the store's content hash.

    .venv/bin/python -m benchmarks.crash_bench --messages 100000 --kills 10

Starts its own embedded broker on a free port; each run gets its own topics and SQLite store
under a temporary folder (kept with ``--keep``). Exit status 1 when the hashes differ.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import topics
from hub.broker import EmbeddedBroker, free_port
from hub.demo import exam_results
from hub.kafka_admin import apply_topics
from hub.publish import TopicWriter
from hub.runtime import Runtime
from hub.settings import from_env
from hub.store import Store

Pairs = list[tuple[bytes | None, bytes | None]]


class Run:
    """One hub environment: its own home, topic suffix and store, on the shared broker."""

    def __init__(self, root: Path, name: str, base: dict[str, str]) -> None:
        self.home = root / name
        (self.home / "var").mkdir(parents=True)
        shutil.copy(root / "keys" / "var" / "dev-secrets.json", self.home / "var")
        self.env = {**base, "HUB_HOME": str(self.home),
                    "HUB_TOPIC_SUFFIX": f".c{uuid.uuid4().hex[:8]}",
                    "HUB_DATABASE_URL": f"sqlite:///{self.home / 'hub.db'}",
                    "HUB_WORKER_WEB_PORT": str(free_port())}
        self.settings = from_env(self.env)

    def worker(self) -> subprocess.Popen[bytes]:
        """Start `hub worker` in its own process group."""
        log = open(self.home / "worker.log", "ab")  # noqa: SIM115 - the child owns it
        return subprocess.Popen([sys.executable, "-m", "hub.cli", "worker"], env=self.env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def store(self) -> Store:
        """The run's case store."""
        return Store(self.settings.effective_database_url)


def main(argv: list[str] | None = None) -> int:
    """Run both and print the comparison; 0 when the stores are identical."""
    args = _parser().parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="crash-bench-"))
    with EmbeddedBroker(free_port(), log_path=root / "broker.log") as broker:
        base = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        base.update({"HUB_KAFKA_BOOTSTRAP": broker.bootstrap, "HUB_BATCH_WITHIN_S": "0.05",
                     "HUB_PROJECTOR_INTERVAL_S": "0.2"})
        from_env({**base, "HUB_HOME": str(root / "keys")})  # one set of development keys
        clean, killed = Run(root, "clean", base), Run(root, "killed", base)
        pairs = _inputs(clean, args.messages, args.seed)
        print(f"crash-bench: {len(pairs):,} messages, {args.kills} kills, store under {root}")
        started = time.monotonic()
        reference = _clean(clean, pairs)
        clean_s = time.monotonic() - started
        print(f"  clean run      {clean_s:7.1f} s  {reference[0][:16]}  facts {reference[1]:,}")
        started = time.monotonic()
        result, at = _killed(killed, pairs, args.kills, random.Random(args.seed))
        killed_s = time.monotonic() - started
        print(f"  killed run     {killed_s:7.1f} s  {result[0][:16]}  facts {result[1]:,}")
        print(f"  kills at facts {', '.join(f'{n:,}' for n in at)}")
    same = result == reference
    print(f"  identical: {'yes' if same else 'NO'} (time ratio killed/clean "
          f"{killed_s / clean_s:.2f})")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0 if same else 1


def _inputs(run: Run, messages: int, seed: int) -> Pairs:
    codec = Runtime(run.settings).codec
    value = topics.by_name(topics.EXAMENRESULTAAT).value_schema
    return [(codec.encode(topics.KEY_SCHEMA, {"case_ref": r["case_ref"]}), codec.encode(value, r))
            for r in exam_results(run.settings, max(messages // 3, 1), seed)]  # ~3 per case


def _send(run: Run, pairs: Pairs) -> None:
    async def send() -> None:
        await apply_topics(run.settings.kafka_bootstrap, run.settings.topic_suffix)
        async with TopicWriter(run.settings.kafka_bootstrap, Runtime(run.settings).codec,
                               suffix=run.settings.topic_suffix) as writer:
            for start in range(0, len(pairs), 5000):
                await writer.send_raw(topics.EXAMENRESULTAAT, pairs[start:start + 5000])

    asyncio.run(send())


def _clean(run: Run, pairs: Pairs) -> tuple[str, int]:
    _send(run, pairs)
    worker = run.worker()
    try:
        _wait(_settled(run, len(pairs)))
    finally:
        _stop(worker, signal.SIGTERM)
    return _digest(run)


def _killed(run: Run, pairs: Pairs, kills: int, rng: random.Random
            ) -> tuple[tuple[str, int], list[int]]:
    _send(run, pairs)
    store = run.store()
    thresholds = sorted(rng.sample(range(100, max(len(pairs) - 1000, 200)), kills))
    killed_at = []
    try:
        for threshold in thresholds:
            worker = run.worker()
            _wait(lambda t=threshold: store.count("fact") >= t, interval=0.02)  # type: ignore[misc]
            _stop(worker, signal.SIGKILL)
            killed_at.append(store.count("fact"))
    finally:
        store.close()
    worker = run.worker()
    try:
        _wait(_settled(run, len(pairs)))
    finally:
        _stop(worker, signal.SIGTERM)
    return _digest(run), killed_at


def _settled(run: Run, facts: int) -> Callable[[], bool]:
    store = run.store()

    def check() -> bool:
        return store.count("fact") >= facts and store.pending_projections() == 0

    return check


def _digest(run: Run) -> tuple[str, int]:
    store = run.store()
    try:
        return store.content_hash(), store.count("fact")
    finally:
        store.close()


def _wait(predicate: Callable[[], bool], timeout: float = 3600.0, interval: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the worker did not settle in time")
        time.sleep(interval)


def _stop(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crash_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the stores and logs")
    return parser


if __name__ == "__main__":
    sys.exit(main())

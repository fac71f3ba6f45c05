"""``hub scenario run DIR``: replay a scenario folder through the embedded stack, no console.

Starts broker, topics, store and worker (``hub.up.start_stack``) unless told to use a running
one, then every partner the folder has with its connector (``partners.py``) and the ISI import,
and waits until everything is processed: each partner delivered its input, the store has no
pending projections and no unpublished outbox rows, every consumer group of this hub has zero
lag, and nothing moved for two checks in a row. Then it prints the messages per topic and the
dead letters, and returns a ``RunResult`` (also what ``check`` compares with the ground truth).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import topics
from connectors.edge import RuntimeSealer
from connectors.isi.importer import import_file
from connectors.kit.supervisor import Supervisor
from hub.broker import free_port, port_in_use
from hub.console.kafka_views import KafkaViews
from hub.errors import ConfigurationError
from hub.kafka_admin import apply_topics
from hub.publish import TopicWriter
from hub.runtime import Runtime
from hub.scenario.arrival import Arrival, write_net
from hub.scenario.collect import letter_ids, quarantined, rejects, stored_letters
from hub.scenario.lag import followers, total_lag
from hub.scenario.partners import Partners
from hub.settings import Settings
from hub.up import Stack, start_stack

Say = Callable[[str], None]
SCENARIO_FILE = "scenario.json"
CHECK_EVERY_S = 2.0
EDGES_FILE = "edges.json"
STALL_S = 60.0  # everything delivered, yet views or lag do not move: give up, say why
log = logging.getLogger(__name__)


@dataclass
class RunResult:
    """What a replay produced."""

    topics: dict[str, int] = field(default_factory=dict)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)
    store: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    workspace: Path = Path()
    problem: str | None = None  # set when the replay gave up before everything was processed


def scenario_key(folder: Path) -> str | None:
    """The case-reference key ``scenario.json`` names (None: use the hub's own)."""
    path = folder / SCENARIO_FILE
    if not path.exists():
        return None
    return str(json.loads(path.read_text(encoding="utf-8")).get("case_ref_key") or "") or None


def scenario_settings(settings: Settings, folder: Path) -> Settings:
    """``settings`` with the scenario's case-reference key (refused in production)."""
    key = scenario_key(folder)
    if key is None:
        return settings
    if settings.env == "production":
        raise ConfigurationError("a scenario brings its own test key: not with HUB_ENV=production")
    return replace(settings, case_ref_key=key)


def scenario_env(folder: Path) -> dict[str, str]:
    """Environment for child processes that must use the scenario's key (``hub up --demo``)."""
    key = scenario_key(folder)
    return {"HUB_CASE_REF_KEY": key} if key else {}


def run_scenario(settings: Settings, folder: Path, say: Say, *, own_stack: bool = True,
                 workspace: Path | None = None, timeout_s: float = 900.0,
                 on_done: Callable[[RunResult], None] | None = None,
                 hold: threading.Event | None = None, arrival: int | Arrival | None = None
                 ) -> RunResult:
    """Replay ``folder``; with ``own_stack`` start (and stop) broker and worker first.

    ``on_done`` gets the result once everything is processed; with ``hold`` the partners and
    connectors keep running after that until the event is set (``hub up --demo``). With
    ``arrival`` the partners start in that seed's random order and delays (``arrival.py``).
    Either way the workspace gets ``outbound-net.json``: what the partners received, net.
    """
    settings = scenario_settings(settings, folder)
    stack: Stack | None = None
    if own_stack:
        stack = _start(settings, say)
        settings = stack.settings
    try:
        work = workspace or settings.var_dir / "scenario" / f"{folder.name}-{_run_id()}"
        order = Arrival.drawn(arrival) if isinstance(arrival, int) else arrival
        return asyncio.run(_replay(settings, folder, work, say, timeout_s, on_done, hold, order))
    finally:
        if stack is not None:
            stack.stop(say)


def _start(settings: Settings, say: Say) -> Stack:
    if port_in_use("127.0.0.1", settings.broker_port):
        settings = replace(settings, broker_port=free_port())
    if port_in_use("127.0.0.1", settings.worker_web_port):
        os.environ["HUB_WORKER_WEB_PORT"] = str(free_port())
    return start_stack(settings, say, demo=False, console=False)


def _run_id() -> str:
    return f"{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}"


async def _replay(settings: Settings, folder: Path, work: Path, say: Say, timeout_s: float,
                  on_done: Callable[[RunResult], None] | None,
                  hold: threading.Event | None, arrival: Arrival | None = None) -> RunResult:
    started = time.monotonic()
    await apply_topics(settings.kafka_bootstrap, settings.topic_suffix)
    runtime = Runtime(settings)
    say(f"replay   {folder} -> workspace {work}")
    async with contextlib.AsyncExitStack() as exits:
        exits.enter_context(_log_to(work / "replay.log"))
        writer = await exits.enter_async_context(TopicWriter(
            settings.kafka_bootstrap, runtime.codec, suffix=settings.topic_suffix))
        partners = Partners(folder, work, runtime, _run_id(), arrival=arrival)
        if arrival is not None:
            say(f"arrival  seed {arrival.seed}: {arrival.describe()}")
        await partners.start(exits, writer)
        host = Supervisor(partners.connectors, work / "connectors.health.json", writer,
                          report_every_s=5.0)
        serving = asyncio.create_task(host.serve(), name="scenario-connectors")
        bank = asyncio.create_task(partners.bank_loop(host.stop), name="scenario-bank")
        isi = asyncio.create_task(_import_isi(runtime, writer, folder, work,
                                              arrival.delay("isi") if arrival else 0.0),
                                  name="scenario-isi")
        views = await KafkaViews(settings.kafka_bootstrap).start()
        groups = followers(settings, [p.name for p in folder.iterdir() if p.is_dir()])
        try:
            problem = await _until_processed(runtime, partners, views, groups, isi, say,
                                             timeout_s, hold)
            await _write_net(partners, work, say)
            result = await _collect(runtime, views, work)
            result.seconds, result.problem = time.monotonic() - started, problem
            report(result, say)
            if on_done is not None:
                on_done(result)
            if hold is not None:
                await asyncio.to_thread(hold.wait)
        finally:
            host.stop.set()
            for task in (*partners.tasks, isi):
                task.cancel()
            await asyncio.gather(serving, bank, isi, *partners.tasks, return_exceptions=True)
            await views.close()
    return result


async def _write_net(partners: Partners, work: Path, say: Say) -> None:
    """``outbound-net.json`` from what the simulated partners received (not the store)."""
    bookings: list[dict[str, str]] = []
    if partners.bank is not None:
        await asyncio.to_thread(partners.bank.step)  # the last exports too
        bookings = partners.bank.bookings
    live = partners.isam.live_signals() if partners.isam is not None else {}
    path = await asyncio.to_thread(write_net, work, bookings, live)
    say(f"net      {path}")


async def _import_isi(runtime: Runtime, writer: TopicWriter, folder: Path, work: Path,
                      delay_s: float = 0.0) -> int:
    await asyncio.sleep(delay_s)
    rows = 0
    for path in sorted((folder / "isi").glob("*.csv")):
        (work / "isi").mkdir(parents=True, exist_ok=True)
        done = await import_file(path, writer, RuntimeSealer(runtime),
                                 work / "isi" / f"{path.name}.rejects.csv")
        rows += done.rows
    return rows


async def _until_processed(runtime: Runtime, partners: Partners, views: KafkaViews,
                           groups: dict[str, tuple[str, ...]], isi: asyncio.Task[int], say: Say,
                           timeout_s: float, stop: threading.Event | None = None) -> str | None:
    """None once everything is processed; else why the replay gave up (stalled, timeout, or
    ``stop`` set: Ctrl-C during ``hub up --demo``)."""
    deadline, last_said = time.monotonic() + timeout_s, 0.0
    previous: tuple[int, ...] | None = None
    moved = time.monotonic()
    while True:
        await asyncio.sleep(CHECK_EVERY_S)
        if stop is not None and stop.is_set():
            return "stopped before everything was processed"
        pending = {k: v for k, v in partners.delivered().items() if v}
        if not isi.done():
            pending["isi"] = "importing"
        hub = await _hub_state(runtime, views, groups)
        state = (hub["ends"], hub["facts"], hub["outbox"], hub["views"], hub["lag"])
        busy = {k: v for k, v in hub.items() if k in ("lag", "views", "unpublished") and v}
        if not pending and not busy and state == previous:
            return None
        if state != previous:
            moved = time.monotonic()
        previous = state
        if time.monotonic() - last_said > 10:
            last_said = time.monotonic()
            waiting = ", ".join(f"{k} ({v})" for k, v in pending.items()) or "the hub"
            say(f"replay   facts {hub['facts']}, pending views {hub['views']}, lag "
                f"{hub['lag']}; waiting for {waiting}")
        stalled = time.monotonic() - moved > STALL_S and not pending
        if stalled or time.monotonic() > deadline:
            what = f"nothing moved for {STALL_S:.0f} s" if stalled else \
                f"not processed after {timeout_s:.0f} s"
            return (f"{what}: partners {pending}, hub {busy} (see the worker log for a "
                    "failing projection)")


async def _hub_state(runtime: Runtime, views: KafkaViews, groups: dict[str, tuple[str, ...]]
                     ) -> dict[str, int]:
    store = runtime.store
    tps = await views.partitions([runtime.physical(s.name) for s in topics.TOPICS])
    offsets = await views.offsets(tps)
    lags = await total_lag(views, runtime.settings, groups, offsets)
    if any(lags.values()):
        log.info("replay_lag %s", " ".join(f"{g}={n}" for g, n in lags.items() if n))
    status = runtime.physical(topics.CONNECTOR_STATUS)  # heartbeats move even when idle
    return {"ends": sum(o.end for tp, o in offsets.items() if tp.topic != status),
            "lag": sum(lags.values()),
            "views": store.pending_projections(), "unpublished": len(store.pending_outbox(1)),
            "facts": store.count("fact"), "outbox": store.count("outbox")}


async def _collect(runtime: Runtime, views: KafkaViews, work: Path) -> RunResult:
    tps = await views.partitions([runtime.physical(s.name) for s in topics.TOPICS])
    offsets = await views.offsets(tps)
    counts: dict[str, int] = {}
    for tp, o in offsets.items():
        if o.messages:
            name = runtime.logical(tp.topic)
            counts[name] = counts.get(name, 0) + o.messages
    letters = await stored_letters(runtime, await letter_ids(runtime, views))
    store = runtime.store
    result = RunResult(dict(sorted(counts.items())), letters, quarantined(work), rejects(work),
                       {t: store.count(t) for t in ("fact", "case_view", "dead_letter", "outbox")},
                       workspace=work)
    write_edges(result)
    return result


def write_edges(result: RunResult) -> Path:
    """``<workspace>/edges.json``: the refusals the replay saw at the edge, for a later
    ``hub scenario check`` (the embedded broker's dead-letter topics vanish with it)."""
    path = result.workspace / EDGES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"dead_letters": result.dead_letters, "quarantined": result.quarantined,
            "rejects": result.rejects}
    path.write_text(json.dumps(body, indent=1, sort_keys=True, default=str) + "\n",
                    encoding="utf-8")
    return path


def latest_edges(settings: Settings, folder: Path) -> Path | None:
    """The ``edges.json`` of the newest replay of ``folder`` under ``var/scenario``."""
    runs = sorted((settings.var_dir / "scenario").glob(f"{folder.name}-*/{EDGES_FILE}"),
                  key=lambda p: p.stat().st_mtime)
    return runs[-1] if runs else None


def report(result: RunResult, say: Say) -> None:
    """Print messages per topic, the dead letters and what the connectors refused."""
    if result.problem:
        say(f"NOT PROCESSED after {result.seconds:.0f} s: {result.problem}")
    else:
        say(f"done     in {result.seconds:.0f} s")
    say(f"store    {result.store}")
    for name, count in result.topics.items():
        say(f"{count:9d}  {name}")
    say(f"dead letters: {len(result.dead_letters)}")
    for d in result.dead_letters:
        say(f"  {d['source_topic']}  {d['error_type']}: {str(d['error_message'])[:110]}")
    say(f"quarantined files: {len(result.quarantined)}")
    for q in result.quarantined:
        where = "/".join(part for part in (q["partner"], q["map"], q["bestand"]) if part)
        say(f"  {where}  {q['regel']}")
    say(f"ISI rejects: {len(result.rejects)}")
    for r in result.rejects:
        say(f"  line {r['regel']}  {r['veld']}")


@contextlib.contextmanager
def _log_to(path: Path) -> Iterator[None]:
    """The connectors' log lines go to the workspace while the replay runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for noisy in ("aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()

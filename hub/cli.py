"""The ``hub`` command."""

from __future__ import annotations

import signal
import sys

import typer
from rich.console import Console
from rich.table import Table

from hub.errors import HubError
from hub.files import restrict_umask
from hub.settings import Settings, from_env

app = typer.Typer(help="Integration hub for the Wet inburgering.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
topics_app = typer.Typer(help="The declared topics.", no_args_is_help=True)
schemas_app = typer.Typer(help="The Avro schemas and their locked versions.", no_args_is_help=True)
db_app = typer.Typer(help="The case store.", no_args_is_help=True)
case_app = typer.Typer(help="One case as the hub holds it.", no_args_is_help=True)
app.add_typer(topics_app, name="topics")
app.add_typer(schemas_app, name="schemas")
app.add_typer(db_app, name="db")
app.add_typer(case_app, name="case")
out = Console(soft_wrap=True)  # long lines (paths, pids) stay whole in logs and pipes


def _settings() -> Settings:
    return from_env()


@app.command()
def broker(port: int = typer.Option(None, help="Port on 127.0.0.1 (default HUB_BROKER_PORT).")
           ) -> None:
    """Run the embedded Kafka-compatible broker (Tansu, memory only) until Ctrl-C or SIGTERM."""
    import threading

    from hub.broker import EmbeddedBroker

    settings = _settings()
    # The signals only set a flag, installed before Tansu starts: a Ctrl-C or `kill` at any
    # moment, start-up included, ends in the one clean stop below, never in an exception
    # raised halfway through a wait (which could leave Tansu running).
    asked = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: asked.set())
    embedded = EmbeddedBroker(port or settings.broker_port).start()
    try:
        out.print(f"broker ready on {embedded.bootstrap} (pid {embedded.pid}); Ctrl-C stops it")
        while not asked.wait(0.2) and embedded.exit_code() is None:
            pass
        if asked.is_set():
            out.print("stopping broker ...")
    finally:
        embedded.stop()


@topics_app.command("apply")
def topics_apply() -> None:
    """Create the declared topics that are missing; change nothing else."""
    from hub.broker_ops import create_missing_topics

    settings = _settings()
    result = create_missing_topics(settings.kafka_bootstrap, settings.topic_suffix)
    for name in result.created:
        out.print(f"created  {name}")
    out.print(f"{len(result.created)} created, {len(result.existing)} already there")


@topics_app.command("list")
def topics_list() -> None:
    """Print every declared topic with its schemas, partitions, dead-letter topic and, when the
    broker answers, how many messages it holds there (``missing`` when not created)."""
    import topics
    from hub.broker_ops import BrokerOps
    from hub.errors import UpstreamUnavailable

    settings = _settings()
    held: dict[str, int] | None = None
    try:
        with BrokerOps(settings.kafka_bootstrap) as broker:
            offsets = broker.offsets(broker.partitions(
                topics.physical(spec.name, settings.topic_suffix) for spec in topics.TOPICS))
        held = {}
        for tp, o in offsets.items():
            name = topics.logical(tp.topic, settings.topic_suffix)
            held[name] = held.get(name, 0) + o.messages
    except UpstreamUnavailable:
        pass
    table = Table("topic", "value schema", "partitions", "retention", "dead letters", "pii",
                  "messages")
    for spec in topics.TOPICS:
        on_broker = "-" if held is None else str(held.get(spec.name, "missing"))
        table.add_row(spec.name, spec.value_schema.rsplit(".", 1)[-1], str(spec.partitions),
                      f"{spec.retention_ms // 86_400_000}d", spec.dead_letter or "-",
                      "yes" if spec.pii else "no", on_broker)
    Console(width=200).print(table)
    if held is None:
        out.print(f"no broker answers at {settings.kafka_bootstrap}: messages not counted")


@schemas_app.command("check")
def schemas_check() -> None:
    """Exit non-zero when a schema is not BACKWARD compatible with its locked versions."""
    from hub.registry import check_compatibility

    problems = check_compatibility()
    for problem in problems:
        out.print(f"[red]incompatible[/red] {problem}")
    if problems:
        raise typer.Exit(1)
    out.print("all schemas are BACKWARD compatible with their locked versions")


@schemas_app.command("lock")
def schemas_lock() -> None:
    """Record changed schemas as new locked versions (after the compatibility check)."""
    from hub.registry import lock

    added = lock()
    for line in added:
        out.print(f"locked {line}")
    out.print(f"{len(added)} schema version(s) added")


@db_app.callback()
def db_group() -> None:
    """The case store."""


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the case store to the latest revision."""
    from hub.store import Store

    settings = _settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    Store(settings.effective_database_url).close()
    out.print(f"store at the latest revision: {settings.effective_database_url}")


@app.command()
def worker() -> None:
    """Run the Faust worker with every agent (Ctrl-C stops it)."""
    from hub.worker import run_worker

    run_worker(_settings())


@app.command()
def up(demo: bool = typer.Option(False, help="Replay the demo scenario through the stack."),
       port: int = typer.Option(None, help="Broker port (default HUB_BROKER_PORT)."),
       exit_after_demo: bool = typer.Option(False, hidden=True)) -> None:
    """Start broker, topics, store, worker and console as one process tree; Ctrl-C stops all.

    With ``--demo`` the default scenario (2 gemeenten, 500 people, 3 years) is replayed through
    every connector and simulated partner, and the nightly report is written at the end."""
    from dataclasses import replace

    from hub.shutdown import Shutdown, StopRequested
    from hub.up import Stack, start_stack, wait_for_signal

    shutdown = Shutdown().install()  # before any child starts: a signal stops what started
    run = None
    try:
        settings = _settings()
        folder = None
        if demo:
            from hub.up_demo import prepare

            folder = prepare(settings, out.print)
            settings = _settings()  # now with the scenario's case-reference key
        if port:
            settings = replace(settings, broker_port=port)
        stack = start_stack(settings, out.print, demo=demo, shutdown=shutdown)
        out.print(f"ready    pids {stack.pids()}  (Ctrl-C stops everything)")
        if folder is not None:
            from hub.up_demo import DemoRun

            run = DemoRun(stack.settings, folder, out.print)
            run.start()
        if run is not None and exit_after_demo:
            run.done.wait(900)
        else:
            wait_for_signal(stack, out.print)
    except StopRequested as exc:
        out.print(f"{exc} received")
    finally:
        shutdown.stopping()
        stacks: list[Stack] = [s for s in shutdown.registered if isinstance(s, Stack)]
        if stacks:
            out.print("stopping ...")
        if run is not None and run.thread.is_alive():
            run.stop()
        for stack in stacks:
            stack.stop(out.print)
        shutdown.restore()


@app.command()
def bench(messages: str = typer.Option("10000,100000", help="Comma-separated sizes."),
          driver: str = typer.Option("batch", help="Agent driver: batch or faust."),
          facts_per_case: int = typer.Option(20, help="Messages per case (history depth)."),
          database: str = typer.Option("sqlite", help="sqlite, or postgresql (a private "
                                       "cluster, as the tests start one)."),
          workers: int = typer.Option(1, help="Worker processes sharing the partitions."),
          skip: str = typer.Option("", help="Comma-separated paths to leave out: raw, ceiling."),
          ) -> None:
    """Raw aiokafka loop, the store's ceiling and the hub's path into the store, one broker."""
    from benchmarks.bench import Options, run

    sizes = [int(size) for size in messages.split(",") if size.strip()]
    options = Options(driver, facts_per_case, database, workers,
                      frozenset(s.strip() for s in skip.split(",") if s.strip()))
    out.print(f"hub bench: driver={driver}, sizes={sizes}, {database} store, embedded Tansu "
              "broker")
    run(sizes, driver, out.print, facts_per_case, options)


@case_app.command("effects")
def case_effects(case_ref: str = typer.Argument(..., help="Case reference (CR...)."),
                 as_json: bool = typer.Option(False, "--json", help="JSON lines, one per entry.")
                 ) -> None:
    """The case's effect ledger: every booking, reversal, signal, withdrawal, registration and
    correction the hub sent, with its reason and whether it still holds (audited)."""
    import json

    from hub.reconcile.effects import summaries
    from hub.store import Store

    store = Store(_settings().effective_database_url)
    try:
        entries = summaries(store.effects(case_ref))
        store.audit("cli", "case.effects", "case", case_ref)
    finally:
        store.close()
    if as_json:
        for entry in entries:
            print(json.dumps(entry, sort_keys=True, default=str))
        return
    if not entries:
        out.print(f"{case_ref}: no effects sent")
        return
    table = Table("#", "soort", "kenmerk", "bedrag", "reden", "staat", "verwijst naar",
                  "verzonden", "effect", title=f"effect ledger {case_ref}")
    for e in entries:
        cents = e["bedrag_cent"]
        table.add_row(str(e["seq"]), e["soort"], e["kenmerk"],
                      "" if cents is None else f"{cents / 100:.2f}", e["reden"], e["staat"],
                      e["verwijst_naar"] or "", str(e["verzonden_op"])[:10], e["effect"])
    Console(soft_wrap=True, width=max(out.width, 200)).print(table)


# Command groups that live beside their feature: each module has ``register(app)``.
_COMMAND_MODULES: tuple[str, ...] = (
    "connectors.cli",
    "connectors.isi.cli",
    "hub.console.cli",
    "hub.report.cli",
    "hub.retention_cli",
    "hub.scenario.cli",
)


def _register_plugins() -> None:
    import importlib

    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(app)


_register_plugins()


def main() -> None:
    """Entry point: HubErrors become a one-line message and exit code 2; whatever the process
    creates (store, logs, reports, partner files) is readable by the hub's user only (R25)."""
    restrict_umask()
    try:
        app()
    except HubError as exc:
        print(f"error: {exc}", file=sys.stderr)  # one line, never wrapped
        sys.exit(2)


if __name__ == "__main__":
    main()

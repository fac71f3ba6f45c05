"""``hub connectors run|list|status``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time

import typer
from rich.console import Console

from connectors.base import ConnectorHost
from connectors.registry import CONNECTORS, connector_class
from hub.publish import TopicWriter
from hub.runtime import Runtime, configure_logging
from hub.settings import from_env

connectors_app = typer.Typer(help="Partner connectors.", no_args_is_help=True)
out = Console()
STALE_AFTER_S = 60.0


def register(app: typer.Typer) -> None:
    """Add the ``connectors`` command group to the hub CLI."""
    app.add_typer(connectors_app, name="connectors")


@connectors_app.command("list")
def list_connectors() -> None:
    """Print the connectors the hub knows."""
    for name, target in sorted(CONNECTORS.items()):
        out.print(f"{name:16} {target}")
    if not CONNECTORS:
        out.print("no connectors registered")


@connectors_app.command("run")
def run(names: list[str] = typer.Argument(None, help="Connectors to run (default: all)."),
        demo: bool = typer.Option(False, help="Start each connector's simulated partner with a "
                                  "seeded scenario and point the connector at it.")) -> None:
    """Run connectors until Ctrl-C or SIGTERM, publishing their health."""
    settings = from_env()
    configure_logging(settings.log_level)
    runtime = Runtime(settings)
    chosen = names or sorted(CONNECTORS)
    asyncio.run(_serve(runtime, chosen, demo=demo))


async def _serve(runtime: Runtime, names: list[str], *, demo: bool = False) -> None:
    settings = runtime.settings
    async with contextlib.AsyncExitStack() as partners, \
            TopicWriter(settings.kafka_bootstrap, runtime.codec,
                        suffix=settings.topic_suffix) as writer:
        connectors = []
        for name in names:
            cls = connector_class(name)
            options = await partners.enter_async_context(cls.demo_partner(runtime)) if demo \
                else {}
            connectors.append(cls(runtime, writer, **options))
        host = ConnectorHost(runtime, connectors, settings.var_dir / "connectors.health.json")
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, host.stop.set)
        out.print(f"running connectors: {', '.join(names) or 'none'}")
        await host.serve()


@connectors_app.command("status")
def status() -> None:
    """Exit non-zero when the heartbeat is stale or a connector's last exchange failed."""
    path = from_env().var_dir / "connectors.health.json"
    if not path.exists():
        out.print(f"no heartbeat at {path}: is `hub connectors run` running?")
        raise typer.Exit(1)
    body = json.loads(path.read_text())
    age = time.time() - float(body["written_at"])
    failing = [c["connector"] for c in body["connectors"] if not c["healthy"]]
    for c in body["connectors"]:
        out.print(f"{c['connector']:16} {'ok' if c['healthy'] else 'FAILING'}  "
                  f"processed {c['processed']}  last error {c['last_error'] or '-'}")
    if age > STALE_AFTER_S or failing:
        out.print(f"unhealthy: heartbeat {age:.0f}s old, failing: {', '.join(failing) or '-'}")
        raise typer.Exit(1)

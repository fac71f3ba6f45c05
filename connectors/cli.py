"""``hub connectors run|list|status``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import time
import traceback

import typer
from rich.console import Console

from connectors.base import Connector
from connectors.kit.config import kit_settings
from connectors.kit.health import Health, describe
from connectors.kit.supervisor import Supervisor
from connectors.registry import CONNECTORS, connector_class
from hub.errors import HubError
from hub.privacy import redact
from hub.publish import TopicWriter
from hub.runtime import Runtime, configure_logging
from hub.settings import from_env

connectors_app = typer.Typer(help="Partner connectors.", no_args_is_help=True)
out = Console(soft_wrap=True)  # one line per connector, also in narrow terminals
log = logging.getLogger(__name__)
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
    """Run connectors until Ctrl-C or SIGTERM, publishing their health; a connector that
    crashes is restarted alone. Exits 1 when none of them can run."""
    settings = from_env()
    configure_logging(settings.log_level)
    runtime = Runtime(settings)
    chosen = names or sorted(CONNECTORS)
    code = asyncio.run(_serve(runtime, chosen, demo=demo))
    if code:
        raise typer.Exit(code)


async def _serve(runtime: Runtime, names: list[str], *, demo: bool = False) -> int:
    settings, kit = runtime.settings, kit_settings()
    heartbeat = settings.var_dir / "connectors.health.json"
    try:
        writer = await TopicWriter(settings.kafka_bootstrap, runtime.codec,
                                   suffix=settings.topic_suffix).start()
    except HubError as exc:
        out.print(f"cannot run any connector: {exc}")
        return 1
    try:
        async with contextlib.AsyncExitStack() as partners:
            connectors: list[Connector] = []
            unbuilt: list[Health] = []
            for name in names:
                try:
                    cls = connector_class(name)
                    options = await partners.enter_async_context(cls.demo_partner(runtime)) \
                        if demo else {}
                    connectors.append(cls(runtime, writer, **options))
                except Exception as exc:  # missing settings, unreadable certificates, ...
                    unbuilt.append(_not_started(name, exc))
            supervisor = Supervisor(connectors, heartbeat, writer, unbuilt,
                                    report_every_s=kit.report_every_s, restart=kit.restart,
                                    stop_grace_s=kit.stop_grace_s)
            if not connectors:
                await supervisor.report()
                out.print(f"cannot run any connector of: {', '.join(names) or 'none'}")
                return 1
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, supervisor.stop.set)
            out.print(f"running connectors: {', '.join(c.name for c in connectors)}"
                      + (f" (not started: {', '.join(h.connector for h in unbuilt)})"
                         if unbuilt else ""))
            await supervisor.serve()
            return 0
    finally:
        await writer.stop()


def _not_started(name: str, exc: Exception) -> Health:
    health = Health(name)
    health.not_started(exc)
    detail = "" if isinstance(exc, HubError) else "\n" + redact(
        "".join(traceback.format_exception(exc)).rstrip())
    log.error("connector_not_started connector=%s error=%s%s", name, describe(exc), detail)
    return health


@connectors_app.command("status")
def status() -> None:
    """Exit non-zero when the heartbeat is stale or a connector is not running healthily."""
    path = from_env().var_dir / "connectors.health.json"
    if not path.exists():
        out.print(f"no heartbeat at {path}: is `hub connectors run` running?")
        raise typer.Exit(1)
    body = json.loads(path.read_text())
    age = time.time() - float(body["written_at"])
    failing = [c["connector"] for c in body["connectors"] if not c["healthy"]]
    for c in body["connectors"]:
        state = "ok" if c["healthy"] else c.get("state", "?").upper().replace("RUNNING",
                                                                              "FAILING")
        out.print(f"{c['connector']:16} {state:11} processed {c['processed']}  restarts "
                  f"{c.get('restarts', 0)}  last error {c['last_error'] or '-'}")
    if age > STALE_AFTER_S or failing:
        out.print(f"unhealthy: heartbeat {age:.0f}s old, failing: {', '.join(failing) or '-'}")
        raise typer.Exit(1)

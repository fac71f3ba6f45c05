"""Operator commands: ``hub console``, ``hub users``, ``hub lag``, ``hub dlq``, ``hub topics tail``.

The CLI runs on the same code as the console. Its re-drives are audited with the OS user as
actor (``cli:<user>``); its output masks personal data like the console does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from hub.console.config import console_settings
from hub.console.dlq_cli import dlq_app
from hub.settings import from_env

T = TypeVar("T")
out = Console(width=200)
err = Console(stderr=True)  # progress and status go to stderr, results to stdout
users_app = typer.Typer(help="Console accounts (viewer, operator, admin).", no_args_is_help=True)


def _with_context(work: Callable[[Any], Awaitable[T]], doing: str = "reading the broker") -> T:
    """Run ``work(ctx)`` with a started console context (no web server, no sampling loop).

    A broker that does not answer ends in one ``error:`` line (``hub.cli.main``) instead of
    aiokafka's connection log; a spinner on stderr says what is being waited for.
    """
    from hub.console.context import ConsoleContext

    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)

    async def run() -> T:
        ctx = ConsoleContext.build(from_env(), console_settings())
        with err.status(f"{doing} at {ctx.hub.kafka_bootstrap} ..."):
            await ctx.start()
        try:
            return await work(ctx)
        finally:
            await ctx.close()

    return asyncio.run(run())


def console(host: str = typer.Option(None, help="Address (default HUB_CONSOLE_HOST, 127.0.0.1)."),
            port: int = typer.Option(None, help="Port (default HUB_CONSOLE_PORT, 8080).")) -> None:
    """Serve the operator console and its JSON API (login required) until Ctrl-C."""
    from aiohttp import web

    from hub.console.context import ConsoleContext
    from hub.console.web import make_app
    from hub.runtime import configure_logging

    hub, settings = from_env(), console_settings()
    configure_logging(hub.log_level)
    ctx = ConsoleContext.build(hub, settings)
    bind = host or settings.host
    out.print(f"console on http://{bind}:{port or hub.console_port}/ (Ctrl-C stops it)")
    web.run_app(make_app(ctx), host=bind, port=port or hub.console_port, print=None,
                access_log=None)


@users_app.command("add")
def users_add(name: str, role: str = typer.Option(..., help="viewer, operator or admin."),
              gemeente: str = typer.Option("", help="Only these CBS gemeentecodes, e.g. "
                                           "0392,0393 (R26); default every gemeente."),
              password_stdin: bool = typer.Option(False, help="Read the password from stdin.")
              ) -> None:
    """Create an account (or reset its password, role and gemeenten); the password is prompted."""
    from hub.console.auth import Accounts, check_gemeenten, check_role

    check_role(role)
    codes = check_gemeenten(gemeente)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    hub = from_env()
    hub.var_dir.mkdir(parents=True, exist_ok=True)
    accounts = Accounts(hub.effective_database_url)
    try:
        user = accounts.add_user(name, password, role, codes)
    finally:
        accounts.close()
    where = ", ".join(user.gemeenten) or "every gemeente"
    out.print(f"user {user.name} ({user.role}, {where}) saved")


@users_app.command("list")
def users_list() -> None:
    """Print every account with its role."""
    from hub.console.auth import Accounts

    accounts = Accounts(from_env().effective_database_url)
    try:
        for user in accounts.users():
            out.print(f"{user.name}\t{user.role}\t{','.join(user.gemeenten) or '*'}")
    finally:
        accounts.close()


@users_app.command("remove")
def users_remove(name: str) -> None:
    """Delete an account and its sessions."""
    from hub.console.auth import Accounts

    accounts = Accounts(from_env().effective_database_url)
    try:
        found = accounts.remove_user(name)
    finally:
        accounts.close()
    out.print(f"user {name} removed" if found else f"no user {name}")
    if not found:
        raise typer.Exit(1)


def lag(every: bool = typer.Option(False, "--all", help="Also partitions without messages."),
        as_json: bool = typer.Option(False, "--json", help="The groups as one JSON document.")
        ) -> None:
    """Consumer lag per group and partition (end offsets corrected for the broker).

    Lag is never negative; a partition of a followed topic without a commit counts from its
    earliest offset. Partitions without messages are left out unless ``--all``. Whether an
    agent is stalled needs offsets over time: the console shows that.
    """
    from hub.broker_ops import BrokerOps

    hub = from_env()
    with err.status(f"reading offsets and consumer groups at {hub.kafka_bootstrap} ..."), \
            BrokerOps(hub.kafka_bootstrap) as broker:
        rows = broker.lags()
    groups = _by_group(rows, hub.topic_suffix)
    if as_json:
        print(json.dumps(groups, indent=2))
        return
    table = Table("group", "topic", "partition", "committed", "end", "lag")
    for group in groups:
        for p in group["partitions"]:
            if every or p["end"] > 0 or p["lag"] > 0:
                table.add_row(group["group"], p["topic"], str(p["partition"]),
                              "-" if p["committed"] is None else str(p["committed"]),
                              str(p["end"]), str(p["lag"]))
    out.print(table)
    out.print(", ".join(f"{g['group']}: lag {g['lag']}" for g in groups) or "no consumer groups")


def _by_group(rows: list[Any], suffix: str) -> list[dict[str, Any]]:
    """``PartitionLag`` rows as one entry per group, topics under their declared names."""
    import topics

    groups: dict[str, list[Any]] = {}
    for row in rows:
        groups.setdefault(row.group, []).append(row)
    return [{"group": group, "lag": sum(r.lag for r in parts), "partitions": [
        {"topic": topics.logical(r.topic, suffix), "partition": r.partition,
         "committed": r.committed, "end": r.end, "lag": r.lag} for r in parts]}
        for group, parts in sorted(groups.items())]


def register(app: typer.Typer) -> None:
    """Add the operator commands to the ``hub`` command."""
    from hub.console import cli_ops
    from hub.console.tail import topics_tail

    cli_ops.register(app)
    app.command("console")(console)
    app.command("lag")(lag)
    app.add_typer(users_app, name="users")
    app.add_typer(dlq_app, name="dlq")  # hub.console.dlq_cli
    for group in app.registered_groups:
        if group.name == "topics" and group.typer_instance is not None:
            group.typer_instance.command("tail")(topics_tail)

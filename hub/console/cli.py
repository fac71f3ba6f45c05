"""Operator commands: ``hub console``, ``hub users``, ``hub lag``, ``hub dlq``, ``hub topics tail``.

The CLI runs on the same code as the console. Its re-drives are audited with the OS user as
actor (``cli:<user>``); its output masks personal data like the console does.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from hub.console.config import console_settings
from hub.settings import from_env

T = TypeVar("T")
out = Console(width=200)
err = Console(stderr=True)  # progress and status go to stderr, results to stdout
users_app = typer.Typer(help="Console accounts (viewer, operator, admin).", no_args_is_help=True)
dlq_app = typer.Typer(help="Dead letters: list, show, re-drive.", no_args_is_help=True)


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


@dlq_app.command("list")
def dlq_list(topic: str = typer.Option(None, help="Only dead letters of this source topic."),
             as_json: bool = typer.Option(False, "--json", help="One JSON document.")) -> None:
    """Dead letters with their error, source, attempts and re-drive status."""
    from hub.console.api import letters_view

    rows = _with_context(lambda ctx: letters_view(ctx, topic), "reading the dead letters")
    if as_json:
        print(json.dumps(rows, indent=2, default=str))
        return
    table = Table("error", "attempts", "failed at", "status")
    table.add_column("source", no_wrap=True)
    table.add_column("id", no_wrap=True)  # whole: it is what `dlq show|redrive` take
    for r in rows:
        table.add_row(f"{r['error_type']}: {r['error_message']}"[:60], str(r["attempts"]),
                      (r["failed_at"] or "")[:19], r["status"],
                      f"{r['source_topic']}/{r['source_partition']}/{r['source_offset']}",
                      r["id"])
    out.print(table)
    out.print(f"{len(rows)} dead letter(s)")


@dlq_app.command("show")
def dlq_show(letter_id: str) -> None:
    """One dead letter with its original message decoded and masked (JSON)."""
    from hub.console.api import letter_row
    from hub.console.masking import decode_masked
    from hub.console.store_reads import redrives

    async def work(ctx: Any) -> dict[str, Any] | None:
        entry = (await ctx.sampler.poll_letters()).get(letter_id)
        if entry is None:
            return None
        row = letter_row(ctx, entry, redrives(ctx.engine))
        row["original_key"] = decode_masked(ctx.runtime.codec, entry.record.get("original_key"))
        row["original_value"] = decode_masked(ctx.runtime.codec, entry.record["original_value"])
        return row

    row = _with_context(work, "reading the dead letters")
    if row is None:
        err.print(f"error: no dead letter {letter_id} (see `hub dlq list`)")
        raise typer.Exit(1)
    print(json.dumps(row, indent=2, default=str))


@dlq_app.command("redrive")
def dlq_redrive(ids: list[str] = typer.Argument(None, help="Dead-letter ids (see dlq list)."),
                reason: str = typer.Option(..., help="Why (mandatory; goes to the audit log)."),
                every: bool = typer.Option(False, "--all", help="Every dead letter."),
                topic: str = typer.Option(None, help="Every dead letter of this source topic."),
                include_redriven: bool = typer.Option(False, help="Also those re-driven before."),
                dry_run: bool = typer.Option(False, help="Only list what would be re-driven.")
                ) -> None:
    """Send dead letters back to their source topic; each re-drive is audited.

    A bulk selection (``--all``, ``--topic``) skips dead letters re-driven before unless
    ``--include-redriven``; ids named explicitly are always taken.
    """
    from hub.console.redrive import check_reason, check_selection, redrive, select_letters
    from hub.console.store_reads import redrives

    check_reason(reason)
    check_selection(ids or (), topic, every)
    actor = f"cli:{getpass.getuser()}"

    async def work(ctx: Any) -> list[Any]:
        with err.status("reading the dead letters ..."):
            letters = await ctx.sampler.poll_letters()
        chosen = select_letters(letters.values(), ids=ids or (), topic=topic, every=every,
                                redriven=redrives(ctx.engine),
                                include_redriven=include_redriven)
        if dry_run:
            return chosen
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("re-driving", total=len(chosen))
            return redrive(chosen, reason=reason, actor=actor, bootstrap=ctx.hub.kafka_bootstrap,
                           suffix=ctx.hub.topic_suffix, store=ctx.store,
                           on_sent=lambda _: progress.advance(task))

    results = _with_context(work)
    for done in results:
        if dry_run:
            out.print(f"would re-drive {done.id} -> {done.record['source_topic']}")
        else:
            out.print(f"re-driven {done.dead_letter} -> "
                      f"{done.topic}/{done.partition}/{done.offset}")
    verb = "would be re-driven (dry run)" if dry_run else "re-driven, each audited"
    out.print(f"{len(results)} dead letter(s) {verb}")


def register(app: typer.Typer) -> None:
    """Add the operator commands to the ``hub`` command."""
    from hub.console import cli_ops
    from hub.console.tail import topics_tail

    cli_ops.register(app)
    app.command("console")(console)
    app.command("lag")(lag)
    app.add_typer(users_app, name="users")
    app.add_typer(dlq_app, name="dlq")
    for group in app.registered_groups:
        if group.name == "topics" and group.typer_instance is not None:
            group.typer_instance.command("tail")(topics_tail)

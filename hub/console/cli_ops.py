"""``hub groups`` (list, describe, reset) and ``hub audit``: the console's pages on the CLI.

Resets are audited with the OS user as actor (``cli:<user>``), like CLI re-drives; ``--dry-run``
only prints the plan. ``hub audit`` reads the audit trail directly from the store (the CLI runs
where the store is, as the hub's own user) and writes formula-safe CSV with ``--csv``.
"""

from __future__ import annotations

import getpass
import json
import sys
from dataclasses import asdict

import typer
from rich.console import Console
from rich.table import Table

from hub.settings import from_env

out = Console(width=200)
groups_app = typer.Typer(help="Consumer groups: members, lag, offset resets.",
                         no_args_is_help=True)


@groups_app.command("list")
def groups_list() -> None:
    """Every consumer group with its state, members and total lag."""
    from hub import groups
    from hub.broker_ops import BrokerOps

    hub = from_env()
    table = Table("group", "state", "members", "lag")
    with BrokerOps(hub.kafka_bootstrap) as ops:
        lags: dict[str, int] = {}
        for row in ops.lags():
            lags[row.group] = lags.get(row.group, 0) + row.lag
        for name in ops.groups():
            info = groups.describe(ops, name)
            table.add_row(name, info.state, str(len(info.members)), str(lags.get(name, 0)))
    out.print(table)


@groups_app.command("describe")
def groups_describe(group: str) -> None:
    """A group's members and its committed offset, end and lag per partition (JSON)."""
    import topics
    from hub import groups
    from hub.broker_ops import BrokerOps
    from hub.offsets import lags_of

    hub = from_env()
    with BrokerOps(hub.kafka_bootstrap) as ops:
        info = groups.describe(ops, group)
        committed = ops.committed(group)
        offsets = ops.offsets(ops.partitions(sorted({tp.topic for tp in committed})))
        rows = lags_of(group, committed, offsets)
    print(json.dumps({"group": group, "state": info.state,
                      "members": [asdict(m) for m in info.members],
                      "partitions": [{"topic": topics.logical(r.topic, hub.topic_suffix),
                                      "partition": r.partition, "committed": r.committed,
                                      "end": r.end, "lag": r.lag} for r in rows]}, indent=2))


@groups_app.command("reset")
def groups_reset(group: str,
                 to: str = typer.Option(..., help="earliest, latest, timestamp or offset."),
                 value: str = typer.Option(None, help="The timestamp (ISO 8601 with offset) "
                                           "or the offset."),
                 topic: str = typer.Option(None, help="Only this topic (declared name)."),
                 partition: int = typer.Option(None, help="Only this partition of --topic."),
                 reason: str = typer.Option(None, help="Why (mandatory unless --dry-run)."),
                 dry_run: bool = typer.Option(False, help="Only print what would change.")
                 ) -> None:
    """Move a group's committed offsets; refused while the group has active members."""
    from hub import groups
    from hub.broker_ops import BrokerOps
    from hub.store import Store

    hub = from_env()
    if not dry_run:
        groups.check_reason(reason)
    with BrokerOps(hub.kafka_bootstrap) as ops:
        plan = groups.plan(ops, group, to, value=value, topic=topic, partition=partition,
                           suffix=hub.topic_suffix)
        if not dry_run:
            store = Store(hub.effective_database_url)
            try:
                plan = groups.apply(ops, plan, actor=f"cli:{getpass.getuser()}",
                                    reason=reason or "", store=store, suffix=hub.topic_suffix)
            finally:
                store.close()
    table = Table("topic", "partition", "committed", "new", "end", "lag after")
    for m in plan.moves:
        table.add_row(m.topic, str(m.partition), "-" if m.old is None else str(m.old),
                      str(m.new), str(m.end), str(m.lag_after))
    out.print(table)
    verb = "would be reset (dry run)" if dry_run else "reset, audited"
    out.print(f"{group}: {len(plan.moves)} partition(s) {verb}")
    if plan.errors:
        out.print(f"refused by the broker: {plan.errors}")
        raise typer.Exit(1)


def audit(actor: str = typer.Option("", help="Actor contains this text."),
          action: str = typer.Option("", help="Action (a prefix when it ends in '.')."),
          entity: str = typer.Option("", help="Entity (a prefix when it ends in '.')."),
          entity_id: str = typer.Option("", help="Entity id contains this text."),
          since: str = typer.Option("", help="From this date or moment (ISO 8601)."),
          until: str = typer.Option("", help="Before this date or moment (ISO 8601)."),
          limit: int = typer.Option(200, help="At most this many rows (newest first)."),
          as_csv: bool = typer.Option(False, "--csv", help="CSV on stdout (formula-safe).")
          ) -> None:
    """The audit trail: who did what to which entity, when and why."""
    from hub.console.audit_reads import AuditFilter, parse_moment, read, to_csv
    from hub.store.engine import make_engine

    engine = make_engine(from_env().effective_database_url)
    try:
        rows = read(engine, AuditFilter(actor, action, entity, entity_id,
                                        parse_moment(since, "since"),
                                        parse_moment(until, "until"), None, limit))
    finally:
        engine.dispose()
    if as_csv:
        sys.stdout.write(to_csv(rows))
        return
    table = Table("at", "actor", "action", "entity", "id", "reason")
    for r in rows:
        table.add_row(r["at"][:19], r["actor"], r["action"], r["entity"],
                      r["entity_id"][:40], r["reason"] or "")
    out.print(table)
    out.print(f"{len(rows)} row(s)")


def register(app: typer.Typer) -> None:
    """Add ``hub groups`` and ``hub audit``."""
    app.add_typer(groups_app, name="groups")
    app.command("audit")(audit)

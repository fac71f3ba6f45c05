"""``hub retention apply [--dry-run] [--list]``: R25 retention of partner files, by hand."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from hub.retention import Audit
    from hub.store import Store

retention_app = typer.Typer(help="Retention of partner files (R25).", no_args_is_help=True)
out = Console(soft_wrap=True)
ACTOR = "hub:retention"


def register(app: typer.Typer) -> None:
    """Add the ``retention`` command group to the hub CLI."""
    app.add_typer(retention_app, name="retention")


@retention_app.callback()
def retention_group() -> None:
    """Retention of partner files (R25)."""


@retention_app.command("apply")
def apply_command(dry_run: bool = typer.Option(False, help="Only list what is due."),
                  show: bool = typer.Option(False, "--list", help="Name every file due.")
                  ) -> None:
    """Remove archived and quarantined partner files whose period is over (audited)."""
    from hub.files import tighten
    from hub.retention import apply, describe, retention_settings, roots
    from hub.runtime import Runtime
    from hub.settings import from_env

    hub, settings = from_env(), retention_settings()
    runtime = Runtime(hub)
    outcome = apply(hub, settings, dry_run=dry_run,
                    audit=None if dry_run else audit_to(runtime.store))
    verb = "due" if dry_run else "removed"
    by_category = {c: sum(1 for k in outcome.removed if k.category == c)
                   for c in ("raw", "financial")}
    out.print(f"{outcome.examined} partner files examined in "
              f"{', '.join(str(r) for r in roots(hub, settings))}")
    out.print(f"{len(outcome.removed)} {verb} (raw {by_category['raw']} older than "
              f"{settings.raw_days} days, financial {by_category['financial']} older than "
              f"{settings.financial_years} years); kept raw {outcome.kept['raw']}, "
              f"financial {outcome.kept['financial']}")
    if show:
        for kept in outcome.removed:
            out.print(f"  {verb} {kept.category:9} {kept.received:%Y-%m-%d}  {describe(kept)}")
    if not dry_run:
        fixed = tighten(hub.var_dir)
        if fixed:
            out.print(f"{fixed} files or folders under {hub.var_dir} made private (0600/0700)")


def audit_to(store: Store) -> Audit:
    """An audit callback writing one ``retention.delete`` row per removed file."""
    def audit(entity_id: str, detail: dict[str, object]) -> None:
        store.audit(ACTOR, "retention.delete", "partner_file", entity_id, old=detail)

    return audit

"""``hub report nightly --date D [--gemeente CODE] --out DIR``: the controllers' report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.console import Console

from hub.errors import ReportInputError, UnparsableSetting
from hub.report.collect import Options
from hub.report.edges import EdgeFolders
from hub.report.nightly import parse_silence, run_nightly

report_app = typer.Typer(help="Reports for controllers.", no_args_is_help=True)
out = Console(soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the ``report`` command group to the hub CLI."""
    app.add_typer(report_app, name="report")


@report_app.callback()
def report_group() -> None:
    """Reports for controllers."""


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)") from None


@report_app.command("nightly")
def nightly(day: str = typer.Option(..., "--date", help="Report date D (YYYY-MM-DD)."),
            gemeente: str = typer.Option(None, help="Only this gemeente (4-digit CBS code)."),
            out_dir: Path = typer.Option(..., "--out", file_okay=False,
                                         help="Folder for the HTML, XLSX and CSV files."),
            edges_root: Path = typer.Option(
                None, "--edges-root", file_okay=False,
                help="Read quarantine and ISI rejects from this folder laid out like var/ "
                     "(taalaanbieder/, financieel/, isi/; e.g. a scenario replay's "
                     "workspace) instead of the connectors' configured folders.")
            ) -> None:
    """Write the nightly reconciliation report of the store for date D."""
    from hub.runtime import Runtime
    from hub.settings import from_env

    options_day = _day(day)
    settings = from_env()
    try:
        silence = parse_silence(settings.report_silence_days)
    except UnparsableSetting as exc:
        raise typer.BadParameter(f"HUB_REPORT_SILENCE_DAYS: {exc}") from None
    tables = Runtime(settings).reconciler.tables
    edges = EdgeFolders.under(edges_root) if edges_root else EdgeFolders.configured(settings)
    options = Options(options_day, gemeente=gemeente, silence_days=silence, edges=edges)
    try:
        result = run_nightly(settings.effective_database_url, options, out_dir, tables)
    except ReportInputError as exc:
        raise typer.BadParameter(str(exc), param_hint="--gemeente") from None
    for path in result.paths:
        out.print(f"wrote {path}")
    for line in result.summaries:
        out.print(line)


@report_app.command("jaar")
def jaar(year: int = typer.Option(..., "--jaar", min=2000, max=2999,
                                  help="The year to account for (R16, SiSa)."),
         gemeente: str = typer.Option(None, help="Only this gemeente (4-digit CBS code)."),
         out_dir: Path = typer.Option(..., "--out", file_okay=False,
                                      help="Folder for verantwoording-<Y>.xlsx and the CSVs.")
         ) -> None:
    """Write the yearly SPUK account of year Y: received, spent, carried over, to pay back."""
    from datetime import UTC, datetime

    from hub.report.jaar import run_jaar
    from hub.runtime import Runtime
    from hub.settings import from_env

    settings = from_env()
    tables = Runtime(settings).reconciler.tables
    try:
        result = run_jaar(settings.effective_database_url, year, out_dir, tables,
                          gemeente=gemeente, today=datetime.now(UTC).date())
    except ReportInputError as exc:
        raise typer.BadParameter(str(exc), param_hint="--gemeente") from None
    for path in result.paths:
        out.print(f"wrote {path}")
    for line in result.summaries or ("geen gemeente met budget of bestedingen in dit jaar",):
        out.print(line)

"""``hub report nightly --date D [--gemeente CODE] --out DIR``: the controllers' report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.console import Console

from hub.report.collect import Options
from hub.report.nightly import ReportInputError, parse_silence, run_nightly

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
                                         help="Folder for the HTML, XLSX and CSV files.")
            ) -> None:
    """Write the nightly reconciliation report of the store for date D."""
    from hub.runtime import Runtime
    from hub.settings import from_env

    options_day = _day(day)
    settings = from_env()
    try:
        silence = parse_silence(settings.report_silence_days)
    except ValueError as exc:
        raise typer.BadParameter(f"HUB_REPORT_SILENCE_DAYS: {exc}") from None
    tables = Runtime(settings).reconciler.tables
    options = Options(options_day, gemeente=gemeente, silence_days=silence)
    try:
        result = run_nightly(settings.effective_database_url, options, out_dir, tables)
    except ReportInputError as exc:
        raise typer.BadParameter(str(exc), param_hint="--gemeente") from None
    for path in result.paths:
        out.print(f"wrote {path}")
    for line in result.summaries:
        out.print(line)

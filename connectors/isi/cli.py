"""``hub import isi FILE``: the legacy bulk import, with a progress bar and a rejects file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from connectors.edge import RuntimeSealer
from connectors.isi.importer import ImportResult, count_rows, import_file, rejects_path_for
from hub.publish import TopicWriter
from hub.runtime import Runtime, configure_logging
from hub.settings import from_env

import_app = typer.Typer(help="Bulk imports of legacy data.", no_args_is_help=True)
out = Console()


def register(app: typer.Typer) -> None:
    """Add the ``import`` command group to the hub CLI."""
    app.add_typer(import_app, name="import")


@import_app.callback()
def import_group() -> None:
    """Bulk imports of legacy data."""


@import_app.command("isi")
def isi(source: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                      help="ISI bulk export (connectors/isi/FORMAT.md)."),
        rejects: Path = typer.Option(None, help="Rejects file (default FILE.rejects.csv)."),
        batch_size: int = typer.Option(500, help="Records per produce batch.")) -> None:
    """Import an ISI export; re-importing the same file stores nothing twice."""
    settings = from_env()
    configure_logging("WARNING")
    runtime = Runtime(settings)
    rejects = rejects or rejects_path_for(source)
    result = asyncio.run(_run(runtime, source, rejects, batch_size))
    for topic, count in sorted(result.by_topic.items()):
        out.print(f"{count:8d}  {topic}")
    out.print(f"{result.rows} rows: {result.accepted} accepted, {result.rejected} refused "
              f"(reasons in {rejects})")


async def _run(runtime: Runtime, source: Path, rejects: Path, batch_size: int) -> ImportResult:
    settings = runtime.settings
    columns = (TextColumn("[bold]ISI import"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=out) as progress:
        task = progress.add_task("rows", total=count_rows(source))
        async with TopicWriter(settings.kafka_bootstrap, runtime.codec,
                               suffix=settings.topic_suffix) as writer:
            return await import_file(source, writer, RuntimeSealer(runtime), rejects,
                                     on_row=lambda: progress.advance(task),
                                     batch_size=batch_size)

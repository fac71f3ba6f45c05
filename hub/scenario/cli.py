"""``hub scenario generate|run|check``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from hub.errors import ConfigurationError
from hub.settings import from_env

scenario_app = typer.Typer(help="Seeded scenarios with ground truth: generate, replay, check.",
                           no_args_is_help=True)
out = Console(soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the ``scenario`` command group to the hub CLI."""
    app.add_typer(scenario_app, name="scenario")


@scenario_app.command("generate")
def generate(seed: int = typer.Option(..., help="Same seed, same bytes."),
             gemeenten: int = typer.Option(2, help="Number of gemeenten (at least 2)."),
             cases: int = typer.Option(500, help="Number of people."),
             years: int = typer.Option(3, help="Years the scenario covers."),
             start_year: int = typer.Option(2023, help="First year of the scenario."),
             out_dir: Path = typer.Option(..., "--out", help="Folder to write (empty or new).")
             ) -> None:
    """Write every partner's input in its own contract, and ground_truth.json."""
    from hub.scenario import Params
    from hub.scenario import generate as write

    params = Params(seed, gemeenten, cases, years, start_year)
    try:
        summary = write(params, out_dir, progress=lambda n: out.print(f"  {n} cases written"))
    except ConfigurationError as exc:
        out.print(f"[red]error[/red] {exc}")
        raise typer.Exit(2) from None
    files = ", ".join(f"{k} {v}" for k, v in summary.files.items())
    out.print(f"scenario {out_dir}: {summary.cases} cases, {summary.anomalies} anomalies; "
              f"files: {files}")


@scenario_app.command("run")
def run(folder: Path = typer.Argument(..., exists=True, file_okay=False,
                                      help="A scenario folder (generated or hand-written)."),
        stack: bool = typer.Option(True, help="Start broker and worker (--no-stack: use the "
                                   "running ones at HUB_KAFKA_BOOTSTRAP)."),
        workspace: Path = typer.Option(None, help="Where the replay keeps its copies and logs."),
        timeout: float = typer.Option(900.0, help="Give up after this many seconds.")) -> None:
    """Replay a scenario folder through the stack until everything is processed."""
    from hub.scenario.replay import run_scenario

    settings = from_env()
    result = run_scenario(settings, folder, lambda text: out.print(text, markup=False),
                          own_stack=stack, workspace=workspace, timeout_s=timeout)
    if (folder / "ground_truth.json").exists():
        from hub.scenario.replay import scenario_settings
        from hub.store import Store

        store = Store(scenario_settings(settings, folder).effective_database_url)
        try:
            _print_check(folder, store, run=result)
        finally:
            store.close()
    if result.problem:
        raise typer.Exit(1)


@scenario_app.command("check")
def check(folder: Path = typer.Argument(..., exists=True, file_okay=False),
          offline: bool = typer.Option(False, help="No stack: the connectors' translators and "
                                       "the rules on the folder itself."),
          edges: Path = typer.Option(None, help="The edges.json of the replay whose dead "
                                     "letters, quarantine and rejects to compare (default: the "
                                     "newest replay of the folder under var/scenario).")) -> None:
    """Compare the store (or, --offline, the rules on the folder) with ground_truth.json."""
    from hub.scenario.compare import read_edges
    from hub.scenario.replay import latest_edges
    from hub.store import Store

    if offline:
        raise typer.Exit(0 if _print_offline(folder) else 1)
    settings = from_env()
    found = edges or latest_edges(settings, folder)
    if found is None or not found.exists():
        out.print("[red]edges[/red] no edges.json of a replay of this folder: dead letters, "
                  "quarantine and ISI rejects cannot be compared (run `hub scenario run` or "
                  "pass --edges)")
    store = Store(settings.effective_database_url)
    try:
        ok = _print_check(folder, store, run=read_edges(found) if found and found.exists()
                          else None)
    finally:
        store.close()
    raise typer.Exit(0 if ok and found is not None and found.exists() else 1)


def _truth(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "ground_truth.json").read_text(encoding="utf-8")))


def _print_check(folder: Path, store: Any, run: Any = None) -> bool:
    from hub.scenario.compare import check as compare

    truth = _truth(folder)
    report = compare(store, truth, run=run)
    for line in report.lines(truth):
        out.print(line, markup=False)
    out.print("ground truth: [green]all matched[/green]" if report.ok
              else "ground truth: [red]mismatches[/red] (see above)")
    return report.ok


def _print_offline(folder: Path) -> bool:
    from hub.reconcile.tables import load_tables
    from hub.scenario.compare import check_views
    from hub.scenario.offline import replay
    from hub.scenario.replay import scenario_key

    truth = _truth(folder)
    result = replay(folder, scenario_key(folder) or from_env().case_ref_key, load_tables())
    for where, why in result.refused:
        out.print(f"refused  {where}: {why}")
    for ref, error in result.errors.items():
        out.print(f"[red]projection failed[/red] {ref}: {error}")
    report = check_views(result.views.items(), truth)
    for line in report.lines(truth):
        out.print(line, markup=False)
    return report.ok and not result.errors

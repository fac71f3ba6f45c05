"""``hub up --demo``: the default scenario replayed through the running stack, then the report.

The scenario (``hub.scenario.DEMO``: 2 gemeenten, 500 people, 3 years) is generated once into
``var/demo-scenario`` (the same seed gives the same files), replayed through the broker, worker
and connectors with every simulated partner, and when everything is processed the nightly
report is written to ``var/reports``, both for the scenario's last day (``last_day``): the
demo's data end there, so that is the day its aging, moves and running year are about. The
report's completeness section reads the replay workspace's quarantine and ISI rejects. The
scenario's last year has closed with it, so its yearly account (R16) is written beside it. The
partners keep running until Ctrl-C.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hub.agents.deadlines import sweep_now
from hub.reconcile.tables import load_tables
from hub.report.collect import Options
from hub.report.edges import EdgeFolders
from hub.report.jaar import run_jaar
from hub.report.nightly import NightlyResult, run_nightly
from hub.runtime import Runtime
from hub.scenario import DEMO, RunResult, generate, run_scenario, scenario_env
from hub.scenario.arrival import Arrival
from hub.settings import Settings

Say = Callable[[str], None]
FOLDER = "demo-scenario"


def prepare(settings: Settings, say: Say) -> Path:
    """Generate the demo scenario unless it is there; export its case-reference key to the
    environment the stack's children inherit."""
    folder = settings.var_dir / FOLDER
    if not (folder / "ground_truth.json").exists():
        say(f"demo     generating scenario seed {DEMO.seed}: {DEMO.gemeenten} gemeenten, "
            f"{DEMO.cases} people, {DEMO.years} years -> {folder}")
        generate(DEMO, folder)
    os.environ.update(scenario_env(folder))
    return folder


def last_day(folder: Path) -> date:
    """The scenario's last day (``einddatum`` of its ground truth): the day the demo's sweep
    and report are for, so aging, moves and the running year mean what they say whenever the
    folder was generated; today when the folder has no ground truth."""
    try:
        truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
        return date.fromisoformat(str(truth["einddatum"]))
    except (OSError, ValueError, KeyError):
        return datetime.now(UTC).date()


class DemoRun:
    """The replay in a thread; ``done`` is set once the report is written (or it failed)."""

    def __init__(self, settings: Settings, folder: Path, say: Say) -> None:
        self.settings, self.folder, self.say = settings, folder, say
        self.hold = threading.Event()
        self.done = threading.Event()
        self.result: RunResult | None = None
        self.report: NightlyResult | None = None
        self.thread = threading.Thread(target=self._run, name="demo-replay", daemon=True)

    def start(self) -> DemoRun:
        """Start replaying."""
        self.thread.start()
        return self

    def stop(self, timeout: float = 60.0) -> None:
        """Let the partners and connectors stop, and wait for them."""
        self.hold.set()
        self.thread.join(timeout)

    def _run(self) -> None:
        try:
            run_scenario(self.settings, self.folder, self.say, own_stack=False,
                         on_done=self._finished, hold=self.hold, arrival=Arrival.demo())
        except Exception as exc:  # the stack keeps running; say what went wrong
            self.say(f"demo     replay failed: {type(exc).__name__}: {exc}")
        finally:
            self.done.set()

    def _finished(self, result: RunResult) -> None:
        self.result = result
        if self.hold.is_set():  # stopped (Ctrl-C) before the replay was done: no report
            return
        day = last_day(self.folder)
        self._sweep(day)
        out = self.settings.var_dir / "reports"
        options = Options(day, edges=EdgeFolders.under(result.workspace))
        self.report = run_nightly(self.settings.effective_database_url, options, out,
                                  load_tables())
        self.say(f"report   nightly report for {day}: {self.report.html}")
        self.say(f"report   workbook {self.report.xlsx}")
        account = run_jaar(self.settings.effective_database_url, day.year, out, load_tables(),
                           today=day + timedelta(days=1), edges=options.edges)
        for line in account.summaries:
            self.say(f"report   verantwoording {line}")
        self.say(f"report   yearly account (R16) {account.xlsx}")
        self.done.set()

    def _sweep(self, day: date) -> None:
        """R18, R2: the deadline signals due today, now the replayed facts are projected (the
        worker's own sweep ran at its start, before the replay, and runs again daily)."""
        runtime = Runtime(self.settings)
        try:
            sent = sweep_now(runtime, day)
        finally:
            runtime.store.close()
        self.say(f"signals  {sent} deadline signals due on {day} queued for ISAM")

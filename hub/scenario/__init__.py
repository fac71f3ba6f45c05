"""A seeded scenario with ground truth: partner input in each partner's contract, a replay
through the embedded stack, and a check of the store against what should have happened.

* ``generate(Params(seed, gemeenten, cases, years), out)``: write a scenario folder
  (``FORMAT.md``) and its ``ground_truth.json``.
* ``run_scenario(settings, folder, say)``: replay a folder through broker, worker and connectors
  until everything is processed (``replay.py``); ``scenario_settings``/``scenario_env`` give
  the scenario's case-reference key to an existing stack (``hub up --demo``).
* ``check(store, truth, run=result)``: refused and held decisions, deadline signals, view
  fields, budgets (and with a replay's result dead letters, quarantine, rejects) against the
  ground truth; ``Report.ok`` and ``Report.lines(truth)`` (``compare.py``).
"""

from __future__ import annotations

from hub.scenario.compare import Report, check, check_views
from hub.scenario.generate import Summary, generate
from hub.scenario.model import DEMO, Params
from hub.scenario.replay import RunResult, run_scenario, scenario_env, scenario_settings

__all__ = ["DEMO", "Params", "Report", "RunResult", "Summary", "check", "check_views", "generate",
           "run_scenario", "scenario_env", "scenario_settings"]

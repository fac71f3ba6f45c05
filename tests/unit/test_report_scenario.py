"""The report's budget against a generated scenario's ground truth (the rules on the folder, no
broker): per gemeente and year the persons attributed (R15) and the amount approved, vouchers
(R22) included, are what the scenario says; the demo reports on the scenario's last day."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from hub.reconcile.tables import load_tables
from hub.report.collect import Collector, Options
from hub.report.columns import BUDGET, VOUCHERS
from hub.report.csvs import Tally
from hub.report.payments import Payments
from hub.scenario import Params, generate
from hub.scenario.offline import replay
from hub.scenario.replay import scenario_key
from hub.up_demo import last_day

TABLES = load_tables()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report-scenario") / "s"
    generate(Params(seed=21, gemeenten=2, cases=300, years=2), out)
    return out


def test_budget_approved_with_vouchers_and_persons_match_the_ground_truth(folder: Path) -> None:
    truth = json.loads((folder / "ground_truth.json").read_text())
    day = date.fromisoformat(truth["einddatum"])
    views = replay(folder, scenario_key(folder) or "", TABLES).views
    tally = Tally(keep_all=True)
    collector = Collector(Options(day, silence_days={}), TABLES, tally, Payments([]), {})
    for ref in sorted(views):
        if ref.startswith("FA"):
            collector.invoice(ref, views[ref])
    for ref in sorted(views):
        if ref.startswith("CR"):
            collector.case(ref, views[ref], None)
    collector.finish({}, [])
    b = BUDGET.index
    found = {(r[b("gemeente")], r[b("jaar")]): (r[b("zaken")], r[b("goedgekeurd")] + r[b(
        "vouchers")]) for r in tally.rows(BUDGET)}
    expected = {(t["gemeentecode"], t["jaar"]): (t["personen"], t["goedgekeurd_cent"])
                for t in truth["budget"] if t["jaar"] <= day.year}  # later years: no budget yet
    assert len(expected) >= 4 and any(v[1] for v in expected.values())
    assert {k: found.get(k, (0, 0)) for k in expected} == expected
    assert tally.total(BUDGET, "vouchers") == tally.total(VOUCHERS, "goedgekeurd") > 0


def test_the_demo_reports_on_the_scenarios_last_day(folder: Path, tmp_path: Path) -> None:
    assert last_day(folder) == date(2024, 12, 31)
    before = datetime.now(UTC).date()
    assert before <= last_day(tmp_path) <= datetime.now(UTC).date()  # no ground truth: today

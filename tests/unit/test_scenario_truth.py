"""The ground truth against the rules themselves (connectors' translators and the Reconciler on
the folder, no broker), and the pieces the comparison is built from."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hub.reconcile.tables import load_tables
from hub.scenario import Params, check_views, generate
from hub.scenario.budget import attribution, termijn_einde
from hub.scenario.compare import resolve
from hub.scenario.edges import edge_mismatches
from hub.scenario.model import Case, Pip
from hub.scenario.offline import replay
from hub.scenario.replay import scenario_key


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("truth") / "s"
    generate(Params(seed=33, gemeenten=3, cases=400, years=2), out)
    return out


def test_the_rules_reach_exactly_the_ground_truth(folder: Path) -> None:
    truth = json.loads((folder / "ground_truth.json").read_text())
    result = replay(folder, scenario_key(folder) or "", load_tables())
    report = check_views(result.views.items(), truth)
    assert result.errors == {}, "projection failed for some cases"
    assert report.ok, "\n".join(report.lines(truth))
    assert report.checked["beslissingen"] > 50 and report.checked["views"] > 10


def test_a_wrong_expectation_is_a_miss_and_an_extra(folder: Path) -> None:
    truth = json.loads((folder / "ground_truth.json").read_text())
    kind = {a["id"]: a["soort"] for a in truth["anomalies"]}
    decision = next(d for d in truth["beslissingen"] if kind[d["anomalie"]] == "R9.prijs")
    views = {decision["case_ref"]: {"beslissingen": [{**decision, "reden": "R9.eenheid"}]}}
    truth["beslissingen"] = [decision]
    for section in ("signalen", "views", "budget"):
        truth[section] = []
    report = check_views(views.items(), truth)
    assert len(report.misses) == 1 and len(report.extras) == 1
    assert report.by_kind(truth) == {"R9.prijs": 2}  # both name the case's anomaly


def _case(move: tuple[date, str, str] | None) -> Case:
    pip = Pip("u", "PIP-1", "VASTGESTELD", date(2023, 3, 1), date(2023, 3, 1), "B1")
    return Case(1, "111222333", "CR" + "0" * 30, None, "WI2021", "ASIELSTATUSHOUDER", "0363",
                date(2023, 1, 1), date(2023, 1, 1), date(2023, 2, 1), pips=[pip], move=move)


def test_attribution_follows_31_december_across_a_move() -> None:
    assert termijn_einde(date(2023, 3, 1)) == date(2026, 3, 1)  # R2: from the day after
    before = attribution(_case((date(2024, 12, 20), "0363", "0344")))
    after = attribution(_case((date(2025, 1, 6), "0363", "0344")))
    assert before == {2023: "0363", 2024: "0344", 2025: "0344", 2026: "0344"}
    assert after == {2023: "0363", 2024: "0363", 2025: "0344", 2026: "0344"}
    assert attribution(_case(None))[2026] == "0363"


def test_resolve_reads_paths_and_selected_list_entries() -> None:
    view: dict[str, Any] = {"deadlines": {"intake_op": "2024-01-02"}, "signalen": [
        {"type": "OVERDRACHT_VERHUIZING", "gemeentecode": "0363"},
        {"type": "PLICHT_VOLDAAN", "gemeentecode": "0599"},
        {"type": "OVERDRACHT_VERHUIZING", "gemeentecode": "0344"}]}
    assert resolve(view, "deadlines.intake_op") == "2024-01-02"
    assert resolve(view, "signalen[type=OVERDRACHT_VERHUIZING].gemeentecode") == ["0344", "0363"]
    assert resolve(view, "deadlines.missing.deeper") is None


def test_edges_pair_dead_letters_quarantine_and_rejects() -> None:
    truth = {"dead_letters": [{"anomalie": "A1", "topic": "t", "bevat": "BR-CO-16"}],
             "quarantaine": [{"anomalie": "A2", "partner": "taalaanbieder", "map": "B1",
                              "bestand": "x.xml", "regel": "XML-SYNTAX"}],
             "rejects": [{"anomalie": "A3", "partner": "isi", "regel": 7, "veld": "row_type"}]}
    run = SimpleNamespace(
        dead_letters=[{"source_topic": "t", "error_message": "f: BR-CO-16: off"},
                      {"source_topic": "u", "error_message": "other"}],
        quarantined=[{"partner": "taalaanbieder", "map": "B1", "bestand": "x.xml",
                      "regel": "XML-SYNTAX"}],
        rejects=[])
    found = edge_mismatches(truth, run)
    assert [(f.get("mist"), f.get("extra")) for f in found] == [(None, "dead letter"),
                                                                ("reject", None)]

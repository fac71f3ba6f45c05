"""Issue 7, acceptance 4: a generated scenario through the real broker, worker, connectors and
simulated partners; the refused and held decisions, deadline signals, view fields, budgets and
edge refusals in the store equal the ground truth exactly (no misses, no extras)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from hub.scenario import Params, check, generate, run_scenario, scenario_settings
from hub.store import Store
from hub.store.dead_letters import list_letters
from tests.integration.conftest import HubEnv

pytestmark = pytest.mark.integration


@pytest.mark.slow(20)
def test_small_scenario_through_the_stack_matches_its_ground_truth(
        hub_env: HubEnv, worker: subprocess.Popen[bytes], tmp_path: Path) -> None:
    folder = tmp_path / "scenario"
    generate(Params(seed=7, gemeenten=2, cases=50, years=1), folder)
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    said: list[str] = []
    settings = hub_env.settings()
    result = run_scenario(settings, folder, said.append, own_stack=False,
                          workspace=tmp_path / "replay", timeout_s=200)
    store = Store(scenario_settings(settings, folder).effective_database_url)
    try:
        report = check(store, truth, run=result)
        stored = list_letters(store.engine)
    finally:
        store.close()
    account = "\n".join([*said, *report.lines(truth)])
    assert result.problem is None, account
    assert report.ok, account
    assert report.checked["beslissingen"] == len(truth["beslissingen"]) > 20
    assert len(result.dead_letters) == len(truth["dead_letters"])
    # the store's dead_letter table holds them (the replay reads them from there): the
    # partners' refusals are edge letters, their payloads sealed
    assert {x.letter_id for x in stored} == {d["id"] for d in result.dead_letters}
    edge = [x for x in stored if x.kind == "edge"]
    assert edge and all(x.sealed and x.original_value is None for x in edge)
    assert result.topics["inburgering.taalaanbieder.factuur.v1"] > 10

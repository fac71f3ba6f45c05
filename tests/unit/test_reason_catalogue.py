"""One reason-code catalogue (REASONS.md) that cannot drift from the code, and the published JSON
Schema of the case view, validated against every view of a generated scenario."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

import schemas
from hub.reconcile import reasons
from hub.reconcile.ledger import REASONS
from hub.reconcile.tables import load_tables
from hub.scenario import Params, generate
from hub.scenario.offline import replay
from hub.scenario.replay import scenario_key

RECONCILE = Path(reasons.__file__).parent
CODE = re.compile(r"""["'](R\d+\.[a-z0-9]+(?:-[a-z0-9]+)*)["']""")


def test_reasons_md_is_the_generated_catalogue() -> None:
    assert (RECONCILE / "REASONS.md").read_text(encoding="utf-8") == reasons.markdown(), \
        "regenerate: python -m hub.reconcile.reasons > hub/reconcile/REASONS.md"


def test_every_code_the_rules_name_is_in_the_catalogue_with_its_rule_first() -> None:
    named = {m for path in RECONCILE.glob("*.py") for m in CODE.findall(path.read_text())}
    assert named - set(REASONS) == set(), "codes in the rules but not in ledger.REASONS"
    assert len(named) > 30
    for code, (beslissing, toelichting) in REASONS.items():
        assert re.fullmatch(r"R\d+\.[a-z0-9-]+", code) and beslissing in reasons.DECISIONS
        assert toelichting.endswith(".")


def test_every_signal_type_of_the_avro_enum_is_catalogued() -> None:
    symbols = schemas.load("nl.inburgering.hub.SignaalType")["symbols"]
    assert set(reasons.SIGNALS) == set(symbols)


@pytest.fixture(scope="module")
def scenario_views(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("views") / "s"
    generate(Params(seed=5, gemeenten=2, cases=150, years=2), out)
    result = replay(out, scenario_key(out) or "", load_tables())
    assert result.errors == {}
    return result.views


def test_every_view_of_a_generated_scenario_matches_the_published_schema(
        scenario_views: dict[str, dict]) -> None:
    schema = json.loads((RECONCILE / "case-view.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    kinds = {key[:2] for key in scenario_views}
    assert kinds == {"CR", "FA", "HH"}  # persons, invoices and households are all exercised
    for key, view in scenario_views.items():
        errors = sorted(validator.iter_errors(view), key=lambda e: list(e.absolute_path))
        assert not errors, f"{key}: {[f'{list(e.absolute_path)}: {e.message}' for e in errors][:3]}"


def test_the_schema_refuses_a_view_that_breaks_it(scenario_views: dict[str, dict]) -> None:
    schema = json.loads((RECONCILE / "case-view.schema.json").read_text(encoding="utf-8"))
    view = next(v for k, v in scenario_views.items() if k.startswith("CR") and v["beslissingen"])
    broken = {**view, "beslissingen": [{**view["beslissingen"][0], "goedgekeurd_cent": "68800"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)

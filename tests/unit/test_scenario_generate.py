"""``hub scenario generate``: same seed same bytes, valid BSNs (R20), DOMAIN §5 proportions, and
a ground truth that names every anomaly kind and no BSN."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from hub.errors import ConfigurationError
from hub.privacy import is_valid_bsn
from hub.reconcile.ledger import REASONS
from hub.scenario import Params, generate
from hub.scenario.anomalies import CASE_KINDS, EDGE_KINDS
from hub.scenario.compare import allowed
from hub.scenario.people import bsn_for

CASES = 300


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scenario") / "a"
    generate(Params(seed=5, gemeenten=3, cases=CASES, years=2), out)
    return out


@pytest.fixture(scope="module")
def truth(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "ground_truth.json").read_text(encoding="utf-8")))


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(
        folder: Path, tmp_path: Path) -> None:
    generate(Params(seed=5, gemeenten=3, cases=CASES, years=2), tmp_path / "b")
    generate(Params(seed=6, gemeenten=3, cases=CASES, years=2), tmp_path / "c")
    first = _digest(folder)
    assert len(first) > 50  # every partner wrote files
    assert _digest(tmp_path / "b") == first
    assert _digest(tmp_path / "c") != first


def test_every_bsn_in_the_partner_files_passes_the_eleven_test_except_the_injected_ones(
        folder: Path, truth: dict[str, Any]) -> None:
    bsns = _bsns(folder)
    invalid = [b for b in bsns if not is_valid_bsn(b)]
    injected = [a for a in truth["anomalies"] if a["soort"] == "ongeldig-bsn"]
    assert len(invalid) == len(injected) == len(EDGE_KINDS["ongeldig-bsn"])
    valid = {b for b in bsns if is_valid_bsn(b)}
    assert len(valid) > CASES * 0.9  # nearly every case is known to some partner


def _bsns(folder: Path) -> list[str]:
    """Every BSN field of DUO, ISAM, ISI, the Kredietbank and the schools' DUO files."""
    ns = "{http://inburgering-hub.nl/duo/inburgering/v1}"
    root = etree.parse(str(folder / "duo" / "wijzigingen.xml")).getroot()
    found = [e.text or "" for e in root.iter(f"{ns}Bsn")]
    for line in (folder / "isam" / "notificaties.jsonl").read_text().splitlines():
        found.append(json.loads(line)["gegevens"]["bsn"])
    for line in (folder / "kredietbank" / "mutaties.jsonl").read_text().splitlines():
        found.append(json.loads(line)["bsn"])
    for line in (folder / "isi" / "export.csv").read_text().splitlines()[1:]:
        if line.split(";")[0] != "BEZWAAR":
            found.append(line.split(";")[1])
    for path in folder.glob("taalaanbieder/*/inbox/*Aanlevering*.csv"):
        found += [row.split(";")[0] for row in path.read_text().splitlines()[1:]]
    return found


def test_bsns_are_unique_per_case_up_to_ten_million() -> None:
    sample = [bsn_for(3, i) for i in range(0, 10_000_000, 9_973)]
    assert len(set(sample)) == len(sample)
    assert all(is_valid_bsn(b) for b in sample)


def test_proportions_follow_domain_sizing(tmp_path: Path) -> None:
    generate(Params(seed=9, gemeenten=4, cases=2000, years=3), tmp_path / "p")
    truth = json.loads((tmp_path / "p" / "ground_truth.json").read_text())
    counts, n = truth["counts"], truth["counts"]["cases"]
    assert abs(counts["doelgroep.ASIELSTATUSHOUDER"] / n - 0.61) < 0.05  # 22.2k of 36.1k
    assert abs(counts["doelgroep.GEZINSMIGRANT"] / n - 0.29) < 0.05
    assert 0.85 < counts["regime.WI2021"] / n < 0.95
    per_gemeente = Counter(re.findall(r"<duo:Gemeentecode>(\d{4})<", (
        tmp_path / "p" / "duo" / "wijzigingen.xml").read_text()))
    ordered = [per_gemeente[c] for c in ("0363", "0344", "0599", "0392")]
    assert ordered == sorted(ordered, reverse=True)  # a large city first, then smaller ones
    lines = sum(p.read_text().count("<cac:InvoiceLine>") + p.read_text().count(
        "<cac:CreditNoteLine>") for p in (tmp_path / "p").rglob("*.xml"))
    assert 4_000 <= lines / 3 / n * 1000 <= 12_000  # invoice lines a year per 1,000 cases


def test_ground_truth_names_every_kind_with_an_expectation(truth: dict[str, Any]) -> None:
    kinds = {a["soort"] for a in truth["anomalies"]}
    assert kinds == set(CASE_KINDS) | set(EDGE_KINDS)
    expected = Counter(item["anomalie"] for section in ("beslissingen", "signalen", "views",
                                                         "dead_letters", "quarantaine",
                                                         "rejects")
                       for item in truth[section])
    silent = [a["soort"] for a in truth["anomalies"] if not expected[a["id"]]]
    assert silent == []
    codes = {code for d in truth["beslissingen"] for code in allowed(d["reden"])}
    reason_kinds = {k for k in CASE_KINDS if k in REASONS and k != "R10.verrekend"}
    assert reason_kinds <= codes
    assert {"R11.na-zes-maanden", "R11.niet-vrijwillig", "R24.na-einde-plicht"} <= reason_kinds
    assert truth["budget"] and all(b["personen"] >= 0 for b in truth["budget"])


def test_no_bsn_in_the_ground_truth_or_scenario_file(folder: Path) -> None:
    bsns = set(_bsns(folder))
    for name in ("ground_truth.json", "scenario.json"):
        numbers = set(re.findall(r"\d{8,9}", (folder / name).read_text()))
        assert not numbers & bsns, name


def test_refuses_parameters_it_cannot_honour(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="--cases"):
        generate(Params(seed=1, gemeenten=2, cases=10, years=1), tmp_path / "x")
    with pytest.raises(ConfigurationError, match="--gemeenten"):
        generate(Params(seed=1, gemeenten=1, cases=100, years=1), tmp_path / "y")
    (tmp_path / "z").mkdir()
    (tmp_path / "z" / "keep.txt").write_text("mine")
    with pytest.raises(ConfigurationError, match="not empty"):
        generate(Params(seed=1, gemeenten=2, cases=100, years=1), tmp_path / "z")

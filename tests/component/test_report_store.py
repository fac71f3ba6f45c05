"""The nightly report from a real store (SQLite and PostgreSQL): facts recorded through
``Store.record_batch``, views by the real projection, then CSV, XLSX and HTML read back as a
controller would, with the sections tying out and no BSN anywhere."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from hub.errors import ReportInputError
from hub.privacy import is_valid_bsn
from hub.reconcile.tables import load_tables
from hub.report.collect import Options
from hub.report.columns import (
    BUDGET,
    COMPLETENESS,
    DATE,
    EURO,
    EXCEPTIONS,
    INT,
    MOVES,
    SECTIONS,
    YEAR,
    Row,
    Section,
)
from hub.report.csvs import read_rows
from hub.report.nightly import NightlyResult, run_nightly
from tests.component.test_report_support import BSNS, DAY, A, B, C, D, build

TABLES = load_tables()
OPTIONS = Options(DAY, silence_days={"duo": 7, "kredietbank": 35})


@pytest.fixture
def store(store_url: str) -> Iterator[str]:
    """The test store's URL, built and projected."""
    build(store_url).close()
    yield store_url


def _run(url: str, out: Path, options: Options = OPTIONS) -> NightlyResult:
    return run_nightly(url, options, out, TABLES)


def _rows(result: NightlyResult, section: Section) -> list[dict[str, Any]]:
    keys = [c.key for c in section.columns]
    return [dict(zip(keys, row, strict=True)) for row in read_rows(
        section, result.csvs[section.key])]


def test_each_section_lists_what_the_store_holds(store: str, tmp_path: Path) -> None:
    result = _run(store, tmp_path)
    exceptions = _rows(result, EXCEPTIONS)
    assert {(r["case_ref"][:2], r["reden"], r["factuurdatum"]) for r in exceptions} == {
        ("CR", "R9.uren-niet-geleverd", date(2024, 6, 4)),
        ("CR", "R9.geen-presentie", date(2025, 6, 1)),
        ("FA", "R10.geen-zaakreferentie", date(2025, 4, 1))}
    assert [(r["case_ref"], r["van"], r["naar"], r["toegerekend_aan"]) for r in _rows(
        result, MOVES)] == [(A, "0363", "0599", "0599")]
    found = {(r["controle"], r["sleutel"]) for r in _rows(result, COMPLETENESS)}
    assert found == {("DUO_ZONDER_ISAM", B), ("ISAM_ZONDER_DUO", C), ("UREN_ZONDER_ZAAK", D),
                     ("BETALING_ZONDER_BOEKING", "BKONBEKEND00000000"),
                     ("PARTNER_STIL", "kredietbank")}
    budget = {(r["gemeente"], r["jaar"]): r for r in _rows(result, BUDGET)}
    assert budget[("0363", 2024)]["betaald"] == budget[("0363", 2024)]["goedgekeurd"] == 164_000
    assert budget[("0599", 2024)]["zaken"] == 2  # A by peildatum after the move, and B
    assert len(result.summaries) == len(SECTIONS)


def test_totals_tie_out_per_gemeente_and_year_and_overall(store: str, tmp_path: Path) -> None:
    result = _run(store, tmp_path)
    refused: dict[tuple[str, int], int] = {}
    held: dict[tuple[str, int], int] = {}
    for r in _rows(result, EXCEPTIONS):
        into = held if r["beslissing"] == "AANGEHOUDEN" else refused
        into[(r["gemeente"], r["jaar"])] = into.get((r["gemeente"], r["jaar"]), 0) + r["bedrag"]
    budget = _rows(result, BUDGET)
    for b in budget:
        key = (b["gemeente"], b["jaar"])
        assert refused.get(key, 0) == b["gefactureerd"] - b["goedgekeurd"] - b["aangehouden"]
        assert held.get(key, 0) == b["aangehouden"]
    total = {k: sum(b[k] for b in budget) for k in ("gefactureerd", "goedgekeurd", "aangehouden")}
    assert sum(refused.values()) + sum(held.values()) == total["gefactureerd"] - total[
        "goedgekeurd"] == 328_000 + 123_000 + 41_000
    unpaid = sum(r["bedrag"] for r in _rows(result, COMPLETENESS)
                 if r["controle"] == "BOEKING_ZONDER_BETALING")
    assert total["goedgekeurd"] == sum(b["betaald"] for b in budget) + unpaid


def test_same_store_and_date_give_the_same_bytes(store: str, tmp_path: Path) -> None:
    first, second = _run(store, tmp_path / "1"), _run(store, tmp_path / "2")
    for one, two in zip(first.paths, second.paths, strict=True):
        assert one.name == two.name
        assert one.read_bytes() == two.read_bytes(), one.name


def _sum_formula(ws: Any, formula: str) -> int:
    match = re.fullmatch(r"=SUM\(([A-Z]+)(\d+):\1(\d+)\)", formula)
    assert match, formula
    letter, first, last = match.group(1), int(match.group(2)), int(match.group(3))
    return sum(round((ws[f"{letter}{n}"].value or 0) * 100) for n in range(first, last + 1))


def test_the_workbook_reads_back_typed_with_formula_totals(store: str, tmp_path: Path) -> None:
    result = _run(store, tmp_path)
    wb = openpyxl.load_workbook(result.xlsx)
    assert wb.sheetnames == ["Samenvatting", *(s.sheet for s in SECTIONS)]
    assert wb.properties.created == datetime(2025, 6, 30)
    for section in SECTIONS:
        ws, rows = wb[section.sheet], list(read_rows(section, result.csvs[section.key]))
        assert [c.value for c in ws[1]] == [c.label for c in section.columns]
        assert ws.max_row == len(rows) + 2
        for xrow, row in zip(ws.iter_rows(min_row=2, max_row=len(rows) + 1), rows, strict=True):
            _assert_typed(section, [c.value for c in xrow], row)
        total = [c.value for c in ws[len(rows) + 2]]
        assert total[0] == "Totaal"
        for i in section.euro_columns():
            expected = sum(row[i] or 0 for row in rows)
            assert (_sum_formula(ws, total[i]) if rows else total[i]) == expected
    summary = {r[0]: r[1:] for r in wb["Samenvatting"].iter_rows(values_only=True)}
    assert summary["Gefactureerd"][0] == f"=Budget!G{len(_rows(result, BUDGET)) + 2}"
    assert summary["Uitzonderingen: som bedrag"][0].startswith("=Uitzonderingen!O")
    assert summary["Uitzonderingen aangehouden"][0].startswith("=SUMIF(Uitzonderingen!J2:J")
    assert round(summary["Gefactureerd"][1] * 100) - round(summary["Goedgekeurd"][1] * 100) == \
        round(summary["Uitzonderingen: som bedrag"][1] * 100)


def _assert_typed(section: Section, cells: list[Any], row: Row) -> None:
    for column, cell, value in zip(section.columns, cells, row, strict=True):
        if value is None:
            assert cell is None
        elif column.kind == EURO:
            assert isinstance(cell, int | float) and round(cell * 100) == value
        elif column.kind == DATE:
            assert isinstance(cell, datetime) and cell.date() == value
        elif column.kind in (INT, YEAR):
            assert isinstance(cell, int) and cell == value
        else:
            assert cell == value


NINE_DIGITS = re.compile(r"\b(?:CR|FA)[0-9A-F]{30}\b|(?<!\d)\d{9}(?!\d)")


def _texts(paths: list[Path]) -> Iterator[tuple[str, str]]:
    for path in paths:
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    yield f"{path.name}:{name}", archive.read(name).decode("utf-8")
        else:
            yield path.name, path.read_text(encoding="utf-8")


def test_no_bsn_in_any_output(store: str, tmp_path: Path) -> None:
    result = _run(store, tmp_path)
    scanned = 0
    for name, text in _texts(result.paths):
        scanned += 1
        for bsn in BSNS:
            assert bsn not in text, name
        numbers = [m.group() for m in NINE_DIGITS.finditer(text) if m.group().isdigit()]
        assert not [n for n in numbers if is_valid_bsn(n)], name
    assert scanned >= len(SECTIONS) + 2


def test_a_gemeente_report_has_only_that_gemeente(store: str, tmp_path: Path) -> None:
    result = _run(store, tmp_path, replace(OPTIONS, gemeente="0599"))
    assert result.html.name == "aansluitrapport-2025-06-30-0599.html"
    assert {r["gemeente"] for r in _rows(result, BUDGET)} == {"0599"}
    assert _rows(result, EXCEPTIONS) == []
    assert {r["controle"] for r in _rows(result, COMPLETENESS)} == {"DUO_ZONDER_ISAM",
                                                                    "PARTNER_STIL"}


@pytest.mark.parametrize(("code", "says"), [("9999", "unknown"), ("12a4", "4-digit")])
def test_an_unknown_or_malformed_gemeente_is_named(store: str, tmp_path: Path, code: str,
                                                    says: str) -> None:
    with pytest.raises(ReportInputError, match=f"'{code}'.*{says}"):
        _run(store, tmp_path, replace(OPTIONS, gemeente=code))
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob("*.csv"))


def test_the_cli_writes_the_report_and_names_bad_input(store: str, tmp_path: Path) -> None:
    from hub.cli import app

    env = {"HUB_HOME": str(tmp_path), "HUB_DATABASE_URL": store}
    runner = CliRunner()
    ok = runner.invoke(app, ["report", "nightly", "--date", "2025-06-30", "--out",
                             str(tmp_path / "out")], env=env)
    assert ok.exit_code == 0, ok.output
    written = [line for line in ok.output.splitlines() if line.startswith("wrote ")]
    assert len(written) == 2 + len(SECTIONS) and all(Path(w[6:]).exists() for w in written)
    assert any(line.startswith("uitzonderingen: 3 regels") for line in ok.output.splitlines())
    bad_date = runner.invoke(app, ["report", "nightly", "--date", "2025-13-01", "--out",
                                   str(tmp_path)], env=env)
    assert bad_date.exit_code == 2 and "2025-13-01" in bad_date.output
    unknown = runner.invoke(app, ["report", "nightly", "--date", "2025-06-30", "--gemeente",
                                  "9999", "--out", str(tmp_path)], env=env)
    assert unknown.exit_code == 2 and "9999" in unknown.output


def test_the_workers_scheduled_run_writes_the_days_report(store: str, tmp_path: Path) -> None:
    import asyncio

    from hub.agents.report import report_dir, write_with_retries
    from hub.runtime import Runtime
    from hub.settings import Settings

    runtime = Runtime(Settings(home=tmp_path, database_url=store))
    folder = report_dir(runtime)
    assert folder == tmp_path / "var" / "reports"
    assert asyncio.run(write_with_retries(runtime, DAY, folder, {"duo": 7}))
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        p.name for p in _run(store, tmp_path / "cli").paths)

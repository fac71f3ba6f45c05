"""The yearly account (R16) and the workbooks from a real store (SQLite and PostgreSQL): the
account ties out with the nightly report for 31 December and with the cases and decisions
behind it; every formula's cached value is what the formula computes; dead letters in the
store reach the completeness section; no day count is negative."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from hub.reconcile.tables import load_tables
from hub.report.collect import Options
from hub.report.columns import BUDGET, COMPLETENESS, INT, SECTIONS, Section
from hub.report.csvs import read_rows
from hub.report.jaar import ACCOUNT, ALLOCATION, SPENDING, TOTAL, JaarResult, run_jaar
from hub.report.nightly import NightlyResult, run_nightly
from hub.report.workbook import Book
from hub.store import NewDeadLetter, Store
from tests.component.test_report_support import DAY, build
from tests.formulas import evaluate

TABLES = load_tables()
YEAR = 2024


@pytest.fixture
def store(store_url: str) -> Iterator[str]:
    build(store_url).close()
    yield store_url


def _rows(path: Path, section: Section) -> list[dict[str, Any]]:
    keys = [c.key for c in section.columns]
    return [dict(zip(keys, r, strict=True)) for r in read_rows(section, path)]


def _jaar(url: str, out: Path, **kw: Any) -> JaarResult:
    return run_jaar(url, YEAR, out, TABLES, today=date(2025, 6, 30), **kw)


def test_the_account_ties_out_with_the_nightly_report_of_31_december(store: str,
                                                                       tmp_path: Path) -> None:
    nightly = run_nightly(store, Options(date(YEAR, 12, 31)), tmp_path / "n", TABLES)
    budget = [r for r in _rows(nightly.csvs[BUDGET.key], BUDGET) if r["jaar"] == YEAR]
    account = _jaar(store, tmp_path / "j")
    totals = [r for r in _rows(account.csvs[ACCOUNT.key], ACCOUNT) if r["post"] == TOTAL]
    assert {r["gemeente"] for r in totals} == {r["gemeente"] for r in budget if r["spuk_budget"]
                                               or r["besteed"] or r["meegenomen"]}
    for mine, theirs in (("ontvangen", "spuk_budget"), ("meegenomen", "meegenomen"),
                         ("besteed", "besteed"), ("meeneem", "meeneem"),
                         ("terug", "terugvordering")):
        assert sum(r[mine] for r in totals) == sum(r[theirs] for r in budget), mine
    assert sum(r["besteed"] for r in totals) == 164_000  # the approved April line (R9)
    assert {r["status"] for r in totals} == {"afgesloten"}


def test_every_figure_of_the_account_is_the_sum_of_what_is_behind_it(store: str,
                                                                     tmp_path: Path) -> None:
    account = _jaar(store, tmp_path)
    rows = _rows(account.csvs[ACCOUNT.key], ACCOUNT)
    spent, received = {}, {}
    for r in _rows(account.csvs[SPENDING.key], SPENDING):
        assert r["jaar"] == YEAR and r["regel"] == r["reden"].split(".")[0]
        spent[(r["gemeente"], r["post"])] = spent.get((r["gemeente"], r["post"]), 0) + r["bedrag"]
    for r in _rows(account.csvs[ALLOCATION.key], ALLOCATION):
        key = (r["gemeente"], r["post"])
        received[key] = received.get(key, 0) + r["bedrag"]
    posts = [r for r in rows if r["post"] != TOTAL]
    assert posts and all(r["besteed"] == spent.get((r["gemeente"], r["post"]), 0) for r in posts)
    assert all(r["ontvangen"] == received.get((r["gemeente"], r["post"]), 0) for r in posts)
    for total in (r for r in rows if r["post"] == TOTAL):
        mine = [r for r in posts if r["gemeente"] == total["gemeente"]]
        assert total["ontvangen"] == sum(r["ontvangen"] for r in mine)
        assert total["onbesteed"] == total["ontvangen"] + total["meegenomen"] - total["besteed"]
        assert total["meeneem"] + total["terug"] == max(total["onbesteed"], 0)
        assert total["meeneem"] <= total["ontvangen"]  # R16: at most 100% of the year's budget


def test_a_gemeente_account_and_a_year_still_running(store: str, tmp_path: Path) -> None:
    only = _jaar(store, tmp_path, gemeente="0599")
    assert only.xlsx.name == "verantwoording-2024-0599.xlsx"
    assert {r["gemeente"] for r in _rows(only.csvs[ACCOUNT.key], ACCOUNT)} == {"0599"}
    assert {r["gemeente"] for r in _rows(only.csvs[SPENDING.key], SPENDING)} <= {"0599"}
    running = run_jaar(store, YEAR, tmp_path / "r", TABLES, today=date(YEAR, 12, 1))
    assert {r["status"] for r in _rows(running.csvs[ACCOUNT.key], ACCOUNT)} == {"concept"}


def _formula_cells(wb: Any) -> Iterator[tuple[str, str, str]]:
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.startswith("="):
                    yield ws.title, c.coordinate, c.value


def _assert_cached(path: Path) -> int:
    formulas = openpyxl.load_workbook(path)
    cached = openpyxl.load_workbook(path, data_only=True)  # what a viewer without Excel shows
    checked = 0
    for sheet, ref, formula in _formula_cells(formulas):
        shown = cached[sheet][ref].value
        assert shown is not None, f"{sheet}!{ref} {formula} has no cached value"
        assert Decimal(str(shown)).quantize(Decimal("0.01")) == evaluate(formulas, sheet,
                                                                          formula), ref
        checked += 1
    return checked


def test_every_formula_carries_the_value_it_computes(store: str, tmp_path: Path) -> None:
    nightly = run_nightly(store, Options(DAY), tmp_path / "n", TABLES)
    assert _assert_cached(nightly.xlsx) > 20
    assert _assert_cached(_jaar(store, tmp_path / "j").xlsx) >= 2


def test_a_wrong_cached_value_is_caught(tmp_path: Path) -> None:
    book = Book("t", datetime(2025, 1, 1))
    ws = book.sheet("Blad")
    ws.append([1, 2])
    ws.append([book.formula(ws, "A2", "=SUM(A1:B1)".replace("B1", "A1"), Decimal("9"))])
    book.save(tmp_path / "t.xlsx")
    with pytest.raises(AssertionError):
        _assert_cached(tmp_path / "t.xlsx")


def test_every_sheet_prints_a4_landscape_one_page_wide_with_filter_and_titles(
        store: str, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(run_nightly(store, Options(DAY), tmp_path, TABLES).xlsx)
    for section in SECTIONS:
        ws = wb[section.sheet]
        last = openpyxl.utils.get_column_letter(len(section.columns))
        assert ws.auto_filter.ref == f"A1:{last}{ws.max_row - 1}"  # header and rows, no total
        assert ws.freeze_panes == "A2" and ws.print_title_rows == "$1:$1"
        setup = ws.page_setup
        assert (setup.orientation, str(setup.paperSize), setup.fitToWidth, setup.fitToHeight) == (
            "landscape", "9", 1, 0)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        for column, cell in zip(section.columns, ws[2], strict=False):
            if cell.value is not None and column.kind == "euro":
                assert cell.number_format == "#,##0.00"


def test_dead_letters_in_the_store_are_counted_by_topic_in_completeness(
        store: str, tmp_path: Path) -> None:
    hub = Store(store)
    hub.add_dead_letters([NewDeadLetter(
        letter_id=f"dl:c:{n}", consumer="c", source_topic="inburgering.duo.examenresultaat.v1",
        source_partition=0, source_offset=n, error_type="InvalidField", error_message="x",
        failed_at=datetime(2025, 6, 1 + n, tzinfo=UTC)) for n in range(4)])
    hub.discard_dead_letter("dl:c:3", actor="test", reason="settled: not counted")
    hub.close()
    result = run_nightly(store, replace(Options(DAY), gemeente="0599"), tmp_path, TABLES)
    [found] = [r for r in read_rows(COMPLETENESS, result.csvs[COMPLETENESS.key])
               if r[0] == "DODE_BRIEF"]
    c = COMPLETENESS.index
    assert (found[c("leverancier")], found[c("aantal")], found[c("datum")]) == (
        "duo", 3, date(2025, 6, 1))
    assert "hub dlq list --topic inburgering.duo.examenresultaat.v1" in found[c("sleutel")]


def test_no_day_count_is_negative_when_the_report_date_precedes_the_facts(
        store: str, tmp_path: Path) -> None:
    result: NightlyResult = run_nightly(store, Options(date(2023, 1, 1)), tmp_path, TABLES)
    checked = 0
    for section in SECTIONS:
        days = [i for i, col in enumerate(section.columns) if col.kind == INT
                and col.key == "dagen"]
        for row in read_rows(section, result.csvs[section.key]):
            for i in days:
                assert row[i] is None or row[i] >= 0, (section.key, row)
                checked += row[i] is not None
    assert checked > 3


def test_the_cli_writes_the_account_and_the_worker_writes_it_once_due(
        store: str, tmp_path: Path) -> None:
    from hub.agents.report import report_dir, write_year_if_due
    from hub.cli import app
    from hub.runtime import Runtime
    from hub.settings import Settings

    env = {"HUB_HOME": str(tmp_path), "HUB_DATABASE_URL": store}
    ok = CliRunner().invoke(app, ["report", "jaar", "--jaar", "2024", "--out",
                                  str(tmp_path / "cli")], env=env)
    assert ok.exit_code == 0, ok.output
    assert "wrote " in ok.output and "0363 2024: ontvangen" in ok.output
    bad = CliRunner().invoke(app, ["report", "jaar", "--jaar", "2024", "--gemeente", "12a4",
                                   "--out", str(tmp_path)], env=env)
    assert bad.exit_code == 2 and "12a4" in bad.output
    runtime = Runtime(Settings(home=tmp_path, database_url=store))
    folder = report_dir(runtime)
    assert not asyncio.run(write_year_if_due(runtime, date(2025, 1, 14), folder, (1, 15)))
    assert not (folder / "verantwoording-2024.xlsx").exists()
    assert asyncio.run(write_year_if_due(runtime, date(2025, 8, 1), folder, (1, 15)))
    assert (folder / "verantwoording-2024.xlsx").exists()
    assert not asyncio.run(write_year_if_due(runtime, date(2025, 8, 2), folder, (1, 15)))

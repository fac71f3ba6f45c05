"""What needs action first: the action list, the risk list by urgency (sample and CSV), the
refusals at the edge, and when the worker writes the yearly account."""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from hub.errors import UnparsableSetting
from hub.report.actions import NEW_DAYS
from hub.report.collect import Collector, Options
from hub.report.columns import ACTIONS, COMPLETENESS, RISKS, Row
from hub.report.csvs import CsvSink, Tally, read_rows
from hub.report.edges import EdgeFolders, refusals
from hub.report.payments import Payments
from hub.report.schedule import parse_month_day, year_due
from hub.report.sections import silence_rows
from tests.unit.test_report_sections import DAY, TABLES, A, B, C, line, run, view


def risk(ref: str, kind: str, limit: date | None, late: int | None) -> Row:
    return (ref, "0363", kind, "R18", limit, late, None, "t")


def test_the_risk_list_is_most_overdue_first_then_soonest_due_then_without_a_date() -> None:
    rows = [risk("CR1", "AFSCHALEN_MOGELIJK", None, None),
            risk("CR2", "TERMIJN_IN_GEVAAR", date(2025, 9, 1), 0),
            risk("CR3", "INTAKE_TE_LAAT", date(2025, 6, 1), 29),
            risk("CR4", "TERMIJN_IN_GEVAAR", date(2025, 7, 15), 0),
            risk("CR5", "PIP_TE_LAAT", date(2024, 6, 1), 394)]
    tally = Tally(sample=3)
    for row in rows:
        tally.add(RISKS, row)
    assert [r[0] for r in tally.sample(RISKS)] == ["CR5", "CR3", "CR4"]


def test_a_sorted_section_writes_its_whole_csv_in_rank_order(tmp_path: Path) -> None:
    rng = random.Random(5)
    rows = [risk(f"CR{n:05d}", "GESPREK_TE_LAAT", DAY - timedelta(days=late), late)
            for n, late in enumerate(rng.sample(range(1, 5000), 3000))]
    rows += [risk("CR99999", "AFSCHALEN_MOGELIJK", None, None),
             risk("CR99998", "TERMIJN_IN_GEVAAR", DAY + timedelta(days=3), 0)]
    sink = CsvSink(tmp_path, "t", sample=10)
    for row in rows:
        sink.add(RISKS, row)
    sink.close()
    back = list(read_rows(RISKS, sink.paths[RISKS.key]))
    assert len(back) == len(rows)
    days = [r[RISKS.index("dagen")] for r in back]
    assert days[:-2] == sorted(days[:-2], reverse=True) and days[0] == max(d for d in days if d)
    assert [r[0] for r in back[-2:]] == ["CR99998", "CR99999"]
    assert not list(tmp_path.glob("*.part")) and len(list(tmp_path.iterdir())) == len(sink.paths)


def test_new_exceptions_overdue_deadlines_and_silence_become_actions_in_priority_order(
) -> None:
    new = line("1", "0363", "AFGEWEZEN", 50_000, 0, reden="R9.prijs", invoice="F-NEW")
    old = line("2", "0363", "AFGEWEZEN", 90_000, 0, reden="R9.prijs", invoice="F-OLD")
    invoices = [("FA1", {"documenten": [
        {"message_id": "m-F-NEW", "factuurdatum": (DAY - timedelta(days=NEW_DAYS)).isoformat()},
        {"message_id": "m-F-OLD", "factuurdatum": (DAY - timedelta(days=NEW_DAYS + 1)
                                                   ).isoformat()}]})]
    late = {"intake_uiterlijk": "2025-03-01", "intake_op": None}
    later = {"intake_uiterlijk": "2025-05-01", "intake_op": None}
    tally = Tally(keep_all=True)
    collector = Collector(Options(DAY, silence_days={"duo": 7}), TABLES, tally, Payments([]),
                          {})
    for ref, v in invoices:
        collector.invoice(ref, v)
    collector.case(A, view(A, "0363", [new, old], deadlines=late), None)
    collector.case(B, view(B, "0363", deadlines=later), None)
    collector.case(C, view(C, "0599", deadlines=later), None)
    collector.finish({"duo": DAY - timedelta(days=30)}, [])
    actions = tally.rows(ACTIONS)
    kinds = [(r[0], r[1], r[2]) for r in tally.sample(ACTIONS)]
    assert kinds == [(1, "NIEUWE_UITZONDERING", "B10001 F-NEW regel 1"),
                     (3, "TERMIJN_VERSTREKEN", "INTAKE_TE_LAAT"),
                     (3, "TERMIJN_VERSTREKEN", "INTAKE_TE_LAAT"),
                     (4, "PARTNER_STIL_OF_WEIGERING", "PARTNER_STIL duo")]
    [g0363] = [r for r in actions if r[1] == "TERMIJN_VERSTREKEN" and r[4] == "0363"]
    assert (g0363[3], g0363[5], g0363[6]) == (A, date(2025, 3, 1), (DAY - date(2025, 3, 1)).days)
    assert g0363[8].startswith("2 zaken over tijd")
    assert run([(A, view(A, "0363", [new], deadlines=late))], gemeente="0599").rows(
        ACTIONS) == []


def _quarantine(folder: Path, name: str, rule: str, at: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("kapot")
    (folder / f"{name}.reason.txt").write_text(
        f"file: {name}\nrefused_at: {at}\nreason: {name}: {rule}: detail\n")


def test_refusals_at_the_edge_per_partner_with_count_oldest_and_where(tmp_path: Path) -> None:
    _quarantine(tmp_path / "taalaanbieder" / "B10001" / "quarantine", "a.xml", "XML-SYNTAX",
                "2025-06-01T10:00:00+00:00")
    _quarantine(tmp_path / "taalaanbieder" / "B10001" / "quarantine", "b.csv", "FORMAT",
                "2025-05-20T10:00:00+00:00")
    _quarantine(tmp_path / "financieel" / "quarantine", "c.xml", "XML-SYNTAX",
                "2025-06-29T10:00:00+00:00")
    (tmp_path / "taalaanbieder" / "B20002" / "quarantine").mkdir(parents=True)
    duo = tmp_path / "quarantine" / "duo"
    duo.mkdir(parents=True)
    (duo / "20250601T1000Z-HaalWijzigingen.xml").write_text("<x/>")
    (duo / "20250601T1000Z-HaalWijzigingen.xml.reason.txt").write_text(
        "operation: HaalWijzigingen\nreason: signature does not verify\n")
    (tmp_path / "isi").mkdir()
    with (tmp_path / "isi" / "x.csv.rejects.csv").open("w", newline="") as handle:
        out = csv.writer(handle, delimiter=";")
        out.writerows([("line", "row_type", "field", "reason"), (3, "PERSOON", "PERSOON.bsn", "r"),
                       (9, "BEZWAAR", "row_type", "r"), (12, "PERSOON", "PERSOON.bsn", "r")])
    found = {(g.controle, g.partner): g for g in refusals(EdgeFolders.under(tmp_path))}
    school = found[("QUARANTAINE", "taalaanbieder B10001")]
    assert (school.count, school.oldest, school.detail) == (
        2, date(2025, 5, 20), "regels: FORMAT 1, XML-SYNTAX 1")
    assert school.where == str(tmp_path / "taalaanbieder" / "B10001" / "quarantine")
    assert found[("QUARANTAINE", "financieel")].count == 1
    isi = found[("ISI_AFGEWEZEN", "isi")]
    assert (isi.count, isi.detail) == (3, "velden: PERSOON.bsn 2, row_type 1")
    assert (found[("QUARANTAINE", "duo")].count, found[("QUARANTAINE", "duo")].detail) == (
        1, "regels: HaalWijzigingen 1")
    assert len(found) == 4  # an empty quarantine is no finding
    row = school.row(DAY)
    assert (row[COMPLETENESS.index("dagen")], row[COMPLETENESS.index("aantal")]) == (41, 2)
    assert refusals(EdgeFolders.under(tmp_path / "nothing-here")) == []


def test_silence_rows_are_partner_wide_and_never_negative() -> None:
    rows = silence_rows({"duo": DAY + timedelta(days=3)}, {"duo": -1}, DAY)
    assert [r[6] for r in rows] == [0]


def test_the_yearly_account_is_rewritten_daily_until_the_sisa_deadline_then_once() -> None:
    jan15 = parse_month_day("01-15")
    assert year_due(date(2026, 1, 14), jan15, lambda y: False) is None
    assert year_due(date(2026, 1, 15), jan15, lambda y: False) == 2025
    assert year_due(date(2026, 7, 15), jan15, lambda y: y == 2025) == 2025  # still a draft
    assert year_due(date(2026, 7, 16), jan15, lambda y: y == 2025) is None
    assert year_due(date(2026, 11, 1), jan15, lambda y: False) == 2025  # catches up


@pytest.mark.parametrize("text", ["1-15", "13-01", "02-30", "0115", "jan"])
def test_a_bad_year_account_day_is_named(text: str) -> None:
    with pytest.raises(UnparsableSetting, match="MM-DD"):
        parse_month_day(text)

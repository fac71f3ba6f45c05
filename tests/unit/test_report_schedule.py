"""The report's plumbing: when the worker runs it, the silence thresholds, the stream merge."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from hub.errors import ConfigurationError, UnparsableSetting
from hub.report.collect import merged
from hub.report.nightly import parse_silence
from hub.report.schedule import catch_up, next_run, parse_time, seconds_until
from hub.report.sections import CaseFlags
from hub.settings import Settings

AMS = ZoneInfo("Europe/Amsterdam")
SIX = time(6, 0)


def test_next_run_is_today_before_the_time_and_tomorrow_after_it() -> None:
    assert next_run(datetime(2025, 6, 30, 5, 59, tzinfo=AMS), SIX) == datetime(
        2025, 6, 30, 6, 0, tzinfo=AMS)
    assert next_run(datetime(2025, 6, 30, 6, 0, tzinfo=AMS), SIX) == datetime(
        2025, 7, 1, 6, 0, tzinfo=AMS)


def test_seconds_until_counts_real_time_across_the_dst_change() -> None:
    before = datetime(2025, 3, 29, 6, 0, tzinfo=AMS)  # the clocks go forward that night
    assert seconds_until(before, next_run(before, SIX)) == 23 * 3600
    assert seconds_until(datetime(2025, 1, 1, 7, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)) == 0


def test_a_worker_started_after_the_time_catches_up_once() -> None:
    late = datetime(2025, 6, 30, 9, 0, tzinfo=AMS)
    assert catch_up(late, SIX, written=False)
    assert not catch_up(late, SIX, written=True)
    assert not catch_up(datetime(2025, 6, 30, 5, 0, tzinfo=AMS), SIX, written=False)


@pytest.mark.parametrize("text", ["6", "25:00", "06:7", "zes uur", "06:60"])
def test_a_bad_report_time_is_named(text: str) -> None:
    with pytest.raises(UnparsableSetting, match="report time"):
        parse_time(text)


def test_schedule_settings_name_the_bad_variable() -> None:
    from hub.agents.report import schedule_settings

    assert schedule_settings(Settings())[0] == SIX
    bad = "Nergens/Nooit=x"
    for settings, variable in ((replace(Settings(), report_time=bad), "HUB_REPORT_TIME"),
                               (replace(Settings(), report_timezone=bad), "HUB_REPORT_TIMEZONE"),
                               (replace(Settings(), report_silence_days=bad),
                                "HUB_REPORT_SILENCE_DAYS")):
        with pytest.raises(ConfigurationError, match=variable):
            schedule_settings(settings)


def test_silence_thresholds_parse_and_name_a_bad_item() -> None:
    assert parse_silence("duo=3, isam=10") == {"duo": 3, "isam": 10}
    assert parse_silence("")["taalaanbieder"] == 35
    with pytest.raises(UnparsableSetting, match="'duo'"):
        parse_silence("duo")


def test_views_and_flags_merge_on_the_case_reference() -> None:
    views = [("CR1", {"n": 1}), ("CR3", {"n": 3}), ("CR5", {"n": 5})]
    flags = [CaseFlags(ref, 1, 0, 0, 0) for ref in ("CR0", "CR3", "CR4", "CR9")]
    got = [(ref, view is not None, flag is not None) for ref, view, flag in merged(views, flags)]
    assert got == [("CR0", False, True), ("CR1", True, False), ("CR3", True, True),
                   ("CR4", False, True), ("CR5", True, False), ("CR9", False, True)]

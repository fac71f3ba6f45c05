"""When the worker writes the nightly report: a time of day in a time zone, caught up once
after a restart past that time. Pure: ``now`` is passed in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from hub.errors import UnparsableSetting


def parse_time(text: str) -> time:
    """``HH:MM`` -> time; ``UnparsableSetting`` naming the text otherwise."""
    hours, sep, minutes = text.strip().partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise UnparsableSetting(f"report time {text!r} is not HH:MM")
    try:
        return time(int(hours), int(minutes))
    except ValueError:
        raise UnparsableSetting(f"report time {text!r} is not HH:MM") from None


def today_at(now: datetime, at: time) -> datetime:
    """``at`` on ``now``'s day, in ``now``'s time zone."""
    return datetime.combine(now.date(), at, tzinfo=now.tzinfo)


def next_run(now: datetime, at: time) -> datetime:
    """The next moment the clock shows ``at``: today if still ahead, else tomorrow."""
    run = today_at(now, at)
    return run if now < run else today_at(now + timedelta(days=1), at)


def seconds_until(now: datetime, then: datetime) -> float:
    """Real seconds between two aware moments (right across a DST change)."""
    return max((then.astimezone(UTC) - now.astimezone(UTC)).total_seconds(), 0.0)


def catch_up(now: datetime, at: time, written: bool) -> bool:
    """Whether today's report is due now: past ``at`` and not written yet (after a restart)."""
    return now >= today_at(now, at) and not written


def parse_month_day(text: str) -> tuple[int, int]:
    """``MM-DD`` -> (month, day); ``UnparsableSetting`` naming the text otherwise (29 February too:
    a day every year has)."""
    month, sep, day = text.strip().partition("-")
    if not (sep and len(month) == 2 and len(day) == 2):
        raise UnparsableSetting(f"day {text!r} is not MM-DD")
    try:
        date(2001, int(month), int(day))
    except ValueError:
        raise UnparsableSetting(f"day {text!r} is not MM-DD") from None
    return int(month), int(day)


SISA_DEADLINE = (7, 15)  # R16: the verantwoording is due by 15 July of the next year


def year_due(today: date, month_day: tuple[int, int], written: Callable[[int], bool]
             ) -> int | None:
    """The year whose account (R16) the report run writes on ``today``: the previous one,
    every day from ``month_day`` up to the SiSa deadline (late invoices of December keep
    arriving), and after it once when it is missing (a worker started later catches up)."""
    if today < date(today.year, *month_day):
        return None
    year = today.year - 1
    if today <= date(today.year, *SISA_DEADLINE):
        return year
    return None if written(year) else year

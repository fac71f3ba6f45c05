"""When the worker writes the nightly report: a time of day in a time zone, caught up once
after a restart past that time. Pure: ``now`` is passed in."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta


def parse_time(text: str) -> time:
    """``HH:MM`` -> time; ``ValueError`` naming the text otherwise."""
    hours, sep, minutes = text.strip().partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"report time {text!r} is not HH:MM")
    try:
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"report time {text!r} is not HH:MM") from None


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

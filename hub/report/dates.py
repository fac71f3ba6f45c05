"""Dates as the report reads and counts them (no clock: the report date is passed in)."""

from __future__ import annotations

from datetime import date
from typing import Any


def as_day(value: Any) -> date | None:
    """A view's date (ISO text, or a ``date`` restored by the store) as ``date``."""
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def days_between(earlier: date | None, day: date) -> int | None:
    """Whole days from ``earlier`` to ``day`` (never negative), None without a date."""
    return None if earlier is None else max((day - earlier).days, 0)

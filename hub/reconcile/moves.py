"""Verhuizingen: the responsible gemeente over time and budget attribution (R15, R17).

The gemeente timeline is built from the first koppeling and every verhuizing, ordered by
date (then message id), so a move reported late still lands in its place (R21).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from hub.errors import UnparsableSetting
from hub.reconcile.model import Residence


@dataclass(frozen=True)
class Peildatum:
    """R15: the day of the year whose gemeente gets that year's budget (default 31 December)."""

    month: int = 12
    day: int = 31

    @classmethod
    def parse(cls, text: str) -> Peildatum:
        """``MM-DD`` -> Peildatum; ``UnparsableSetting`` naming the text when it is not a date."""
        try:
            month, day = (int(part) for part in text.split("-"))
            date(2024, month, day)
        except ValueError:
            raise UnparsableSetting(f"peildatum {text!r} is not MM-DD") from None
        return cls(month, day)

    def of(self, year: int) -> date:
        """The peildatum in ``year`` (29 February becomes the 28th in other years)."""
        leap_day = self.month == 2 and self.day == 29 and not calendar.isleap(year)
        return date(year, self.month, 28 if leap_day else self.day)


@dataclass(frozen=True)
class Move:
    """One verhuizing as the rules see it."""

    datum: date
    oud: str
    nieuw: str
    message_id: str


def residences(koppeling: tuple[str, date] | None, moves: Sequence[Move]) -> tuple[Residence, ...]:
    """R17: the gemeente over time: the koppeling's, then each move's new gemeente.

    Without a koppeling the first move's old gemeente is taken from the move itself.
    """
    ordered = sorted(moves, key=lambda m: (m.datum, m.message_id))
    start: tuple[str, date] | None = koppeling
    if start is None and ordered:
        start = (ordered[0].oud, date.min)
    if start is None:
        return ()
    steps = [start] + [(m.nieuw, m.datum) for m in ordered if start[1] <= m.datum]
    result = []
    for i, (code, vanaf) in enumerate(steps):
        tot = steps[i + 1][1] if i + 1 < len(steps) else None
        if tot is not None and tot <= vanaf and i + 1 < len(steps):
            continue  # a move on the koppeling day replaces it
        result.append(Residence(code, vanaf, tot))
    return tuple(result)


def gemeente_on(timeline: Sequence[Residence], day: date) -> str | None:
    """The gemeente responsible on ``day`` (R17)."""
    for residence in timeline:
        if residence.vanaf <= day and (residence.tot is None or day < residence.tot):
            return residence.gemeentecode
    return None


def attribution(timeline: Sequence[Residence], years: range,
                peildatum: Peildatum) -> dict[str, str]:
    """R15: year -> the gemeente where the person lived on that year's peildatum."""
    result = {}
    for year in years:
        code = gemeente_on(timeline, peildatum.of(year))
        if code is not None:
            result[str(year)] = code
    return result

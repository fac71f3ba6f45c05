"""How a school bills a route: one line per case per month, invoiced in arrears.

DOMAIN.md §5 expects 4-12k invoice lines a year per 1,000 cases; a monthly line for every case
on a route (and the Kredietbank's monthly fees) lands in that range. A line's hours are what the
contract pays (R9): the hours offered for a school that reports presentie (``grondslag``
aangeboden), the hours attended for a school that reports only the cumulative DUO file. The
invoice is dated ten days after the month; a month whose invoice would fall after the scenario
is not billed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from hub.scenario.model import SCHOOLS, Month, Route

ISSUE_AFTER = timedelta(days=10)


@dataclass(frozen=True)
class BilledLine:
    """One month of a route as billed."""

    month: Month
    hours: Decimal

    @property
    def begin(self) -> date:
        """Service period start (BT-134)."""
        return self.month.start

    @property
    def einde(self) -> date:
        """Service period end (BT-135)."""
        return self.month.end

    @property
    def issued(self) -> date:
        """Invoice date: ten days after the month."""
        return self.month.end + ISSUE_AFTER

    @property
    def tag(self) -> str:
        """``yyyymm`` of the month."""
        return f"{self.begin:%Y%m}"


def billable(month: Month, school: str) -> Decimal:
    """Hours of one month the contract pays for (R9)."""
    if SCHOOLS[school].feed == "duo":
        return attended(month)
    return month.aangeboden


def attended(month: Month) -> Decimal:
    """Hours attended (what the DUO school file reports as UrenGevolgd)."""
    return month.taal + month.knm + month.participatie


def billed_lines(route: Route, end: date) -> list[BilledLine]:
    """The route's monthly lines whose invoice falls inside the scenario."""
    lines = [BilledLine(m, billable(m, route.school)) for m in route.months]
    return [line for line in lines if line.issued <= end]


def target(route: Route, end: date) -> date | None:
    """The month an anomaly hits (its first day): the second billed month, else the first."""
    lines = billed_lines(route, end)
    if not lines:
        return None
    return (lines[1] if len(lines) > 1 else lines[0]).begin

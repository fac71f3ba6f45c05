"""The schools' progress reports in their drop-folder contract (taalaanbieder/FORMAT.md).

A school reports one of two ways: a monthly presentie CSV per school (``presentie_<yyyymm>.csv``,
hours of that month per case reference), or the monthly DUO school CSV
(``<BOW>Aanlevering<yyyymmdd>.csv``, cumulative attended hours per BSN since the course began).
Rows are appended case by case into one file per school and month.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from connectors.taalaanbieder.translate import BEVESTIGING_HEADER, DUO_HEADER, PRESENTIE_HEADER
from hub.scenario import billing
from hub.scenario.model import INGEKOCHT, SCHOOLS, Case, hours
from hub.scenario.streams import Appender

ROOT = "taalaanbieder"
BEVESTIGD_VOOR = timedelta(days=7)


def inbox(out: Path, school: str) -> Path:
    """The school's inbox folder in the scenario."""
    return out / ROOT / school / "inbox"


def csv_line(values: Sequence[object]) -> str:
    """One ``;``-separated line with CRLF, as the schools write it (values need no quoting)."""
    return ";".join("" if v is None else str(v) for v in values) + "\r\n"


class SchoolReports:
    """Appends a case's monthly rows to the files of its school."""

    def __init__(self, out: Path, appender: Appender, end: date) -> None:
        self.out, self.appender, self.end = out, appender, end
        self.rows = 0

    def add(self, c: Case) -> None:
        """Every month of ``c``'s route, in the school's way of reporting."""
        route = c.route
        if route is None:
            return
        if c.kind == "bevestiging-zonder-pip":
            self._bevestiging(c)
        if SCHOOLS[route.school].feed == "duo":
            self._duo(c)
            return
        skip = billing.target(route, self.end) if c.kind == "R9.geen-presentie" else None
        for m in route.months:
            if m.start == skip:
                continue  # R9: the school never reported this month
            path = inbox(self.out, route.school) / f"presentie_{m.start:%Y%m}.csv"
            self.appender.write(path, csv_line((
                c.ref, route.contract_id, route.leerroute, m.start, m.end, hours(m.aangeboden),
                hours(m.taal), hours(m.knm), hours(m.participatie), 0, hours(m.geoorloofd),
                hours(m.ongeoorloofd))), header=csv_line(PRESENTIE_HEADER))
            self.rows += 1

    def _bevestiging(self, c: Case) -> None:
        """The school accepts a Wi2013 learner the gemeente made no PIP for (FORMAT §4, §6)."""
        route = c.route
        assert route is not None
        day = route.start - BEVESTIGD_VOOR
        path = inbox(self.out, route.school) / f"bevestiging_{day:%Y%m}.csv"
        self.appender.write(path, csv_line((
            f"{route.school}-W13-{c.index:07d}", c.ref, "GEACCEPTEERD", route.start, "", day)),
            header=csv_line(BEVESTIGING_HEADER))

    def _duo(self, c: Case) -> None:
        route = c.route
        assert route is not None
        total = Decimal(0)
        for n, m in enumerate(route.months):
            total += billing.attended(m)
            last = n == len(route.months) - 1 and m.end <= self.end
            path = inbox(self.out, route.school) / f"{route.school}Aanlevering{m.end:%Y%m%d}.csv"
            self.appender.write(path, csv_line((
                c.bsn, route.leerroute, route.start, route.end if last else "",
                INGEKOCHT[route.leerroute], hours(total), 0)), header=csv_line(DUO_HEADER))
            self.rows += 1

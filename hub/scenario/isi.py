"""ISI's side: the bulk export of the older regimes (``connectors/isi/FORMAT.md``).

``isi/export.csv`` holds the Wi2013 tail (PERSOON, EXAMEN) and the Wi2007 PIB cases (PERSOON,
TRAJECT, PIBBUDGET, VOUCHER, EXAMEN), person by person; the writer counts lines so the ground
truth can name the line of every row the import must refuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from hub.scenario.model import Case
from hub.scenario.schools import csv_line
from hub.scenario.streams import Appender

FILE = "isi/export.csv"


def euro(cents: int) -> str:
    """An amount as ISI writes it (``5000,00``)."""
    return f"{cents // 100},{cents % 100:02d}"


class IsiWriter:
    """Appends rows to the export; ``line`` is the number of the last row written."""

    def __init__(self, out: Path, appender: Appender, seed: int) -> None:
        self.path = out / FILE
        self.appender = appender
        self.line = 1
        self.rows = 0
        appender.write(self.path, f"# ISI export (scenario, seed {seed})\n")

    def row(self, values: Sequence[object]) -> int:
        """Append one row; returns its line number."""
        self.appender.write(self.path, csv_line(values).replace("\r\n", "\n"))
        self.line += 1
        self.rows += 1
        return self.line

    def add(self, c: Case) -> None:
        """The rows ISI holds for a Wi2013 or Wi2007 case."""
        if c.regime not in ("WI2013", "WI2007"):
            return
        self.row(("PERSOON", c.bsn, f"{(c.index * 7919) % 10**10:010d}", c.regime, c.doelgroep,
                  c.plicht))
        for onderdeel, niveau, day, uitslag in c.exams:
            self.row(("EXAMEN", c.bsn, f"EX{c.index:07d}{onderdeel[:2]}", onderdeel, niveau, day,
                      uitslag, 480 if uitslag == "GESLAAGD" else 390))
        pib = c.pib
        if pib is None:
            return
        self.row(("TRAJECT", c.bsn, f"T-{c.index:07d}", "WI2007", pib.gemeente, "PIB",
                  "Taalcentrum Utrecht", "30000001", pib.start, pib.start + timedelta(days=300),
                  "4500,00", euro(pib.meerkosten_cent) if pib.meerkosten_cent else "",
                  "AFGEROND"))
        if pib.approved:
            self.row(("PIBBUDGET", c.bsn, pib.traject_id, pib.gemeente, pib.toekenning,
                      euro(pib.scholingsbudget_cent), euro(pib.meerkosten_cent), "250,00"))

    def voucher(self, c: Case, voucher: str, status_day: date) -> None:
        """A bonus voucher handed out once the traject had started (R22)."""
        assert c.pib is not None
        self.row(("VOUCHER", c.bsn, c.pib.traject_id, voucher, c.pib.gemeente, "INBURGERAAR",
                  "VOUCHER", "250,00", "UITGEREIKT", status_day, c.pib.start))

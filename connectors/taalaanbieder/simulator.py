"""A fake language school speaking the drop-folder contract of FORMAT.md over real files.

It writes the DUO monthly CSV, weekly presentie CSVs and UBL invoices into its inbox (atomically:
hidden temporary name, then rename), answers the aanmeldingen the hub puts in its outbox, and can
inject anomalies: a wrong price, a duplicate invoice number, hours not delivered, a credit note,
an invoice whose sums do not add up, and a malformed file.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from connectors.kit.folder import DropFolder, write_atomic
from connectors.taalaanbieder import ublgen
from connectors.taalaanbieder.aanmelding import HEADER as AANMELDING_HEADER
from connectors.taalaanbieder.translate import (
    BEVESTIGING_HEADER,
    DUO_HEADER,
    PRESENTIE_HEADER,
)


@dataclass
class Learner:
    """One inburgeraar at the school, as the school knows them."""

    bsn: str
    case_ref: str
    leerroute: str
    start: date
    uren_ingekocht: int
    aanmelding_id: str = ""
    uren_per_week: Decimal = Decimal(12)
    weeks: int = 0


def _csv(header: tuple[str, ...], rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


@dataclass
class SchoolSimulator:
    """One school's side of its drop folder."""

    folder: DropFolder
    name: str = "Taalschool Demo"
    kvk: str = "12345678"
    vat: str = "NL123456780B01"
    iban: str = "NL91ABNA0417164300"
    gemeente_oin: str = "00000001001234567000"
    hourly_price: Decimal = Decimal("41.00")
    learners: list[Learner] = field(default_factory=list)
    written: list[str] = field(default_factory=list)

    @property
    def bow(self) -> str:
        """The school's BOW-nummer: the drop folder's name."""
        return self.folder.name

    def drop(self, name: str, data: bytes) -> Path:
        """Put a file in the inbox the way a careful partner does (temp name, then rename)."""
        path = self.folder.inbox / name
        write_atomic(path, data)
        self.written.append(name)
        return path

    # -- presentie ---------------------------------------------------------------------------
    def duo_csv(self, day: date) -> Path:
        """The monthly DUO file: cumulative hours per learner up to ``day``."""
        rows: list[list[object]] = [
            [x.bsn, x.leerroute, x.start.isoformat(), "", x.uren_ingekocht,
             _hours(x.uren_per_week * x.weeks), 0] for x in self.learners]
        return self.drop(f"{self.bow}Aanlevering{day:%Y%m%d}.csv", _csv(DUO_HEADER, rows))

    def presentie(self, monday: date, *, contract_id: str = "C-2024-01") -> Path:
        """A weekly presentie file for every learner; advances each learner one week."""
        rows: list[list[object]] = []
        for n, x in enumerate(self.learners):
            x.weeks += 1
            excused = Decimal(2) if n % 5 == 1 else Decimal(0)
            unexcused = Decimal(3) if n % 7 == 2 else Decimal(0)
            taal = x.uren_per_week - excused - unexcused
            knm = Decimal(2) if x.leerroute != "Z" else Decimal(0)
            part = Decimal(8) if x.leerroute == "Z" else Decimal(0)
            rows.append([x.case_ref, contract_id, x.leerroute, monday.isoformat(),
                         (monday + timedelta(days=6)).isoformat(),
                         _hours(x.uren_per_week + knm + part), _hours(taal), _hours(knm),
                         _hours(part), 0, _hours(excused), _hours(unexcused)])
        return self.drop(f"presentie_{monday:%Y%m%d}.csv", _csv(PRESENTIE_HEADER, rows))

    # -- invoices ----------------------------------------------------------------------------
    def invoice(self, number: str, start: date, end: date, *, hours: Decimal | None = None,
                price: Decimal | None = None, payable_override: Decimal | None = None,
                credit_note_for: str | None = None, learners: list[Learner] | None = None
                ) -> Path:
        """An invoice (or credit note) over ``learners`` for the period; anomalies by keyword."""
        lines = [ublgen.Line(f"Lesuren {x.leerroute}-route {start:%Y-%m}",
                             hours if hours is not None else x.uren_per_week * x.weeks,
                             price if price is not None else self.hourly_price, start, end,
                             case_ref=x.case_ref, aanmelding_id=x.aanmelding_id or None)
                 for x in (learners if learners is not None else self.learners)]
        doc = ublgen.Document(number=number, issue_date=end, supplier_id=self.bow,
                              supplier_name=self.name, supplier_kvk=self.kvk,
                              buyer_reference="C-2024-01", buyer_oin=self.gemeente_oin,
                              buyer_name="Gemeente Demo", iban=self.iban, lines=lines,
                              credit_note_for=credit_note_for,
                              payable_override=payable_override, supplier_vat=self.vat)
        suffix = "cn" if credit_note_for else "inv"
        return self.drop(f"{number}-{suffix}-{len(self.written)}.xml", ublgen.render(doc))

    def malformed(self, kind: str = "xml") -> Path:
        """A file no parser accepts: truncated XML, or a CSV with a missing column."""
        if kind == "xml":
            return self.drop(f"kapot-{len(self.written)}.xml", b"<Invoice><cbc:ID>1</Invoice")
        bad = _csv(PRESENTIE_HEADER[:-1], [["CR" + "0" * 30, "x"]])
        return self.drop(f"presentie_kapot{len(self.written)}.csv", bad)

    # -- aanmeldingen ------------------------------------------------------------------------
    def answer_aanmeldingen(self, *, refuse_every: int = 0, today: date | None = None) -> int:
        """Read new aanmelding files from the outbox, answer them with one bevestiging file."""
        today = today or date.today()
        answers: list[list[object]] = []
        done = self.folder.outbox / "gelezen"
        for path in sorted(self.folder.outbox.glob("aanmelding_*.csv")):
            reader = csv.DictReader(io.StringIO(path.read_text("utf-8")), delimiter=";")
            assert tuple(reader.fieldnames or ()) == AANMELDING_HEADER
            for row in reader:
                n = len(answers) + 1
                refused = bool(refuse_every) and n % refuse_every == 0
                answers.append([row["aanmelding_id"], row["zaakreferentie"],
                                "AFGEWEZEN" if refused else "GEACCEPTEERD",
                                "" if refused else row["startdatum"],
                                "groep vol" if refused else "", today.isoformat()])
            done.mkdir(exist_ok=True)
            path.replace(done / path.name)
        if answers:
            self.drop(f"bevestiging_{today:%Y%m%d}_{len(self.written)}.csv",
                      _csv(BEVESTIGING_HEADER, answers))
        return len(answers)


def _hours(value: Decimal) -> str:
    return f"{value:f}".replace(".", ",")


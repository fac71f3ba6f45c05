"""The schools' e-invoices (Peppol BIS 3 UBL, ``connectors.taalaanbieder.ublgen``) and what the
reconciliation must decide on each line (R8-R10, R13, R17).

Regular lines go onto batch invoices per school, gemeente and month (at most ``BATCH`` lines
each), every line naming its case (BT-128). A case carrying an invoice anomaly gets extra
documents of its own (wrong price, duplicate number, credit notes, ...) in the same drop folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from connectors.taalaanbieder import ublgen
from connectors.ubl import invoice_key
from hub.scenario import billing
from hub.scenario.billing import BilledLine
from hub.scenario.model import SCHOOLS, Case, School, add_months
from hub.scenario.schools import inbox
from hub.scenario.truth import Truth

BATCH = 100
PRICE = Decimal("41.00")  # contractprijzen.csv: 4100 cents per hour for every scenario school
WRONG_PRICE = Decimal("47.50")


def buyer_oin(gemeente: str) -> str:
    """A test OIN for the gemeente (R20: ``00000099`` marks test OINs)."""
    return f"00000099{int(gemeente):09d}000"


def document(school: School, number: str, issued: date, gemeente: str, buyer_reference: str,
             lines: list[ublgen.Line], *, credit_note_for: str | None = None,
             payable_override: Decimal | None = None) -> ublgen.Document:
    """What ``school`` writes on an invoice (or credit note) to ``gemeente``, in its CIUS."""
    return ublgen.Document(
        number=number, issue_date=issued, supplier_id=school.bow, supplier_name=school.name,
        supplier_kvk=school.kvk, buyer_reference=buyer_reference,
        buyer_oin=buyer_oin(gemeente), buyer_name=f"Gemeente {gemeente}", iban=school.iban,
        lines=lines, credit_note_for=credit_note_for, payable_override=payable_override,
        supplier_vat=school.vat,
        customization=ublgen.SI_UBL if school.cius == "si-ubl" else ublgen.PEPPOL)


@dataclass
class Batch:
    """An open batch invoice of one school, gemeente and month."""

    number: str
    issued: date
    school: str
    gemeente: str
    lines: list[ublgen.Line] = field(default_factory=list)


class TaalInvoices:
    """Writes the schools' invoices and tells the truth what each line must get."""

    def __init__(self, out: Path, truth: Truth, end: date) -> None:
        self.out, self.truth, self.end = out, truth, end
        self.batches: dict[tuple[str, str, str], Batch] = {}
        self.serial: dict[tuple[str, str, str], int] = {}
        self.documents = 0

    def add(self, c: Case) -> None:
        """Bill ``c``'s route month by month; anomalies add or replace documents."""
        route = c.route
        if route is None or (route.leerroute == "NT2" and c.kind != "bevestiging-zonder-pip"):
            return  # Wi2013 courses the gemeente did not buy are not billed to it
        target = billing.target(route, self.end)
        late = self._late(c)
        for line in billing.billed_lines(route, self.end):
            if late is not None and line.begin >= late[0]:
                late[2].append(line)
                continue
            own = line.begin == target and _special(c.kind)
            if own:
                self._anomaly(c, line)
            else:
                self._regular(c, line, reden=self._expected(c, line, target))
            if line.begin == target and not own:
                self._extra(c, line)
        if late is not None and late[2]:
            self._late_document(c, late[1], late[2])

    def _late(self, c: Case) -> tuple[date, date, list[BilledLine]] | None:
        """R13.na-plicht-voldaan: from the ontheffing's month on, the lines go on one document
        issued more than 4 months after the plicht ended (if that is inside the scenario)."""
        if c.kind != "R13.na-plicht-voldaan" or c.ontheffing is None:
            return None
        issued = add_months(c.ontheffing, 4) + timedelta(days=10)
        return (c.ontheffing.replace(day=1), issued, []) if issued <= self.end else None

    def _late_document(self, c: Case, issued: date, lines: list[BilledLine]) -> None:
        assert c.route is not None and c.ontheffing is not None
        number = f"{c.route.school}-X{c.index:07d}-L"
        batch = Batch(number, issued, c.route.school, c.gemeente_on(lines[0].begin) or c.gemeente,
                      [_ubl_line(c, line, line.hours, PRICE) for line in lines])
        self._write(batch, f"{number}.xml")
        for n, line in enumerate(lines, 1):  # after the ontheffing R24 applies as well (R13 too)
            reden: str | list[str] = "R13.na-plicht-voldaan" if line.begin <= c.ontheffing \
                else ["R24.na-einde-plicht", "R13.na-plicht-voldaan"]
            self._judge(c, line, reden, c.route.school, number, n, PRICE * line.hours)

    @staticmethod
    def _expected(c: Case, line: BilledLine, target: date | None) -> str | None:
        """The refusal a regular line of this case must get (None: approved)."""
        if c.kind in ("R8.geen-keurmerk", "R9.geen-contractprijs", "R17.geen-gemeente"):
            return c.kind
        if c.ontheffing is not None and line.begin > c.ontheffing:
            return "R24.na-einde-plicht"  # R24: no service after the plicht ended
        if c.kind in ("R13.lening-kwartaalplafond", "R9.geen-presentie") and \
                line.begin == target:
            return c.kind
        return None

    def _regular(self, c: Case, line: BilledLine, *, reden: str | None) -> None:
        """Put the line on its batch invoice (written once it holds ``BATCH`` lines)."""
        assert c.route is not None
        school = c.route.school
        gemeente = c.gemeente_on(line.begin) or c.gemeente
        key = (school, gemeente, line.tag)
        batch = self.batches.get(key)
        if batch is None:
            self.serial[key] = self.serial.get(key, 0) + 1
            number = f"{school}-{gemeente}-{line.tag}-{self.serial[key]:03d}"
            batch = self.batches[key] = Batch(number, line.issued, school, gemeente)
        batch.lines.append(_ubl_line(c, line, line.hours, PRICE))
        regel = len(batch.lines)
        self._judge(c, line, reden, school, batch.number, regel, PRICE * line.hours)
        if len(batch.lines) >= BATCH:
            self._write(batch, f"{batch.number}.xml")
            del self.batches[key]

    def _judge(self, c: Case, line: BilledLine, reden: str | list[str] | None, school: str,
               number: str, regel: int, amount: Decimal) -> None:
        self.truth.judge(c, reden, _cents(amount), view=c.ref, anomaly=self.truth.anomaly_of(c),
                         leverancier=school, factuurnummer=number, regelnummer=regel,
                         dienstdatum=line.begin)

    def _anomaly(self, c: Case, line: BilledLine) -> None:
        """The target month of an anomaly that replaces the regular line."""
        assert c.route is not None and c.kind is not None
        tag = f"{c.route.school}-X{c.index:07d}"
        if c.kind in ("R9.prijs", "R10.creditnota-op-geweigerde-factuur"):
            self._single(c, line, f"{tag}-P", line.issued, line.hours, WRONG_PRICE, "R9.prijs")
            if c.kind != "R9.prijs":
                self._single(c, line, f"{tag}-PC", line.issued + timedelta(days=5), line.hours,
                             WRONG_PRICE, c.kind, credits=f"{tag}-P")
            self._single(c, line, f"{tag}-PK", line.issued + timedelta(days=20), line.hours,
                         PRICE, None)
        elif c.kind == "R9.uren-niet-geleverd":
            self._single(c, line, f"{tag}-U", line.issued, line.hours + 20, PRICE, c.kind)
            self._single(c, line, f"{tag}-UK", line.issued + timedelta(days=20), line.hours,
                         PRICE, None)

    def _extra(self, c: Case, line: BilledLine) -> None:
        """Documents an anomaly adds beside the regular line of its target month."""
        assert c.route is not None
        school, tag, day = c.route.school, f"{c.route.school}-X{c.index:07d}", line.issued
        kind = c.kind
        if kind == "R9.dubbel-factuurnummer":
            number = self._number_of(c, line)
            self._single(c, line, number, day + timedelta(days=15), line.hours, PRICE, kind,
                         file=f"{number}-dubbel.xml")
        elif kind == "R9.dubbele-periode":
            self._single(c, line, f"{tag}-D", day + timedelta(days=15), line.hours, PRICE, kind)
        elif kind == "R9.geen-aanmelding":
            self._single(c, line, f"B60006-X{c.index:07d}-A", day, line.hours, PRICE, kind,
                         school="B60006")
        elif kind == "R10.gecrediteerde-factuur-onbekend":
            self._single(c, line, f"{tag}-C", day + timedelta(days=15), Decimal(2), PRICE, kind,
                         credits=f"{tag}-ONBEKEND")
        elif kind == "R10.verrekend":
            self._single(c, line, f"{tag}-V", day + timedelta(days=15), Decimal(2), PRICE,
                         "verrekend", credits=self._number_of(c, line))
        elif kind == "R10.geen-zaakreferentie":
            self._single(c, line, f"{school}-GROEP-{c.index:07d}", day, Decimal(3), PRICE, kind,
                         anonymous=True)

    def _number_of(self, c: Case, line: BilledLine) -> str:
        assert c.route is not None
        gemeente = c.gemeente_on(line.begin) or c.gemeente
        key = (c.route.school, gemeente, line.tag)
        return self.batches[key].number if key in self.batches else \
            f"{c.route.school}-{gemeente}-{line.tag}-{self.serial[key]:03d}"

    def _single(self, c: Case, line: BilledLine, number: str, issued: date, qty: Decimal,
                price: Decimal, reden: str | None, *, credits: str | None = None,
                school: str | None = None, file: str | None = None,
                anonymous: bool = False) -> None:
        """A document with one line for ``c`` (or for no case) and its expected decision."""
        assert c.route is not None
        school = school or c.route.school
        ubl = _ubl_line(c, line, qty, price)
        if anonymous:
            ubl = ublgen.Line(ubl.description, qty, price, line.begin, line.einde)
        batch = Batch(number, issued, school, c.gemeente_on(line.begin) or c.gemeente, [ubl])
        self._write(batch, file or f"{number}.xml", credits=credits)
        view = invoice_key(school, number) if anonymous else c.ref
        if reden == "verrekend":
            self.truth.approve(c.gemeente_on(line.begin), line.begin.year, -_cents(qty * price))
            self.truth.view(c, f"beslissingen[factuurnummer={number}].reden", ["R10.verrekend"])
        else:
            self.truth.judge(c, reden, _cents(qty * price), view=view,
                             anomaly=self.truth.anomaly_of(c), leverancier=school,
                             factuurnummer=number, regelnummer=1, dienstdatum=line.begin)

    def _write(self, batch: Batch, name: str, credits: str | None = None) -> None:
        doc = document(SCHOOLS[batch.school], batch.number, batch.issued, batch.gemeente,
                       f"INK-{batch.gemeente}", batch.lines, credit_note_for=credits)
        path = inbox(self.out, batch.school) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(ublgen.render(doc))
        self.documents += 1

    def close(self) -> None:
        """Write every batch still open."""
        for key in sorted(self.batches):
            batch = self.batches[key]
            self._write(batch, f"{batch.number}.xml")
        self.batches.clear()


def _special(kind: str | None) -> bool:
    """Kinds whose target month is billed on documents of their own."""
    return kind in ("R9.prijs", "R10.creditnota-op-geweigerde-factuur", "R9.uren-niet-geleverd")


def _ubl_line(c: Case, line: BilledLine, qty: Decimal, price: Decimal) -> ublgen.Line:
    assert c.route is not None
    return ublgen.Line(f"Lesuren {c.route.leerroute}-route {line.begin:%Y-%m}", qty, price,
                       line.begin, line.einde, case_ref=c.ref)


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())

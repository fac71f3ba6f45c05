"""Wi2007 PIB cases (R22): the school's invoice against the traject budget, and the vouchers.

Regular PIB cases have an approved budget (ISI PIBBUDGET), a monthly invoice within it and one
bonus voucher handed out after the start. The anomalies add a line beyond the budget, leave the
plan unapproved (only an ISAM trajectplan, INGEDIEND), or add an ISAM voucher that is too high,
handed out before the start, or paid in the wrong form.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from connectors.taalaanbieder import ublgen
from hub.scenario.invoices import document
from hub.scenario.isam import IsamWriter
from hub.scenario.isi import IsiWriter
from hub.scenario.model import SCHOOLS, Case, add_months, month_end
from hub.scenario.schools import inbox
from hub.scenario.truth import Truth

SCHOOL = "B10001"
MONTHS = 10
HOURS, PRICE = Decimal(10), Decimal("45.00")  # 450 EUR a month: 4,500 of the 5,000 budget
# kind -> (ontvanger, vorm, waarde in cents, status day after the traject start in days)
VOUCHERS = {"R22.voucher-te-hoog": ("MAKELAAR_PROFESSIONAL", "GELD", 30_000, 100),
            "R22.bonus-voor-start": ("INBURGERAAR", "VOUCHER", 25_000, -10),
            "R22.vorm": ("MAKELAAR_VRIJWILLIGER", "GELD", 10_000, 50)}


class PibWriter:
    """Writes what the school, ISI and ISAM know of a PIB case; tells the truth."""

    def __init__(self, out: Path, truth: Truth, isi: IsiWriter, isam: IsamWriter) -> None:
        self.out, self.truth, self.isi, self.isam = out, truth, isi, isam

    def add(self, c: Case) -> None:
        """Invoice, vouchers and (for an unapproved plan) the ISAM trajectplan."""
        pib = c.pib
        if pib is None:
            return
        anomaly = self.truth.anomaly_of(c)
        if pib.approved:
            self.isi.voucher(c, "V-0001", pib.start + timedelta(days=300))
            self.truth.approve(pib.gemeente, (pib.start + timedelta(days=300)).year, 25_000)
        else:
            self.isam.resource(str(c.index), c.bsn, "pibtrajectplan", pib.toekenning,
                               gemeentecode=pib.gemeente, pibTrajectId=pib.traject_id,
                               status="INGEDIEND", indieningsdatum=pib.toekenning,
                               aanbieder=SCHOOL, geplandeStartdatum=pib.start,
                               begrotingCent=pib.scholingsbudget_cent)
        if c.kind in VOUCHERS:
            ontvanger, vorm, waarde, days = VOUCHERS[c.kind]
            day = pib.start + timedelta(days=days)
            self.isam.resource(str(c.index), c.bsn, "pibvoucher", day, 2,
                               gemeentecode=pib.gemeente, pibTrajectId=pib.traject_id,
                               voucherId="V-0002", ontvanger=ontvanger, vorm=vorm,
                               waardeCent=waarde, status="UITGEREIKT", statusdatum=day,
                               trajectstartdatum=pib.start)
            self.truth.refuse_voucher(c, anomaly, "V-0002", c.kind)
        self._invoice(c, anomaly)

    def _invoice(self, c: Case, anomaly: str | None) -> None:
        pib = c.pib
        assert pib is not None
        first = pib.start.replace(day=1)
        months = [add_months(first, n) for n in range(MONTHS)]
        lines = [ublgen.Line(f"PIB traject {m:%Y-%m}", HOURS, PRICE, m, month_end(m),
                             case_ref=c.ref) for m in months]
        if c.kind == "R22.budget-overschreden":
            extra = months[-1]
            lines.append(ublgen.Line("Aanvullende lessen", Decimal(1), Decimal("1000.00"), extra,
                                     month_end(extra), case_ref=c.ref))
        number = f"{SCHOOL}-PIB-{c.index:07d}"
        school = SCHOOLS[SCHOOL]
        issued = month_end(months[-1]) + timedelta(days=10)
        doc = document(school, number, issued, pib.gemeente, pib.traject_id, lines)
        path = inbox(self.out, SCHOOL) / f"{number}.xml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(ublgen.render(doc))
        for n, line in enumerate(lines, 1):
            self.truth.judge(c, self._reason(c, n), int(line.amount * 100), view=c.ref,
                             anomaly=anomaly, leverancier=SCHOOL, factuurnummer=number,
                             regelnummer=n, dienstdatum=line.start)

    @staticmethod
    def _reason(c: Case, n: int) -> str | None:
        if c.kind == "R22.plan-niet-goedgekeurd":
            return c.kind
        if c.kind == "R22.budget-overschreden" and n > MONTHS:
            return c.kind
        return None


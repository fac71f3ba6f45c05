"""The Kredietbank's side: payments and ends as mutaties, fee invoices in UBL (R11, R12).

Written in the Kredietbank's API contract (``connectors/kredietbank/FORMAT.md``, section
"Scenario folder"): ``kredietbank/mutaties.jsonl`` (what ``GET /mutaties`` serves, numbered in
time order), ``kredietbank/facturen/<nummer>.xml`` and ``kredietbank/facturen.jsonl`` (the
order ``GET /facturen`` lists them in). One invoice per household after its ontzorgen: the
intake once and budgetbeheer per active month, at the dated fees of ``kredietbank.csv``.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.kredietbank import ublgen
from connectors.kredietbank.ublgen import Fee
from hub.reconcile.tables import Tables
from hub.scenario.invoices import buyer_oin
from hub.scenario.isam import CREDITORS
from hub.scenario.model import Case, add_months, month_end
from hub.scenario.streams import Appender, Feed
from hub.scenario.truth import Truth

SUPPLIER = ublgen.SUPPLIER_KVK  # the Kredietbank's id in kredietbank.csv
MUTATIES = "kredietbank/mutaties.jsonl"
INDEX = "kredietbank/facturen.jsonl"
FOLDER = "kredietbank/facturen"


class KredietbankWriter:
    """Mutaties and invoices of every household in ontzorgen."""

    def __init__(self, out: Path, appender: Appender, truth: Truth, tables: Tables,
                 end: date) -> None:
        self.out, self.truth, self.tables, self.end = out, truth, tables, end
        self.mutaties = Feed(out / ".tmp" / "kb-mutaties", appender)
        self.facturen = Feed(out / ".tmp" / "kb-facturen", appender)

    def add(self, c: Case) -> None:
        """Payments per month and creditor, an early end, and the household's invoice."""
        o = c.ontzorgen
        if o is None:
            return
        months = [add_months(o.start, n) for n in range((o.end.year - o.start.year) * 12
                                                        + o.end.month - o.start.month + 1)]
        billed = [m for m in months if month_end(m) + timedelta(days=5) <= self.end]
        if c.companion:  # the household is paid once; its second member is billed again
            if billed:
                self._duplicate(c, billed)
            return
        for n, month in enumerate(m for m in months if m <= self.end):
            for soort, _, iban, cents in CREDITORS:
                failed = soort == "HUUR" and n == 1 and c.index % 20 == 0
                paid = month + timedelta(days=2)
                self._mutatie(paid, {
                    "soort": "BETALING", "betalingId": f"{o.huishouden}-{month:%Y%m}-{soort}",
                    "huishoudenId": o.huishouden, "bsn": c.bsn, "periode": f"{month:%Y-%m}",
                    "crediteurSoort": soort, "crediteurIban": iban, "bedragCent": cents,
                    "status": "MISLUKT" if failed else "BETAALD",
                    "betaaldatum": None if failed else paid.isoformat(),
                    "redenMislukt": "onvoldoende saldo" if failed else None})
        if o.stopped_after is not None and o.end <= self.end:
            self._mutatie(o.end, {"soort": "EINDE", "huishoudenId": o.huishouden, "bsn": c.bsn,
                                  "einddatum": o.end.isoformat(), "reden": "BIJSTAND_BEEINDIGD",
                                  "toelichting": "bijstand beëindigd"})
        if billed:
            self._invoice(c, billed)

    def _invoice(self, c: Case, billed: list[date]) -> None:
        o = c.ontzorgen
        assert o is not None
        anomaly = self.truth.anomaly_of(c) if c.kind and c.kind.startswith(("R11.", "R12.")) \
            else None
        issued = month_end(billed[-1]) + timedelta(days=5)
        fees = [self._fee(c, "intake", "Intake financieel ontzorgen", o.start, o.start)]
        fees += [self._fee(c, "budgetbeheer", f"Budgetbeheer {m:%Y-%m}", m, month_end(m))
                 for m in billed]
        reasons: list[str | None] = [o.refusal(c.doelgroep, None)]
        reasons += [o.refusal(c.doelgroep, m) for m in billed]
        if c.kind == "R12.tarief" and len(fees) > 2:
            fees[2] = Fee(fees[2].description, Decimal("30.00"), fees[2].start, fees[2].end,
                          o.huishouden, c.ref)
            reasons[2] = c.kind
        if c.kind == "R12.geen-actief-ontzorgen":
            after = add_months(o.end.replace(day=1), 1)
            fees.append(self._fee(c, "budgetbeheer", f"Budgetbeheer {after:%Y-%m}", after,
                                  month_end(after)))
            reasons.append(c.kind)
        number = f"KB{c.index:07d}"
        self._write(c, number, issued, fees, reasons, anomaly)
        if c.kind == "R12.intake-dubbel":
            self._write(c, f"{number}-2", issued + timedelta(days=30), fees[:1], [c.kind],
                        anomaly)

    def _duplicate(self, c: Case, billed: list[date]) -> None:
        """R12: the intake and the first month again, under the household's second member,
        a month after the first member's invoice: refused, whichever member it names."""
        o = c.ontzorgen
        assert o is not None
        issued = month_end(billed[-1]) + timedelta(days=35)
        if issued > self.end:
            return
        month = billed[0]
        fees = [self._fee(c, "intake", "Intake financieel ontzorgen", o.start, o.start),
                self._fee(c, "budgetbeheer", f"Budgetbeheer {month:%Y-%m}", month,
                          month_end(month))]
        reasons: list[str | None] = ["R12.intake-dubbel", "R12.budgetbeheer-dubbel"]
        self._write(c, f"KB{c.index:07d}-LID", issued, fees, reasons, self.truth.anomaly_of(c))

    def _fee(self, c: Case, soort: str, text: str, start: date, end: date) -> Fee:
        cents = self.tables.kredietbank_fee(SUPPLIER, soort, start)
        assert cents is not None, f"kredietbank.csv has no {soort} fee on {start}"
        assert c.ontzorgen is not None
        return Fee(text, Decimal(cents) / 100, start, end, c.ontzorgen.huishouden, c.ref)

    def _write(self, c: Case, number: str, issued: date, fees: list[Fee],
               reasons: list[str | None], anomaly: str | None) -> None:
        gemeente = c.gemeente_on(fees[0].start) or c.gemeente
        xml = ublgen.render(number, issued, f"ONTZORGEN-{gemeente}", buyer_oin(gemeente), fees)
        path = self.out / FOLDER / f"{number}.xml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(xml)
        self.facturen.add(issued, json.dumps({"factuurnummer": number,
                                              "bestand": f"facturen/{number}.xml"},
                                             sort_keys=True))
        for n, (fee, reden) in enumerate(zip(fees, reasons, strict=True), 1):
            self.truth.judge(c, reden, int(fee.price * 100), view=c.ref, anomaly=anomaly,
                             leverancier=SUPPLIER, factuurnummer=number, regelnummer=n,
                             dienstdatum=fee.start)

    def _mutatie(self, day: date, body: dict[str, Any]) -> None:
        self.mutaties.add(day, json.dumps(body, sort_keys=True, ensure_ascii=False))

    def broken_invoice(self, number: str, issued: date, fee: Fee) -> None:
        """An invoice whose amount due does not add up (BR-CO-16): the connector refuses it."""
        xml = ublgen.render(number, issued, "ONTZORGEN", buyer_oin("0363"), [fee],
                            payable_override=Decimal("1.00"))
        (self.out / FOLDER).mkdir(parents=True, exist_ok=True)
        (self.out / FOLDER / f"{number}.xml").write_bytes(xml)
        self.facturen.add(issued, json.dumps({"factuurnummer": number,
                                              "bestand": f"facturen/{number}.xml"},
                                             sort_keys=True))

    def close(self) -> None:
        """Number the mutaties and the invoice list in time order and write them."""
        for feed, name in ((self.mutaties, MUTATIES), (self.facturen, INDEX)):
            path = self.out / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8", newline="\n") as handle:
                for n, (_, line) in enumerate(feed.lines(), 1):
                    body = {"volgnummer": n, **json.loads(line)}
                    handle.write(json.dumps(body, sort_keys=True, ensure_ascii=False) + "\n")

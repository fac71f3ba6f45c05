"""Peppol BIS Billing 3.0 invoices as the Kredietbank sends them (simulator side, R12).

One invoice per household per month: the intake fee once (147 EUR) and the budgetbeheer fee per
month of active ontzorgen (25 EUR). VAT category E (exempt). Each line names the household in
its order line reference (BT-132), so the document carries the buyer reference as its order
reference (BT-13, NL-R-009), and the case reference as object identifier (BT-128). The XML
comes from the shared ``connectors.ubl.writer``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from connectors.ubl import writer
from connectors.ubl.writer import KVK, OIN, Address

SUPPLIER_KVK = "30276519"
SUPPLIER_NAME = "Kredietbank Midden-Nederland"
SUPPLIER_VAT = "NL802765198B01"
SUPPLIER_ADDRESS = Address("Vredenburg 40", "Utrecht", "3511 BD")
GEMEENTE_ADDRESS = Address("Stadsplateau 1", "Utrecht", "3521 AZ")
IBAN = "NL86INGB0002445588"
EXEMPTION_REASON = "Vrijgestelde schuldhulpverlening"
SELLER = writer.Party(SUPPLIER_NAME, SUPPLIER_KVK, KVK, SUPPLIER_ADDRESS,
                      identifier=SUPPLIER_KVK, vat_number=SUPPLIER_VAT)


@dataclass(frozen=True)
class Fee:
    """One invoiced fee."""

    description: str
    price: Decimal
    start: date
    end: date
    huishouden_id: str
    case_ref: str | None


def render(number: str, issue: date, buyer_reference: str, buyer_oin: str, fees: list[Fee],
           *, payable_override: Decimal | None = None) -> bytes:
    """The UBL 2.1 Invoice XML (``payable_override``: an anomaly whose totals do not add up)."""
    lines = [writer.Line(name=f.description[:40], description=f.description, quantity=Decimal(1),
                         unit="C62", price=f.price, start=f.start, end=f.end,
                         order_line_ref=f.huishouden_id, object_id=f.case_ref) for f in fees]
    return writer.render(writer.Document(
        number=number, issue_date=issue, due_date=issue + timedelta(days=30), seller=SELLER,
        buyer=writer.Party("Gemeente", buyer_oin, OIN, GEMEENTE_ADDRESS, identifier=buyer_oin),
        lines=lines, buyer_reference=buyer_reference, order_reference=buyer_reference,
        iban=IBAN, exemption_reason=EXEMPTION_REASON, payable_override=payable_override))

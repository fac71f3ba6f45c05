"""Write Peppol BIS Billing 3.0 invoices and credit notes as a school would (simulator side).

Lines are VAT category E (education is exempt, VATEX-EU-J) by default; each line carries the
service period (BT-134/135), the aanmelding id as order line reference (BT-132) and the case
reference as invoiced object identifier (BT-128), as FORMAT.md asks of schools. The XML comes
from the shared ``connectors.ubl.writer``, which the official validators check in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from connectors.ubl import writer
from connectors.ubl.writer import OIN, PEPPOL, SI_UBL, Address

__all__ = ["PEPPOL", "SI_UBL", "Address", "Document", "Line", "render"]

EXEMPTION_CODE = "VATEX-EU-J"
EXEMPTION_REASON = "Vrijgesteld onderwijs (artikel 11 lid 1 onderdeel o Wet OB 1968)"
PAYMENT_DAYS = 30
SCHOOL_ADDRESS = Address("Oudegracht 120", "Utrecht", "3511 AX")
GEMEENTE_ADDRESS = Address("Stadsplateau 1", "Utrecht", "3521 AZ")


@dataclass(frozen=True)
class Line:
    """One invoiced service."""

    description: str
    quantity: Decimal
    price: Decimal
    start: date
    end: date
    case_ref: str | None = None
    aanmelding_id: str | None = None
    unit: str = "HUR"

    @property
    def amount(self) -> Decimal:
        """Net line amount, quantity x price to the cent."""
        return self.ubl().amount

    def ubl(self) -> writer.Line:
        """The line as the shared writer takes it (BT-132 aanmelding, BT-128 case)."""
        return writer.Line(
            name=self.description[:40], description=self.description, quantity=self.quantity,
            price=self.price, start=self.start, end=self.end, unit=self.unit,
            order_line_ref=self.aanmelding_id, object_id=self.case_ref)


@dataclass(frozen=True)
class Document:
    """What a school puts on one invoice or credit note."""

    number: str
    issue_date: date
    supplier_id: str                 # BOW-nummer (BT-29)
    supplier_name: str
    supplier_kvk: str                # BT-30 and the Peppol endpoint (0106)
    buyer_reference: str             # contract id (BT-10)
    buyer_oin: str                   # BT-47 and the Peppol endpoint (0190)
    buyer_name: str
    iban: str
    lines: list[Line] = field(default_factory=list)
    credit_note_for: str | None = None
    payable_override: Decimal | None = None  # an anomaly: totals that do not add up
    supplier_vat: str | None = None  # BT-31: an exempt invoice needs it (BR-E-02)
    supplier_address: Address = SCHOOL_ADDRESS
    buyer_address: Address = GEMEENTE_ADDRESS
    order_reference: str | None = None  # BT-13; the contract id when lines name aanmeldingen
    customization: str = PEPPOL      # or SI_UBL


def render(doc: Document) -> bytes:
    """The UBL 2.1 XML of ``doc`` (Invoice, or CreditNote when ``credit_note_for`` is set)."""
    ordered = any(line.aanmelding_id for line in doc.lines)
    return writer.render(writer.Document(
        number=doc.number, issue_date=doc.issue_date,
        due_date=doc.issue_date + timedelta(days=PAYMENT_DAYS),
        seller=writer.Party(doc.supplier_name, doc.supplier_kvk, writer.KVK,
                            doc.supplier_address, identifier=doc.supplier_id,
                            vat_number=doc.supplier_vat),
        buyer=writer.Party(doc.buyer_name, doc.buyer_oin, OIN, doc.buyer_address),
        lines=[line.ubl() for line in doc.lines], buyer_reference=doc.buyer_reference,
        order_reference=doc.order_reference or (doc.buyer_reference if ordered else None),
        iban=doc.iban, credit_note_for=doc.credit_note_for,
        exemption_code=None if doc.customization == SI_UBL else EXEMPTION_CODE,  # BR-NL-35
        exemption_reason=EXEMPTION_REASON, customization=doc.customization,
        payable_override=doc.payable_override))

"""Write Peppol BIS Billing 3.0 invoices and credit notes as a school would (simulator side).

Lines are VAT category E (education is exempt, VATEX-EU-J) by default; each line carries the
service period (BT-134/135), the aanmelding id as order line reference (BT-132) and the case
reference as invoiced object identifier (BT-128), as FORMAT.md asks of schools.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


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
        return (self.quantity * self.price).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Document:
    """What a school puts on one invoice or credit note."""

    number: str
    issue_date: date
    supplier_id: str
    supplier_name: str
    supplier_kvk: str
    buyer_reference: str
    buyer_oin: str
    buyer_name: str
    iban: str
    lines: list[Line] = field(default_factory=list)
    credit_note_for: str | None = None
    payable_override: Decimal | None = None  # an anomaly: totals that do not add up


def _amount(tag: str, value: Decimal) -> str:
    return f'<cbc:{tag} currencyID="EUR">{value:.2f}</cbc:{tag}>'


def _party(endpoint_scheme: str, endpoint: str, ident: str | None, name: str) -> str:
    ident_xml = (f"<cac:PartyIdentification><cbc:ID>{escape(ident)}</cbc:ID>"
                 "</cac:PartyIdentification>") if ident else ""
    return (f'<cac:Party><cbc:EndpointID schemeID="{endpoint_scheme}">{escape(endpoint)}'
            f"</cbc:EndpointID>{ident_xml}<cac:PartyName><cbc:Name>{escape(name)}</cbc:Name>"
            "</cac:PartyName><cac:PostalAddress><cbc:CityName>Utrecht</cbc:CityName><cac:Country>"
            "<cbc:IdentificationCode>NL</cbc:IdentificationCode></cac:Country></cac:PostalAddress>"
            f"<cac:PartyLegalEntity><cbc:RegistrationName>{escape(name)}</cbc:RegistrationName>"
            "</cac:PartyLegalEntity></cac:Party>")


def _line(n: int, line: Line, credit: bool) -> str:
    tag, qty = ("CreditNoteLine", "CreditedQuantity") if credit else ("InvoiceLine",
                                                                      "InvoicedQuantity")
    order = (f"<cac:OrderLineReference><cbc:LineID>{escape(line.aanmelding_id)}</cbc:LineID>"
             "</cac:OrderLineReference>") if line.aanmelding_id else ""
    obj = (f'<cac:DocumentReference><cbc:ID schemeID="ZZZ">{line.case_ref}</cbc:ID>'
           "<cbc:DocumentTypeCode>130</cbc:DocumentTypeCode></cac:DocumentReference>"
           ) if line.case_ref else ""
    return (f"<cac:{tag}><cbc:ID>{n}</cbc:ID>"
            f'<cbc:{qty} unitCode="{line.unit}">{line.quantity}</cbc:{qty}>'
            f"{_amount('LineExtensionAmount', line.amount)}"
            f"<cac:InvoicePeriod><cbc:StartDate>{line.start}</cbc:StartDate>"
            f"<cbc:EndDate>{line.end}</cbc:EndDate></cac:InvoicePeriod>{order}{obj}"
            f"<cac:Item><cbc:Description>{escape(line.description)}</cbc:Description>"
            f"<cbc:Name>{escape(line.description[:40])}</cbc:Name>"
            "<cac:ClassifiedTaxCategory><cbc:ID>E</cbc:ID><cbc:Percent>0</cbc:Percent>"
            "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>"
            f"</cac:Item><cac:Price>{_amount('PriceAmount', line.price)}</cac:Price></cac:{tag}>")


def render(doc: Document) -> bytes:
    """The UBL 2.1 XML of ``doc`` (Invoice, or CreditNote when ``credit_note_for`` is set)."""
    credit = doc.credit_note_for is not None
    root = "CreditNote" if credit else "Invoice"
    total = sum((line.amount for line in doc.lines), Decimal(0))
    payable = doc.payable_override if doc.payable_override is not None else total
    type_code = ("<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>" if credit else
                 f"<cbc:DueDate>{doc.issue_date.replace(day=28)}</cbc:DueDate>"
                 "<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>")
    billing = (f"<cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>"
               f"{escape(doc.credit_note_for or '')}</cbc:ID></cac:InvoiceDocumentReference>"
               "</cac:BillingReference>") if credit else ""
    supplier = _party("0106", doc.supplier_kvk, doc.supplier_id, doc.supplier_name)
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} '
        f'xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2" '
        'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
        'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
        f"<cbc:CustomizationID>{CUSTOMIZATION}</cbc:CustomizationID>"
        f"<cbc:ProfileID>{PROFILE}</cbc:ProfileID><cbc:ID>{escape(doc.number)}</cbc:ID>"
        f"<cbc:IssueDate>{doc.issue_date}</cbc:IssueDate>{type_code}"
        "<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>"
        f"<cbc:BuyerReference>{escape(doc.buyer_reference)}</cbc:BuyerReference>{billing}"
        f"<cac:AccountingSupplierParty>{supplier}</cac:AccountingSupplierParty>"
        f"<cac:AccountingCustomerParty>{_party('0190', doc.buyer_oin, None, doc.buyer_name)}"
        "</cac:AccountingCustomerParty>"
        "<cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>"
        f"<cbc:PaymentID>{escape(doc.number)}</cbc:PaymentID><cac:PayeeFinancialAccount>"
        f"<cbc:ID>{doc.iban}</cbc:ID></cac:PayeeFinancialAccount></cac:PaymentMeans>"
        f"<cac:TaxTotal>{_amount('TaxAmount', Decimal(0))}<cac:TaxSubtotal>"
        f"{_amount('TaxableAmount', total)}{_amount('TaxAmount', Decimal(0))}"
        "<cac:TaxCategory><cbc:ID>E</cbc:ID><cbc:Percent>0</cbc:Percent>"
        "<cbc:TaxExemptionReasonCode>VATEX-EU-J</cbc:TaxExemptionReasonCode>"
        "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>"
        "</cac:TaxSubtotal></cac:TaxTotal>"
        f"<cac:LegalMonetaryTotal>{_amount('LineExtensionAmount', total)}"
        f"{_amount('TaxExclusiveAmount', total)}{_amount('TaxInclusiveAmount', total)}"
        f"{_amount('PayableAmount', payable)}</cac:LegalMonetaryTotal>"
        + "".join(_line(n, line, credit) for n, line in enumerate(doc.lines, 1))
        + f"</{root}>")
    return body.encode("utf-8")

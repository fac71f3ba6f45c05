"""Write UBL 2.1 invoices and credit notes that pass Peppol BIS 3.0 and SI-UBL 2.0 (NLCIUS).

The one writer behind every document the hub's simulators and scenario generator produce
(``connectors.taalaanbieder.ublgen``, ``connectors.kredietbank.ublgen``, ``hub.scenario``), so a
fix for a validator rule is made once. What a Dutch document needs beyond EN 16931 (and what
FORMAT.md asks of schools): seller and buyer addresses with street, city and postcode (NL-R-002,
NL-R-004), legal ids as KvK (0106) or OIN (0190) (NL-R-003/005), the seller's VAT number when a
line is exempt (BR-E-02), and a document order reference whenever a line refers to an order line
(NL-R-009). The tests run the official validators on what this writes (tests/ubl_oracle.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape, quoteattr

PEPPOL = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
SI_UBL = "urn:cen.eu:en16931:2017#compliant#urn:fdc:nen.nl:nlcius:v1.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
KVK, OIN = "0106", "0190"
SEPA_CREDIT_TRANSFER = "58"
CENT = Decimal("0.01")
_NS = ('xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
       'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"')


@dataclass(frozen=True)
class Address:
    """A postal address (BG-5 / BG-8); Dutch parties need all three of street, city, postcode."""

    street: str
    city: str
    postcode: str
    country: str = "NL"


@dataclass(frozen=True)
class Party:
    """Seller (BG-4) or buyer (BG-7)."""

    name: str                        # BT-27 / BT-44 registration name
    legal_id: str                    # BT-30 / BT-47 KvK or OIN, also the endpoint (BT-34/49)
    legal_scheme: str                # KVK or OIN
    address: Address
    identifier: str | None = None    # BT-29 / BT-46
    vat_number: str | None = None    # BT-31 / BT-48


@dataclass(frozen=True)
class Line:
    """One invoice line (BG-25)."""

    name: str                        # BT-153
    quantity: Decimal                # BT-129
    price: Decimal                   # BT-146
    start: date | None = None        # BT-134
    end: date | None = None          # BT-135
    unit: str = "HUR"                # BT-130
    description: str | None = None   # BT-154
    order_line_ref: str | None = None  # BT-132
    object_id: str | None = None     # BT-128 (DocumentTypeCode 130)
    category: str = "E"              # BT-151
    percent: Decimal = Decimal(0)    # BT-152

    @property
    def amount(self) -> Decimal:
        """Net line amount: quantity x price, to the cent (half up)."""
        return (self.quantity * self.price).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Document:
    """One invoice, or a credit note when ``credit_note_for`` names the credited invoice."""

    number: str
    issue_date: date
    seller: Party
    buyer: Party
    lines: Sequence[Line]
    buyer_reference: str | None      # BT-10
    iban: str                        # BT-84, paid by SEPA credit transfer (code 58)
    order_reference: str | None = None  # BT-13 (needed when a line has BT-132)
    due_date: date | None = None     # BT-9
    credit_note_for: str | None = None  # BT-25
    exemption_code: str | None = None   # BT-121 for category E
    exemption_reason: str | None = None  # BT-120 for category E
    customization: str = PEPPOL      # BT-24: PEPPOL or SI_UBL
    payable_override: Decimal | None = None  # an anomaly: totals that do not add up


def _text(tag: str, value: object, **attrs: str) -> str:
    attr = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
    return f"<cbc:{tag}{attr}>{escape(str(value))}</cbc:{tag}>"


def _amount(tag: str, value: Decimal) -> str:
    return _text(tag, f"{value:.2f}", currencyID="EUR")


def _number(value: Decimal) -> str:
    """A decimal as written (no exponent); at least two decimals when it has fewer."""
    exponent = value.as_tuple().exponent
    return f"{value:f}" if isinstance(exponent, int) and exponent < -2 else f"{value:.2f}"


def _party(p: Party) -> str:
    a = p.address
    ident = (f"<cac:PartyIdentification>{_text('ID', p.identifier)}</cac:PartyIdentification>"
             if p.identifier else "")
    vat = (f"<cac:PartyTaxScheme>{_text('CompanyID', p.vat_number)}<cac:TaxScheme>"
           "<cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>" if p.vat_number else "")
    return (f"<cac:Party>{_text('EndpointID', p.legal_id, schemeID=p.legal_scheme)}{ident}"
            f"<cac:PostalAddress>{_text('StreetName', a.street)}{_text('CityName', a.city)}"
            f"{_text('PostalZone', a.postcode)}<cac:Country>"
            f"{_text('IdentificationCode', a.country)}</cac:Country></cac:PostalAddress>{vat}"
            f"<cac:PartyLegalEntity>{_text('RegistrationName', p.name)}"
            f"{_text('CompanyID', p.legal_id, schemeID=p.legal_scheme)}</cac:PartyLegalEntity>"
            "</cac:Party>")


def _category(tag: str, category: str, percent: Decimal, exemption: str = "") -> str:
    rate = "" if category == "O" else _text("Percent", _number(percent))
    return (f"<cac:{tag}>{_text('ID', category)}{rate}{exemption}"
            f"<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:{tag}>")


def _line(n: int, line: Line, credit: bool) -> str:
    tag, qty = ("CreditNoteLine", "CreditedQuantity") if credit else ("InvoiceLine",
                                                                      "InvoicedQuantity")
    period = "".join(_text(t, d) for t, d in (("StartDate", line.start), ("EndDate", line.end))
                     if d is not None)
    order = (f"<cac:OrderLineReference>{_text('LineID', line.order_line_ref)}"
             "</cac:OrderLineReference>") if line.order_line_ref else ""
    obj = (f"<cac:DocumentReference>{_text('ID', line.object_id)}"
           "<cbc:DocumentTypeCode>130</cbc:DocumentTypeCode></cac:DocumentReference>"
           ) if line.object_id else ""
    desc = _text("Description", line.description) if line.description else ""
    return (f"<cac:{tag}>{_text('ID', n)}{_text(qty, f'{line.quantity:f}', unitCode=line.unit)}"
            f"{_amount('LineExtensionAmount', line.amount)}"
            f"{f'<cac:InvoicePeriod>{period}</cac:InvoicePeriod>' if period else ''}"
            f"{order}{obj}<cac:Item>{desc}{_text('Name', line.name)}"
            f"{_category('ClassifiedTaxCategory', line.category, line.percent)}</cac:Item>"
            f"<cac:Price>{_text('PriceAmount', _number(line.price), currencyID='EUR')}"
            f"</cac:Price></cac:{tag}>")


def _breakdown(doc: Document) -> tuple[str, Decimal]:
    """The TaxTotal (one TaxSubtotal per VAT category and rate) and the VAT total."""
    bases: dict[tuple[str, Decimal], Decimal] = {}
    for line in doc.lines:
        key = (line.category, line.percent)
        bases[key] = bases.get(key, Decimal(0)) + line.amount
    subtotals, total = [], Decimal(0)
    for (category, percent), base in bases.items():
        tax = (base * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        total += tax
        exemption = ""
        if category == "E":
            exemption = "".join(_text(t, v) for t, v in (
                ("TaxExemptionReasonCode", doc.exemption_code),
                ("TaxExemptionReason", doc.exemption_reason)) if v)
        subtotals.append(f"<cac:TaxSubtotal>{_amount('TaxableAmount', base)}"
                         f"{_amount('TaxAmount', tax)}"
                         f"{_category('TaxCategory', category, percent, exemption)}"
                         "</cac:TaxSubtotal>")
    return f"<cac:TaxTotal>{_amount('TaxAmount', total)}{''.join(subtotals)}</cac:TaxTotal>", total


def _payment(doc: Document, credit: bool) -> str:
    due = _text("PaymentDueDate", doc.due_date) if credit and doc.due_date else ""
    return (f"<cac:PaymentMeans>{_text('PaymentMeansCode', SEPA_CREDIT_TRANSFER)}{due}"
            f"{_text('PaymentID', doc.number)}<cac:PayeeFinancialAccount>"
            f"{_text('ID', doc.iban)}</cac:PayeeFinancialAccount></cac:PaymentMeans>")


def _references(doc: Document) -> str:
    """OrderReference (BT-13) and, on a credit note, the credited invoice (BT-25)."""
    refs = (f"<cac:OrderReference>{_text('ID', doc.order_reference)}</cac:OrderReference>"
            if doc.order_reference else "")
    if doc.credit_note_for is not None:
        refs += (f"<cac:BillingReference><cac:InvoiceDocumentReference>"
                 f"{_text('ID', doc.credit_note_for)}</cac:InvoiceDocumentReference>"
                 "</cac:BillingReference>")
    return refs


def render(doc: Document) -> bytes:
    """The UBL 2.1 XML of ``doc``: an Invoice, or a CreditNote when ``credit_note_for`` is set."""
    credit = doc.credit_note_for is not None
    root = "CreditNote" if credit else "Invoice"
    lines = sum((line.amount for line in doc.lines), Decimal(0))
    tax_total, tax = _breakdown(doc)
    payable = lines + tax if doc.payable_override is None else doc.payable_override
    head = (_text("CreditNoteTypeCode", 381) if credit else
            (_text("DueDate", doc.due_date) if doc.due_date else "")
            + _text("InvoiceTypeCode", 380))
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} '
        f'xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2" {_NS}>'
        f"{_text('CustomizationID', doc.customization)}{_text('ProfileID', PROFILE)}"
        f"{_text('ID', doc.number)}{_text('IssueDate', doc.issue_date)}{head}"
        "<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>"
        f"{_text('BuyerReference', doc.buyer_reference) if doc.buyer_reference else ''}"
        f"{_references(doc)}"
        f"<cac:AccountingSupplierParty>{_party(doc.seller)}</cac:AccountingSupplierParty>"
        f"<cac:AccountingCustomerParty>{_party(doc.buyer)}</cac:AccountingCustomerParty>"
        f"{_payment(doc, credit)}{tax_total}<cac:LegalMonetaryTotal>"
        f"{_amount('LineExtensionAmount', lines)}{_amount('TaxExclusiveAmount', lines)}"
        f"{_amount('TaxInclusiveAmount', lines + tax)}{_amount('PayableAmount', payable)}"
        "</cac:LegalMonetaryTotal>"
        + "".join(_line(n, line, credit) for n, line in enumerate(doc.lines, 1))
        + f"</{root}>")
    return body.encode("utf-8")

"""Peppol BIS Billing 3.0 invoices as the Kredietbank sends them (simulator side, R12).

One invoice per household per month: the intake fee once (147 EUR) and the budgetbeheer fee per
month of active ontzorgen (25 EUR). VAT category E (exempt). Each line names the household in
its order line reference (BT-132) and the case reference as object identifier (BT-128).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from xml.sax.saxutils import escape

CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
SUPPLIER_KVK = "30276519"
SUPPLIER_NAME = "Kredietbank Midden-Nederland"
IBAN = "NL86INGB0002445588"


@dataclass(frozen=True)
class Fee:
    """One invoiced fee."""

    description: str
    price: Decimal
    start: date
    end: date
    huishouden_id: str
    case_ref: str | None


def _amount(tag: str, value: Decimal) -> str:
    return f'<cbc:{tag} currencyID="EUR">{value:.2f}</cbc:{tag}>'


def _party(scheme: str, endpoint: str, name: str) -> str:
    return (f'<cac:Party><cbc:EndpointID schemeID="{scheme}">{endpoint}</cbc:EndpointID>'
            f"<cac:PartyIdentification><cbc:ID>{endpoint}</cbc:ID></cac:PartyIdentification>"
            f"<cac:PartyName><cbc:Name>{escape(name)}</cbc:Name></cac:PartyName>"
            "<cac:PostalAddress><cbc:CityName>Utrecht</cbc:CityName><cac:Country>"
            "<cbc:IdentificationCode>NL</cbc:IdentificationCode></cac:Country></cac:PostalAddress>"
            f"<cac:PartyLegalEntity><cbc:RegistrationName>{escape(name)}</cbc:RegistrationName>"
            "</cac:PartyLegalEntity></cac:Party>")


def _line(n: int, fee: Fee) -> str:
    obj = (f'<cac:DocumentReference><cbc:ID schemeID="ZZZ">{fee.case_ref}</cbc:ID>'
           "<cbc:DocumentTypeCode>130</cbc:DocumentTypeCode></cac:DocumentReference>"
           ) if fee.case_ref else ""
    return (f'<cac:InvoiceLine><cbc:ID>{n}</cbc:ID><cbc:InvoicedQuantity unitCode="C62">1'
            f"</cbc:InvoicedQuantity>{_amount('LineExtensionAmount', fee.price)}"
            f"<cac:InvoicePeriod><cbc:StartDate>{fee.start}</cbc:StartDate>"
            f"<cbc:EndDate>{fee.end}</cbc:EndDate></cac:InvoicePeriod>"
            f"<cac:OrderLineReference><cbc:LineID>{escape(fee.huishouden_id)}</cbc:LineID>"
            f"</cac:OrderLineReference>{obj}<cac:Item>"
            f"<cbc:Description>{escape(fee.description)}</cbc:Description>"
            f"<cbc:Name>{escape(fee.description[:40])}</cbc:Name>"
            "<cac:ClassifiedTaxCategory><cbc:ID>E</cbc:ID><cbc:Percent>0</cbc:Percent>"
            "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>"
            f"</cac:Item><cac:Price>{_amount('PriceAmount', fee.price)}</cac:Price>"
            "</cac:InvoiceLine>")


def render(number: str, issue: date, buyer_reference: str, buyer_oin: str, fees: list[Fee],
           *, payable_override: Decimal | None = None) -> bytes:
    """The UBL 2.1 Invoice XML (``payable_override``: an anomaly whose totals do not add up)."""
    total = sum((f.price for f in fees), Decimal(0))
    payable = total if payable_override is None else payable_override
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Invoice '
        'xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" '
        'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
        'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
        f"<cbc:CustomizationID>{CUSTOMIZATION}</cbc:CustomizationID>"
        f"<cbc:ProfileID>{PROFILE}</cbc:ProfileID><cbc:ID>{escape(number)}</cbc:ID>"
        f"<cbc:IssueDate>{issue}</cbc:IssueDate>"
        f"<cbc:DueDate>{issue + timedelta(days=30)}</cbc:DueDate>"
        "<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>"
        "<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>"
        f"<cbc:BuyerReference>{escape(buyer_reference)}</cbc:BuyerReference>"
        f"<cac:AccountingSupplierParty>{_party('0106', SUPPLIER_KVK, SUPPLIER_NAME)}"
        "</cac:AccountingSupplierParty>"
        f"<cac:AccountingCustomerParty>{_party('0190', buyer_oin, 'Gemeente')}"
        "</cac:AccountingCustomerParty>"
        "<cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>"
        f"<cbc:PaymentID>{escape(number)}</cbc:PaymentID><cac:PayeeFinancialAccount>"
        f"<cbc:ID>{IBAN}</cbc:ID></cac:PayeeFinancialAccount></cac:PaymentMeans>"
        f"<cac:TaxTotal>{_amount('TaxAmount', Decimal(0))}<cac:TaxSubtotal>"
        f"{_amount('TaxableAmount', total)}{_amount('TaxAmount', Decimal(0))}"
        "<cac:TaxCategory><cbc:ID>E</cbc:ID><cbc:Percent>0</cbc:Percent>"
        "<cbc:TaxExemptionReason>Vrijgestelde schuldhulpverlening</cbc:TaxExemptionReason>"
        "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>"
        "</cac:TaxSubtotal></cac:TaxTotal>"
        f"<cac:LegalMonetaryTotal>{_amount('LineExtensionAmount', total)}"
        f"{_amount('TaxExclusiveAmount', total)}{_amount('TaxInclusiveAmount', total)}"
        f"{_amount('PayableAmount', payable)}</cac:LegalMonetaryTotal>"
        + "".join(_line(n, f) for n, f in enumerate(fees, 1)) + "</Invoice>")
    return xml.encode("utf-8")

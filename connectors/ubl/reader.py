"""UBL 2.1 XML -> ``UblInvoice``: reads the EN 16931 fields and checks their presence and form.

Mandatory-field rules (BR-01 .. BR-26) are checked here while reading; the sums are checked in
``rules.py``. Every refusal is an ``InvoiceRejected`` naming the rule.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.ubl.model import (
    CREDIT_NOTE,
    INVOICE,
    InvoiceRejected,
    UblAllowanceCharge,
    UblInvoice,
    UblLine,
    UblParty,
    UblTotals,
    UblVat,
)

CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
ROOTS = {
    "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice": INVOICE,
    "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote": CREDIT_NOTE,
}
NS = {"cbc": CBC, "cac": CAC}
ZERO = Decimal(0)


class _Reader:
    """Field access on one document, raising ``InvoiceRejected`` with the document's source."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, rule: str, detail: str) -> InvoiceRejected:
        return InvoiceRejected(self.source, rule, detail)

    def text(self, node: Any, path: str) -> str | None:
        found = node.find(path, NS)
        if found is None or found.text is None or not found.text.strip():
            return None
        return str(found.text).strip()

    def need(self, node: Any, path: str, rule: str, what: str) -> str:
        value = self.text(node, path)
        if value is None:
            raise self.fail(rule, f"{what} ({path}) is missing")
        return value

    def amount(self, node: Any, path: str, rule: str, what: str, *,
               required: bool = True) -> Decimal:
        raw = self.need(node, path, rule, what) if required else self.text(node, path)
        return ZERO if raw is None else self.decimal(raw, what)

    def decimal(self, raw: str, what: str) -> Decimal:
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise self.fail("UBL-DECIMAL", f"{what} is not a number") from None
        if not value.is_finite():
            raise self.fail("UBL-DECIMAL", f"{what} is not a finite number")
        return value

    def date(self, node: Any, path: str, rule: str, what: str, *,
             required: bool = False) -> date | None:
        raw = self.need(node, path, rule, what) if required else self.text(node, path)
        if raw is None:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise self.fail(rule, f"{what} is not a date (YYYY-MM-DD)") from None


def read(root: Any, *, source: str, sha256: str) -> UblInvoice:
    """Read a parsed UBL root element; presence rules are checked, sums are not."""
    r = _Reader(source)
    kind = ROOTS.get(root.tag)
    if kind is None:
        raise r.fail("UBL-ROOT", "root element is not a UBL 2.1 Invoice or CreditNote")
    line_tag, qty_tag = (("cac:InvoiceLine", "cbc:InvoicedQuantity") if kind == INVOICE
                         else ("cac:CreditNoteLine", "cbc:CreditedQuantity"))
    type_tag = "cbc:InvoiceTypeCode" if kind == INVOICE else "cbc:CreditNoteTypeCode"
    lines = tuple(_line(r, node, qty_tag) for node in root.findall(line_tag, NS))
    if not lines:
        raise r.fail("BR-16", "the document has no lines")
    issue_date = r.date(root, "cbc:IssueDate", "BR-03", "issue date (BT-2)", required=True)
    assert issue_date is not None
    return UblInvoice(
        source=source, sha256=sha256, kind=kind,
        customization_id=r.need(root, "cbc:CustomizationID", "BR-01",
                                "specification identifier (BT-24)"),
        profile_id=r.text(root, "cbc:ProfileID"),
        number=r.need(root, "cbc:ID", "BR-02", "invoice number (BT-1)"),
        issue_date=issue_date,
        due_date=r.date(root, "cbc:DueDate", "UBL-DATE", "due date (BT-9)"),
        type_code=r.need(root, type_tag, "BR-04", "type code (BT-3)"),
        currency=r.need(root, "cbc:DocumentCurrencyCode", "BR-05", "currency (BT-5)"),
        buyer_reference=r.text(root, "cbc:BuyerReference"),
        order_reference=r.text(root, "cac:OrderReference/cbc:ID"),
        preceding_invoice=r.text(root, "cac:BillingReference/cac:InvoiceDocumentReference/"
                                 "cbc:ID"),
        accounting_cost=r.text(root, "cbc:AccountingCost"),
        period_start=r.date(root, "cac:InvoicePeriod/cbc:StartDate", "UBL-DATE",
                            "invoice period start (BT-73)"),
        period_end=r.date(root, "cac:InvoicePeriod/cbc:EndDate", "UBL-DATE",
                          "invoice period end (BT-74)"),
        delivery_date=r.date(root, "cac:Delivery/cbc:ActualDeliveryDate", "UBL-DATE",
                             "delivery date (BT-72)"),
        supplier=_party(r, root, "cac:AccountingSupplierParty/cac:Party", "BR-06", "seller"),
        buyer=_party(r, root, "cac:AccountingCustomerParty/cac:Party", "BR-07", "buyer"),
        payee_iban=r.text(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID"),
        payment_id=r.text(root, "cac:PaymentMeans/cbc:PaymentID"),
        allowance_charges=tuple(_allowance_charge(r, n)
                                for n in root.findall("cac:AllowanceCharge", NS)),
        vat=_vat(r, root),
        totals=_totals(r, root),
        lines=lines,
    )


def _party(r: _Reader, root: Any, path: str, rule: str, role: str) -> UblParty:
    node = root.find(path, NS)
    if node is None:
        raise r.fail(rule, f"{role} party ({path}) is missing")
    trading = r.text(node, "cac:PartyName/cbc:Name")
    name = r.text(node, "cac:PartyLegalEntity/cbc:RegistrationName") or trading
    if name is None:
        raise r.fail(rule, f"{role} name (PartyLegalEntity/RegistrationName) is missing")
    endpoint = node.find("cbc:EndpointID", NS)
    return UblParty(
        name=name, trading_name=trading,
        identifier=r.text(node, "cac:PartyIdentification/cbc:ID"),
        legal_id=r.text(node, "cac:PartyLegalEntity/cbc:CompanyID"),
        vat_number=r.text(node, "cac:PartyTaxScheme/cbc:CompanyID"),
        endpoint_id=r.text(node, "cbc:EndpointID"),
        endpoint_scheme=endpoint.get("schemeID") if endpoint is not None else None,
        country=r.text(node, "cac:PostalAddress/cac:Country/cbc:IdentificationCode"),
    )


def _line(r: _Reader, node: Any, qty_tag: str) -> UblLine:
    line_id = r.need(node, "cbc:ID", "BR-21", "line id (BT-126)")
    qty_node = node.find(qty_tag, NS)
    quantity = r.amount(node, qty_tag, "BR-22", f"quantity of line {line_id} (BT-129)")
    unit = qty_node.get("unitCode") if qty_node is not None else None
    if not unit:
        raise r.fail("BR-23", f"unit code of line {line_id} (BT-130) is missing")
    price = r.amount(node, "cac:Price/cbc:PriceAmount", "BR-26",
                     f"price of line {line_id} (BT-146)")
    if price < 0:
        raise r.fail("BR-27", f"price of line {line_id} (BT-146) is negative")
    base = r.amount(node, "cac:Price/cbc:BaseQuantity", "BR-26", "base quantity",
                    required=False) or Decimal(1)
    allowances, charges = _line_allowances(r, node, line_id)
    category = r.need(node, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID", "BR-CO-04",
                      f"VAT category of line {line_id} (BT-151)")
    return UblLine(
        line_id=line_id,
        name=r.need(node, "cac:Item/cbc:Name", "BR-25", f"item name of line {line_id}"),
        description=r.text(node, "cac:Item/cbc:Description"),
        quantity=quantity, unit_code=unit, price=price, base_quantity=base,
        line_amount=r.amount(node, "cbc:LineExtensionAmount", "BR-24",
                             f"net amount of line {line_id} (BT-131)"),
        allowances=allowances, charges=charges, vat_category=category,
        vat_percent=r.amount(node, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent",
                             "BR-CO-04", "VAT rate", required=False),
        period_start=r.date(node, "cac:InvoicePeriod/cbc:StartDate", "UBL-DATE",
                            f"period start of line {line_id} (BT-134)"),
        period_end=r.date(node, "cac:InvoicePeriod/cbc:EndDate", "UBL-DATE",
                          f"period end of line {line_id} (BT-135)"),
        order_line_ref=r.text(node, "cac:OrderLineReference/cbc:LineID"),
        object_id=r.text(node, "cac:DocumentReference/cbc:ID"),
        accounting_cost=r.text(node, "cbc:AccountingCost"),
        note=r.text(node, "cbc:Note"),
    )


def _line_allowances(r: _Reader, node: Any, line_id: str) -> tuple[Decimal, Decimal]:
    allowances = charges = ZERO
    for ac in node.findall("cac:AllowanceCharge", NS):
        amount = r.amount(ac, "cbc:Amount", "BR-41", f"allowance/charge of line {line_id}")
        if r.text(ac, "cbc:ChargeIndicator") == "true":
            charges += amount
        else:
            allowances += amount
    return allowances, charges


def _allowance_charge(r: _Reader, node: Any) -> UblAllowanceCharge:
    indicator = r.need(node, "cbc:ChargeIndicator", "UBL-AC", "charge indicator")
    if indicator not in ("true", "false"):
        raise r.fail("UBL-AC", "charge indicator is not true or false")
    is_charge = indicator == "true"
    rule = "BR-36" if is_charge else "BR-31"
    return UblAllowanceCharge(
        is_charge=is_charge,
        amount=r.amount(node, "cbc:Amount", rule, "document allowance/charge amount"),
        vat_category=r.need(node, "cac:TaxCategory/cbc:ID", "BR-37" if is_charge else "BR-32",
                            "allowance/charge VAT category"),
        vat_percent=r.amount(node, "cac:TaxCategory/cbc:Percent", "BR-32", "VAT rate",
                             required=False),
        reason=r.text(node, "cbc:AllowanceChargeReason"),
    )


def _vat(r: _Reader, root: Any) -> tuple[UblVat, ...]:
    found = []
    for sub in root.findall("cac:TaxTotal/cac:TaxSubtotal", NS):
        found.append(UblVat(
            category=r.need(sub, "cac:TaxCategory/cbc:ID", "BR-47", "VAT category (BT-118)"),
            percent=r.amount(sub, "cac:TaxCategory/cbc:Percent", "BR-48", "VAT rate (BT-119)",
                             required=False),
            taxable_amount=r.amount(sub, "cbc:TaxableAmount", "BR-45",
                                    "VAT taxable amount (BT-116)"),
            tax_amount=r.amount(sub, "cbc:TaxAmount", "BR-46", "VAT amount (BT-117)"),
            exemption_reason_code=r.text(sub, "cac:TaxCategory/cbc:TaxExemptionReasonCode"),
            exemption_reason=r.text(sub, "cac:TaxCategory/cbc:TaxExemptionReason"),
        ))
    if not found:
        raise r.fail("BR-CO-18", "no VAT breakdown (TaxTotal/TaxSubtotal)")
    return tuple(found)


def _totals(r: _Reader, root: Any) -> UblTotals:
    total = root.find("cac:LegalMonetaryTotal", NS)
    if total is None:
        raise r.fail("BR-12", "LegalMonetaryTotal is missing")
    currency = r.text(root, "cbc:DocumentCurrencyCode")
    tax = ZERO
    for node in root.findall("cac:TaxTotal", NS):
        amount = node.find("cbc:TaxAmount", NS)
        if amount is not None and amount.get("currencyID") in (None, currency):
            tax = r.decimal((amount.text or "0").strip(), "VAT total (BT-110)")
            break
    return UblTotals(
        line_extension=r.amount(total, "cbc:LineExtensionAmount", "BR-12",
                                "sum of line net amounts (BT-106)"),
        allowance_total=r.amount(total, "cbc:AllowanceTotalAmount", "BR-CO-11", "BT-107",
                                 required=False),
        charge_total=r.amount(total, "cbc:ChargeTotalAmount", "BR-CO-12", "BT-108",
                              required=False),
        tax_exclusive=r.amount(total, "cbc:TaxExclusiveAmount", "BR-13",
                               "total without VAT (BT-109)"),
        tax_amount=tax,
        tax_inclusive=r.amount(total, "cbc:TaxInclusiveAmount", "BR-14",
                               "total with VAT (BT-112)"),
        prepaid=r.amount(total, "cbc:PrepaidAmount", "BR-CO-16", "BT-113", required=False),
        rounding=r.amount(total, "cbc:PayableRoundingAmount", "BR-CO-16", "BT-114",
                          required=False),
        payable=r.amount(total, "cbc:PayableAmount", "BR-15", "amount due (BT-115)"),
    )

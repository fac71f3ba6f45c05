"""UBL 2.1 XML -> ``UblInvoice``: reads the EN 16931 fields and checks their presence and form.

Mandatory-field rules (BR-01 .. BR-48) are checked here while reading; sums, code lists and
the hub's policy are checked in ``rules.py`` and ``policy.py``. Every refusal is an
``InvoiceRejected`` naming the rule.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from connectors.ubl.fields import NS, ZERO, Fields
from connectors.ubl.model import (
    CREDIT_NOTE,
    INVOICE,
    UblAllowanceCharge,
    UblInvoice,
    UblLine,
    UblTotals,
    UblVat,
)
from connectors.ubl.parties import party, payment

ROOTS = {
    "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice": INVOICE,
    "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote": CREDIT_NOTE,
}
OBJECT_TYPE = "130"  # UNCL 1001 "invoicing data sheet": the only line DocumentReference (BT-128)


def read(root: Any, *, source: str, sha256: str) -> UblInvoice:
    """Read a parsed UBL root element; presence rules are checked, sums are not."""
    r = Fields(source)
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
    period_start, period_end = _period(r, root, "BR-29", "invoice period (BT-73/74)")
    code, account, payment_id = payment(r, root)
    return UblInvoice(
        source=source, sha256=sha256, kind=kind,
        customization_id=r.need(root, "cbc:CustomizationID", "BR-01",
                                "specification identifier (BT-24)"),
        profile_id=r.text(root, "cbc:ProfileID"),
        number=r.need(root, "cbc:ID", "BR-02", "invoice number (BT-1)"),
        issue_date=issue_date, due_date=_due_date(r, root, kind),
        type_code=r.need(root, type_tag, "BR-04", "type code (BT-3)"),
        currency=r.need(root, "cbc:DocumentCurrencyCode", "BR-05", "currency (BT-5)"),
        buyer_reference=r.text(root, "cbc:BuyerReference"),
        order_reference=r.text(root, "cac:OrderReference/cbc:ID"),
        preceding_invoice=r.text(root, "cac:BillingReference/cac:InvoiceDocumentReference/"
                                 "cbc:ID"),
        accounting_cost=r.text(root, "cbc:AccountingCost"),
        period_start=period_start, period_end=period_end,
        delivery_date=r.date(root, "cac:Delivery/cbc:ActualDeliveryDate", "UBL-DATE",
                             "delivery date (BT-72)"),
        supplier=party(r, root, "cac:AccountingSupplierParty/cac:Party", "BR-06", "seller"),
        buyer=party(r, root, "cac:AccountingCustomerParty/cac:Party", "BR-07", "buyer"),
        payment_means_code=code, payee_iban=account, payment_id=payment_id,
        allowance_charges=tuple(_allowance_charge(r, n)
                                for n in root.findall("cac:AllowanceCharge", NS)),
        vat=_vat(r, root),
        totals=_totals(r, root),
        lines=lines,
    )


def _due_date(r: Fields, root: Any, kind: str) -> date | None:
    """BT-9: ``cbc:DueDate`` on an Invoice; a UBL 2.1 CreditNote has it in PaymentMeans."""
    if kind == INVOICE:
        return r.date(root, "cbc:DueDate", "UBL-DATE", "due date (BT-9)")
    return r.date(root, "cac:PaymentMeans/cbc:PaymentDueDate", "UBL-DATE", "due date (BT-9)")


def _period(r: Fields, node: Any, rule: str, what: str) -> tuple[date | None, date | None]:
    """(start, end) of the InvoicePeriod under ``node``; ``rule`` refuses an end before start."""
    start = r.date(node, "cac:InvoicePeriod/cbc:StartDate", "UBL-DATE", f"{what} start")
    end = r.date(node, "cac:InvoicePeriod/cbc:EndDate", "UBL-DATE", f"{what} end")
    if start is not None and end is not None and end < start:
        raise r.fail(rule, f"{what} ends before it starts")
    return start, end


def _line(r: Fields, node: Any, qty_tag: str) -> UblLine:
    line_id = r.need(node, "cbc:ID", "BR-21", "line id (BT-126)")
    at = f"line {line_id}"
    qty_node = node.find(qty_tag, NS)
    quantity = r.amount(node, qty_tag, "BR-22", f"quantity of {at} (BT-129)")
    unit = qty_node.get("unitCode") if qty_node is not None else None
    if not unit:
        raise r.fail("BR-23", f"unit code of {at} (BT-130) is missing")
    price = r.amount(node, "cac:Price/cbc:PriceAmount", "BR-26", f"price of {at} (BT-146)")
    if price < 0:
        raise r.fail("BR-27", f"price of {at} (BT-146) is negative")
    base = r.amount(node, "cac:Price/cbc:BaseQuantity", "PEPPOL-EN16931-R121",
                    f"base quantity of {at} (BT-149)", required=False)
    if node.find("cac:Price/cbc:BaseQuantity", NS) is not None and base <= 0:
        raise r.fail("PEPPOL-EN16931-R121", f"base quantity of {at} (BT-149) is not above 0")
    allowances, charges = _line_allowances(r, node, at)
    start, end = _period(r, node, "BR-30", f"period of {at} (BT-134/135)")
    return UblLine(
        line_id=line_id,
        name=r.need(node, "cac:Item/cbc:Name", "BR-25", f"item name of {at}"),
        description=r.text(node, "cac:Item/cbc:Description"),
        quantity=quantity, unit_code=unit, price=price, base_quantity=base or Decimal(1),
        line_amount=r.amount(node, "cbc:LineExtensionAmount", "BR-24",
                             f"net amount of {at} (BT-131)"),
        allowances=allowances, charges=charges,
        vat_category=r.need(node, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID", "BR-CO-04",
                            f"VAT category of {at} (BT-151)"),
        vat_percent=r.amount(node, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent",
                             "BR-CO-04", "VAT rate", required=False),
        period_start=start, period_end=end,
        order_line_ref=r.text(node, "cac:OrderLineReference/cbc:LineID"),
        object_id=_object_id(r, node),
        accounting_cost=r.text(node, "cbc:AccountingCost"),
        note=r.text(node, "cbc:Note"),
    )


def _object_id(r: Fields, node: Any) -> str | None:
    """BT-128: the line's DocumentReference with DocumentTypeCode 130, no other reference."""
    for ref in node.findall("cac:DocumentReference", NS):
        if r.text(ref, "cbc:DocumentTypeCode") == OBJECT_TYPE:
            return r.text(ref, "cbc:ID")
    return None


def _line_allowances(r: Fields, node: Any, at: str) -> tuple[Decimal, Decimal]:
    allowances = charges = ZERO
    for ac in node.findall("cac:AllowanceCharge", NS):
        if r.indicator(ac, f"an allowance/charge of {at}"):
            charges += r.amount(ac, "cbc:Amount", "BR-43", f"charge of {at} (BT-141)")
        else:
            allowances += r.amount(ac, "cbc:Amount", "BR-41", f"allowance of {at} (BT-136)")
    return allowances, charges


def _allowance_charge(r: Fields, node: Any) -> UblAllowanceCharge:
    is_charge = r.indicator(node, "a document allowance/charge")
    return UblAllowanceCharge(
        is_charge=is_charge,
        amount=r.amount(node, "cbc:Amount", "BR-36" if is_charge else "BR-31",
                        "document allowance/charge amount"),
        vat_category=r.need(node, "cac:TaxCategory/cbc:ID", "BR-37" if is_charge else "BR-32",
                            "allowance/charge VAT category"),
        vat_percent=r.amount(node, "cac:TaxCategory/cbc:Percent", "BR-32", "VAT rate",
                             required=False),
        reason=r.text(node, "cbc:AllowanceChargeReason"),
    )


def _vat(r: Fields, root: Any) -> tuple[UblVat, ...]:
    found = []
    for sub in root.findall("cac:TaxTotal/cac:TaxSubtotal", NS):
        category = r.need(sub, "cac:TaxCategory/cbc:ID", "BR-47", "VAT category (BT-118)")
        found.append(UblVat(
            category=category,
            percent=r.amount(sub, "cac:TaxCategory/cbc:Percent", "BR-48",
                             f"VAT rate (BT-119) of category {category}",
                             required=category != "O"),
            taxable_amount=r.amount(sub, "cbc:TaxableAmount", "BR-45",
                                    "VAT taxable amount (BT-116)"),
            tax_amount=r.amount(sub, "cbc:TaxAmount", "BR-46", "VAT amount (BT-117)"),
            exemption_reason_code=r.text(sub, "cac:TaxCategory/cbc:TaxExemptionReasonCode"),
            exemption_reason=r.text(sub, "cac:TaxCategory/cbc:TaxExemptionReason"),
        ))
    if not found:
        raise r.fail("BR-CO-18", "no VAT breakdown (TaxTotal/TaxSubtotal)")
    return tuple(found)


def _totals(r: Fields, root: Any) -> UblTotals:
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

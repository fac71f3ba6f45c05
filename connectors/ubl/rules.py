"""EN 16931 core calculation rules (and two Peppol BIS 3 ones) over a read ``UblInvoice``.

Each check raises ``InvoiceRejected`` with the rule id from the standard, so a quarantined
invoice says exactly which rule it broke. Sums are exact (``Decimal``); only the VAT amount per
category gets the standard's tolerance of one currency unit (BR-CO-17).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from connectors.ubl.model import InvoiceRejected, UblInvoice

CENT = Decimal("0.01")
ZERO = Decimal(0)
TOTAL_DECIMALS = 2
PEPPOL_PREFIX = "urn:cen.eu:en16931:2017"


def check(invoice: UblInvoice) -> None:
    """Run every rule; the first that fails raises ``InvoiceRejected``."""
    for rule in RULES:
        try:
            rule(invoice)
        except ArithmeticError:  # decimal Overflow/InvalidOperation on absurd magnitudes
            raise _fail(invoice, "UBL-DECIMAL", f"amounts too large to check ({rule.__name__})"
                        ) from None


def _fail(invoice: UblInvoice, rule: str, detail: str) -> InvoiceRejected:
    return InvoiceRejected(invoice.source, rule, detail)


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def specification(inv: UblInvoice) -> None:
    """BR-01: the specification identifier claims EN 16931 (Peppol BIS 3 / SI-UBL 2.0)."""
    if not inv.customization_id.startswith(PEPPOL_PREFIX):
        raise _fail(inv, "BR-01", f"specification identifier {inv.customization_id!r} "
                    "is not EN 16931")


def buyer_reference(inv: UblInvoice) -> None:
    """PEPPOL-EN16931-R003: a buyer reference (BT-10) or order reference (BT-13) is given."""
    if not inv.buyer_reference and not inv.order_reference:
        raise _fail(inv, "PEPPOL-EN16931-R003", "neither buyer reference (BT-10) nor order "
                    "reference (BT-13) is given")


def decimals(inv: UblInvoice) -> None:
    """BR-DEC-*: document totals and line amounts have at most two decimals."""
    t = inv.totals
    named = {"BR-DEC-09 BT-106": t.line_extension, "BR-DEC-12 BT-109": t.tax_exclusive,
             "BR-DEC-13 BT-110": t.tax_amount, "BR-DEC-14 BT-112": t.tax_inclusive,
             "BR-DEC-18 BT-115": t.payable}
    named.update({f"BR-DEC-23 BT-131 line {line.line_id}": line.line_amount
                  for line in inv.lines})
    for label, value in named.items():
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > TOTAL_DECIMALS:
            rule, _, what = label.partition(" ")
            raise _fail(inv, rule, f"{what} has more than two decimals")


def line_amounts(inv: UblInvoice) -> None:
    """PEPPOL-EN16931-R120: line net = quantity x price / base quantity + charges - allowances."""
    for line in inv.lines:
        expected = _round(line.quantity * line.price / line.base_quantity
                          + line.charges - line.allowances)
        if expected != line.line_amount:
            raise _fail(inv, "PEPPOL-EN16931-R120", f"line {line.line_id}: net amount "
                        f"{line.line_amount} is not quantity x price = {expected}")


def line_total(inv: UblInvoice) -> None:
    """BR-CO-10: sum of line net amounts = BT-106."""
    total = sum((line.line_amount for line in inv.lines), ZERO)
    if total != inv.totals.line_extension:
        raise _fail(inv, "BR-CO-10", f"sum of line net amounts {total} differs from BT-106 "
                    f"{inv.totals.line_extension}")


def allowance_charge_totals(inv: UblInvoice) -> None:
    """BR-CO-11 / BR-CO-12: document allowances and charges add up to BT-107 / BT-108."""
    allowances = sum((a.amount for a in inv.allowance_charges if not a.is_charge), ZERO)
    charges = sum((a.amount for a in inv.allowance_charges if a.is_charge), ZERO)
    if allowances != inv.totals.allowance_total:
        raise _fail(inv, "BR-CO-11", f"sum of allowances {allowances} differs from BT-107 "
                    f"{inv.totals.allowance_total}")
    if charges != inv.totals.charge_total:
        raise _fail(inv, "BR-CO-12", f"sum of charges {charges} differs from BT-108 "
                    f"{inv.totals.charge_total}")


def tax_exclusive(inv: UblInvoice) -> None:
    """BR-CO-13: BT-109 = BT-106 - BT-107 + BT-108."""
    t = inv.totals
    expected = t.line_extension - t.allowance_total + t.charge_total
    if expected != t.tax_exclusive:
        raise _fail(inv, "BR-CO-13", f"total without VAT {t.tax_exclusive} is not lines - "
                    f"allowances + charges = {expected}")


def vat_total(inv: UblInvoice) -> None:
    """BR-CO-14: BT-110 = sum of the VAT category amounts (BT-117)."""
    total = sum((v.tax_amount for v in inv.vat), ZERO)
    if total != inv.totals.tax_amount:
        raise _fail(inv, "BR-CO-14", f"VAT total {inv.totals.tax_amount} differs from the sum "
                    f"of the VAT breakdown {total}")


def tax_inclusive(inv: UblInvoice) -> None:
    """BR-CO-15: BT-112 = BT-109 + BT-110."""
    t = inv.totals
    if t.tax_exclusive + t.tax_amount != t.tax_inclusive:
        raise _fail(inv, "BR-CO-15", f"total with VAT {t.tax_inclusive} is not "
                    f"{t.tax_exclusive} + {t.tax_amount}")


def payable(inv: UblInvoice) -> None:
    """BR-CO-16: BT-115 = BT-112 - BT-113 + BT-114."""
    t = inv.totals
    expected = t.tax_inclusive - t.prepaid + t.rounding
    if expected != t.payable:
        raise _fail(inv, "BR-CO-16", f"amount due {t.payable} is not {expected}")


def vat_breakdown(inv: UblInvoice) -> None:
    """BR-S-08 / BR-E-08 etc. and BR-CO-17: per category the taxable base and VAT add up."""
    for vat in inv.vat:
        base = _category_base(inv, vat.category, vat.percent)
        if base != vat.taxable_amount:
            raise _fail(inv, f"BR-{vat.category}-08", f"taxable amount {vat.taxable_amount} "
                        f"of VAT category {vat.category} {vat.percent}% is not the sum of its "
                        f"lines and allowances/charges {base}")
        expected = _round(vat.taxable_amount * vat.percent / 100)
        if abs(expected - vat.tax_amount) > 1:
            raise _fail(inv, "BR-CO-17", f"VAT amount {vat.tax_amount} of category "
                        f"{vat.category} is not {vat.percent}% of {vat.taxable_amount}")


def _category_base(inv: UblInvoice, category: str, percent: Decimal) -> Decimal:
    """Sum of line net amounts plus charges minus allowances in one VAT category and rate."""
    lines = sum((x.line_amount for x in inv.lines
                 if (x.vat_category, x.vat_percent) == (category, percent)), ZERO)
    extra = sum((a.amount if a.is_charge else -a.amount for a in inv.allowance_charges
                 if (a.vat_category, a.vat_percent) == (category, percent)), ZERO)
    return lines + extra


def categories(inv: UblInvoice) -> None:
    """BR-CO-04 / BR-E-05 / BR-E-10: every line category has a breakdown; E is 0% with reason."""
    known = {(v.category, v.percent) for v in inv.vat}
    for line in inv.lines:
        if (line.vat_category, line.vat_percent) not in known:
            raise _fail(inv, "BR-CO-04", f"line {line.line_id}: VAT category "
                        f"{line.vat_category} {line.vat_percent}% has no VAT breakdown")
        if line.vat_category == "E" and line.vat_percent != 0:
            raise _fail(inv, "BR-E-05", f"line {line.line_id}: category E must have rate 0")
    for vat in inv.vat:
        if vat.category == "E" and not (vat.exemption_reason_code or vat.exemption_reason):
            raise _fail(inv, "BR-E-10", "VAT category E without an exemption reason")


RULES: tuple[Callable[[UblInvoice], None], ...] = (
    specification, buyer_reference, decimals, categories, line_amounts, line_total,
    allowance_charge_totals, tax_exclusive, vat_breakdown, vat_total, tax_inclusive, payable,
)

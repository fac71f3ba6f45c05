"""EN 16931 core calculation rules (and three Peppol BIS 3 ones) over a read ``UblInvoice``.

Each check raises ``InvoiceRejected`` with the rule id from the standard, so a quarantined
invoice says exactly which rule it broke. Sums are exact (``Decimal``) where the standard's are;
the tolerances are the standard's own: 0.02 on a line's net amount (PEPPOL-EN16931-R120), one
currency unit on a category's VAT amount (BR-CO-17) and on the IGIC/IPSI taxable base
(BR-AF-08, BR-AG-08).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from connectors.ubl.model import UblInvoice
from hub.errors import InvoiceRejected

CENT = Decimal("0.01")
ZERO = Decimal(0)
TOTAL_DECIMALS = 2
PEPPOL_PREFIX = "urn:cen.eu:en16931:2017"
LINE_SLACK = Decimal("0.02")  # PEPPOL-EN16931-R120
# UNCL 5305 as EN 16931 restricts it (BR-CL-17, BR-CL-18)
VAT_CATEGORIES = ("AE", "L", "M", "E", "S", "Z", "G", "O", "K", "B")
# The rule that sums each category's taxable base, and its tolerance (B, split payment, has none)
BASE_RULES: dict[str, tuple[str, Decimal]] = {
    "S": ("BR-S-08", ZERO), "Z": ("BR-Z-08", ZERO), "E": ("BR-E-08", ZERO),
    "AE": ("BR-AE-08", ZERO), "K": ("BR-IC-08", ZERO), "G": ("BR-G-08", ZERO),
    "O": ("BR-O-08", ZERO), "L": ("BR-AF-08", Decimal(1)), "M": ("BR-AG-08", Decimal(1)),
}


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
    named = [("BR-DEC-09", "BT-106", t.line_extension), ("BR-DEC-12", "BT-109", t.tax_exclusive),
             ("BR-DEC-13", "BT-110", t.tax_amount), ("BR-DEC-14", "BT-112", t.tax_inclusive),
             ("BR-DEC-18", "BT-115", t.payable)]
    named += [("BR-DEC-23", f"BT-131 line {line.line_id}", line.line_amount)
              for line in inv.lines]
    for rule, what, value in named:
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > TOTAL_DECIMALS:
            raise _fail(inv, rule, f"{what} has more than two decimals")


def line_amounts(inv: UblInvoice) -> None:
    """PEPPOL-EN16931-R120: line net = quantity x price / base quantity + charges - allowances,
    within 0.02 (charges and allowances summed to the cent first, as Peppol does)."""
    for line in inv.lines:
        expected = (line.quantity * (line.price / line.base_quantity)
                    + _round(line.charges) - _round(line.allowances))
        if abs(expected - line.line_amount) > LINE_SLACK:
            raise _fail(inv, "PEPPOL-EN16931-R120", f"line {line.line_id}: net amount "
                        f"{line.line_amount} is not quantity x price = {_round(expected)}")


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
    """BR-S-08, BR-E-08, ... and BR-CO-17: per category the taxable base and VAT add up."""
    for vat in inv.vat:
        base = _category_base(inv, vat.category, vat.percent)
        rule, slack = BASE_RULES.get(vat.category, ("", ZERO))
        if rule and abs(base - vat.taxable_amount) > slack:
            raise _fail(inv, rule, f"taxable amount {vat.taxable_amount} of VAT category "
                        f"{vat.category} {vat.percent}% is not the sum of its lines and "
                        f"allowances/charges {base}")
        if not _vat_amount_ok(vat.taxable_amount, vat.percent, vat.tax_amount):
            raise _fail(inv, "BR-CO-17", f"VAT amount {vat.tax_amount} of category "
                        f"{vat.category} is not {vat.percent}% of {vat.taxable_amount}")


def _vat_amount_ok(taxable: Decimal, percent: Decimal, tax: Decimal) -> bool:
    """BR-CO-17 as CEN's schematron tests it: within (not at) one unit; 0 for a 0 rate."""
    if _whole(percent) == 0:
        return _whole(tax) == 0
    return abs(abs(tax) - _round(abs(taxable) * percent / 100)) < 1


def _whole(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1), rounding=ROUND_HALF_UP)


def _category_base(inv: UblInvoice, category: str, percent: Decimal) -> Decimal:
    """Sum of line net amounts plus charges minus allowances in one VAT category and rate."""
    lines = sum((x.line_amount for x in inv.lines
                 if (x.vat_category, x.vat_percent) == (category, percent)), ZERO)
    extra = sum((a.amount if a.is_charge else -a.amount for a in inv.allowance_charges
                 if (a.vat_category, a.vat_percent) == (category, percent)), ZERO)
    return lines + extra


def code_list(inv: UblInvoice) -> None:
    """BR-CL-17 / BR-CL-18: VAT categories are codes of UNCL 5305 as EN 16931 restricts it."""
    for category in [v.category for v in inv.vat] + [a.vat_category
                                                     for a in inv.allowance_charges]:
        if category not in VAT_CATEGORIES:
            raise _fail(inv, "BR-CL-17", f"VAT category {category!r} is not in UNCL 5305")
    for line in inv.lines:
        if line.vat_category not in VAT_CATEGORIES:
            raise _fail(inv, "BR-CL-18", f"line {line.line_id}: VAT category "
                        f"{line.vat_category!r} is not in UNCL 5305")


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
    specification, buyer_reference, decimals, code_list, categories, line_amounts, line_total,
    allowance_charge_totals, tax_exclusive, vat_breakdown, vat_total, tax_inclusive, payable,
)

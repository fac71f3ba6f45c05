"""The hub's own refusals of documents EN 16931 accepts (rule ids ``HUB-*``, README.md).

The hub books money in integer cents, hours in thousandths and VAT rates in basis points
(the ``Factuur`` record), and pays by SEPA. A document it cannot carry exactly is refused,
never rounded: a unit price with sub-cent digits, a quantity with more than three decimals, a
VAT rate with more than two, an amount beyond a 64-bit count of cents, or a SEPA credit
transfer (payment means 58) to an account that is not an IBAN. ``scaled`` is the conversion
the connectors' ``Factuur`` translators use afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from connectors import accounts
from connectors.ubl.model import UblInvoice
from hub.errors import InvalidAccount, InvalidField, InvoiceRejected

LIMIT = 2**63  # the Avro long the scaled values go into
SEPA_CREDIT_TRANSFER = "58"


def whole(value: Decimal, factor: int) -> int | None:
    """``value * factor`` as an int when that is whole and fits a long; None otherwise."""
    product = value * factor
    if product != product.to_integral_value() or not -LIMIT <= product < LIMIT:
        return None
    return int(product)


def scaled(value: Decimal, factor: int, field: str) -> int:
    """:func:`whole` of a value ``check`` passed; ``InvalidField`` naming ``field`` otherwise."""
    out = whole(value, factor)
    if out is None:
        raise InvalidField(field, f"is not a whole number of 1/{factor} or out of range")
    return out


def check(inv: UblInvoice) -> None:
    """Run every policy rule; the first that fails raises ``InvoiceRejected``."""
    for rule in RULES:
        try:
            rule(inv)
        except ArithmeticError:  # decimal Overflow/InvalidOperation on absurd magnitudes
            raise _fail(inv, "UBL-DECIMAL", f"amounts too large to check ({rule.__name__})"
                        ) from None


def _fail(inv: UblInvoice, rule: str, detail: str) -> InvoiceRejected:
    return InvoiceRejected(inv.source, rule, detail)


def lines(inv: UblInvoice) -> None:
    """HUB-PRICE, HUB-QUANTITY, HUB-RATE: unit prices in cents, hours in thousandths, rates
    in basis points, exactly."""
    for line in inv.lines:
        at = f"line {line.line_id}"
        if whole(line.price / line.base_quantity, 100) is None:
            raise _fail(inv, "HUB-PRICE", f"{at}: unit price (BT-146 / BT-149) is not a whole "
                        "number of cents")
        if whole(line.quantity, 1000) is None:
            raise _fail(inv, "HUB-QUANTITY", f"{at}: quantity (BT-129) has more than three "
                        "decimals")
        if whole(line.vat_percent, 100) is None:
            raise _fail(inv, "HUB-RATE", f"{at}: VAT rate (BT-152) has more than two decimals")
        if whole(line.line_amount, 100) is None:
            raise _fail(inv, "HUB-RANGE", f"{at}: net amount (BT-131) is out of range")


def totals(inv: UblInvoice) -> None:
    """HUB-RANGE: the totals the hub books fit a 64-bit count of cents."""
    t = inv.totals
    for what, value in (("BT-109", t.tax_exclusive), ("BT-110", t.tax_amount),
                        ("BT-112", t.tax_inclusive), ("BT-115", t.payable)):
        if whole(value, 100) is None:
            raise _fail(inv, "HUB-RANGE", f"{what} is out of range")


def payee(inv: UblInvoice) -> None:
    """HUB-IBAN: a SEPA credit transfer (BT-81 = 58) names a valid IBAN (BT-84); the refusal's
    cause is the one account check's ``InvalidAccount``."""
    if inv.payment_means_code != SEPA_CREDIT_TRANSFER:
        return
    try:
        accounts.iban(inv.payee_iban or "", field="BT-84")
    except InvalidAccount as exc:
        raise _fail(inv, "HUB-IBAN", f"SEPA credit transfer (PaymentMeansCode 58): "
                    f"PayeeFinancialAccount/ID {exc.reason}") from exc


RULES: tuple[Callable[[UblInvoice], None], ...] = (lines, totals, payee)

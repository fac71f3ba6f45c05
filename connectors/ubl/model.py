"""The parsed e-invoice: plain frozen values, amounts as ``Decimal`` exactly as written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

INVOICE = "INVOICE"
CREDIT_NOTE = "CREDIT_NOTE"


@dataclass(frozen=True)
class UblParty:
    """Seller (BG-4) or buyer (BG-7)."""

    name: str                     # BT-27 / BT-44 registration name
    trading_name: str | None      # BT-28 / BT-45 PartyName
    identifier: str | None        # BT-29 / BT-46 PartyIdentification/ID
    legal_id: str | None          # BT-30 / BT-47 PartyLegalEntity/CompanyID
    vat_number: str | None        # BT-31 / BT-48 PartyTaxScheme/CompanyID, TaxScheme VAT
    tax_registration_id: str | None  # BT-32 PartyTaxScheme/CompanyID of another tax scheme
    endpoint_id: str | None       # BT-34 / BT-49 EndpointID
    endpoint_scheme: str | None   # its schemeID (0106 KvK, 0190 OIN, 0088 GLN, ...)
    country: str | None           # BT-40 / BT-55

    @property
    def id(self) -> str:
        """Best stable id: BT-29, else BT-30, else ``<scheme>:<endpoint>``, else the name."""
        if self.identifier:
            return self.identifier
        if self.legal_id:
            return self.legal_id
        if self.endpoint_id:
            return f"{self.endpoint_scheme or ''}:{self.endpoint_id}".lstrip(":")
        return self.name


@dataclass(frozen=True)
class UblLine:
    """One InvoiceLine / CreditNoteLine (BG-25)."""

    line_id: str                      # BT-126
    name: str                         # BT-153
    description: str | None           # BT-154
    quantity: Decimal                 # BT-129 (negative allowed)
    unit_code: str                    # BT-130
    price: Decimal                    # BT-146 net price
    base_quantity: Decimal            # BT-149 (default 1)
    line_amount: Decimal              # BT-131
    allowances: Decimal               # sum of BT-136
    charges: Decimal                  # sum of BT-141
    vat_category: str                 # BT-151
    vat_percent: Decimal              # BT-152 (0 when absent)
    period_start: date | None         # BT-134
    period_end: date | None           # BT-135
    order_line_ref: str | None        # BT-132
    object_id: str | None             # BT-128 invoiced object identifier
    accounting_cost: str | None       # BT-133
    note: str | None                  # BT-127


@dataclass(frozen=True)
class UblVat:
    """One VAT breakdown (BG-23)."""

    category: str                     # BT-118
    percent: Decimal                  # BT-119
    taxable_amount: Decimal           # BT-116
    tax_amount: Decimal               # BT-117
    exemption_reason_code: str | None  # BT-121
    exemption_reason: str | None      # BT-120


@dataclass(frozen=True)
class UblAllowanceCharge:
    """A document-level allowance (BG-20) or charge (BG-21)."""

    is_charge: bool
    amount: Decimal
    vat_category: str
    vat_percent: Decimal
    reason: str | None


@dataclass(frozen=True)
class UblTotals:
    """Document totals (BG-22)."""

    line_extension: Decimal           # BT-106
    allowance_total: Decimal          # BT-107 (0 when absent)
    charge_total: Decimal             # BT-108 (0 when absent)
    tax_exclusive: Decimal            # BT-109
    tax_amount: Decimal               # BT-110 (in the document currency)
    tax_inclusive: Decimal            # BT-112
    prepaid: Decimal                  # BT-113 (0 when absent)
    rounding: Decimal                 # BT-114 (0 when absent)
    payable: Decimal                  # BT-115


@dataclass(frozen=True)
class UblInvoice:
    """An EN 16931 invoice or credit note, checked against the core rules."""

    source: str                       # where it came from (file name), for error messages
    sha256: str                       # of the received bytes
    kind: str                         # INVOICE or CREDIT_NOTE
    customization_id: str             # BT-24
    profile_id: str | None            # BT-23
    number: str                       # BT-1
    issue_date: date                  # BT-2
    due_date: date | None             # BT-9
    type_code: str                    # BT-3 (380, 381, 384, 389, ...)
    currency: str                     # BT-5
    buyer_reference: str | None       # BT-10
    order_reference: str | None       # BT-13
    preceding_invoice: str | None     # BT-25
    accounting_cost: str | None       # BT-19
    period_start: date | None         # BT-73
    period_end: date | None           # BT-74
    delivery_date: date | None        # BT-72
    supplier: UblParty
    buyer: UblParty
    payment_means_code: str | None    # BT-81 (30 credit transfer, 58 SEPA credit transfer)
    payee_iban: str | None            # BT-84: compact when it is a valid IBAN, else as written
    payment_id: str | None            # BT-83 remittance information
    allowance_charges: tuple[UblAllowanceCharge, ...]
    vat: tuple[UblVat, ...]
    totals: UblTotals
    lines: tuple[UblLine, ...]

    @property
    def is_credit_note(self) -> bool:
        """True for a UBL CreditNote document."""
        return self.kind == CREDIT_NOTE

    def line_period(self, line: UblLine) -> tuple[date, date]:
        """The service period of ``line``, first day and last day.

        The line's own dates (BT-134/135) first. A line with one of them takes the other from
        the invoice period (BT-73/74) when that keeps the period in order, else the line's own
        date (a line with only an end date is a service on that date, never one that starts
        after it ends). A line without dates takes the invoice period, else the delivery date
        (BT-72), else the issue date. BR-29/BR-30 already refused periods that end first.
        """
        start, end = line.period_start, line.period_end
        if start is None and end is None:
            start, end = self.period_start, self.period_end
            if start is None and end is None:
                start = self.delivery_date or self.issue_date
        elif start is None:
            start = self.period_start if end and self.period_start and self.period_start <= end \
                else None
        elif end is None:
            end = self.period_end if self.period_end and self.period_end >= start else None
        first = start or end
        last = end or start
        assert first is not None and last is not None
        return first, last

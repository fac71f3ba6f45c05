"""Safe UBL 2.1 Invoice/CreditNote parser (Peppol BIS Billing 3.0 / SI-UBL 2.0, EN 16931).

Public API (see README.md)::

    from connectors.ubl import parse_invoice, InvoiceRejected, UblInvoice

    invoice = parse_invoice(data, source="inbox/2024-001.xml")   # bytes in, UblInvoice out
    invoice.supplier.name, invoice.buyer_reference, invoice.lines[0].quantity, invoice.totals

``parse_invoice`` parses with the hardened parser of ``connectors.safexml`` (no DTD, no
entities, no network, size-capped), reads the EN 16931 fields and checks the core rules. Any
refusal is an ``InvoiceRejected`` (a ``hub.errors.PermanentError``) whose ``rule`` names the rule
that failed (``XML-DTD``, ``BR-16``, ``BR-CO-10``, ``PEPPOL-EN16931-R120``, ...) and whose
``detail`` says why; ``str(exc)`` is ``"<source>: <rule>: <detail>"``. The hub's own refusals
of documents the standard allows are ``HUB-*`` rules (``policy.py``); ``scaled`` converts the
checked amounts to the integers the ``Factuur`` record carries.
"""

from __future__ import annotations

import hashlib

from connectors import safexml
from connectors.ubl import policy, reader, rules
from connectors.ubl.model import (
    CREDIT_NOTE,
    INVOICE,
    UblAllowanceCharge,
    UblInvoice,
    UblLine,
    UblParty,
    UblTotals,
    UblVat,
)
from connectors.ubl.policy import scaled
from connectors.ubl.record import factuur, invoice_key
from hub.errors import InvoiceRejected

MAX_BYTES = 5 * 1024 * 1024

__all__ = [
    "CREDIT_NOTE", "INVOICE", "MAX_BYTES", "InvoiceRejected", "UblAllowanceCharge",
    "UblInvoice", "UblLine", "UblParty", "UblTotals", "UblVat", "factuur", "invoice_key",
    "parse_invoice", "scaled",
]


def parse_invoice(data: bytes, *, source: str, max_bytes: int = MAX_BYTES) -> UblInvoice:
    """Parse and check one UBL document; ``InvoiceRejected`` naming the failed rule otherwise."""
    try:
        root = safexml.parse(data, source=source, max_bytes=max_bytes)
    except safexml.XmlRefused as exc:
        raise InvoiceRejected(source, exc.rule, exc.detail) from exc
    invoice = reader.read(root, source=source, sha256=hashlib.sha256(data).hexdigest())
    rules.check(invoice)
    policy.check(invoice)
    return invoice


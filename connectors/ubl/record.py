"""A checked ``UblInvoice`` -> the Avro ``Factuur`` record (pure), for every invoicing partner.

Amounts become integer cents, quantities thousandths and VAT rates basis points through
``policy.scaled``: ``parse_invoice`` already refused what would not convert exactly (HUB-*),
so nothing here rounds. A line's case is its invoiced object (BT-128) when that is a case
reference; its period is ``UblInvoice.line_period``.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

from connectors.ubl.model import UblInvoice, UblLine
from connectors.ubl.policy import scaled
from hub.versions import bron_versie

CASE_REF = re.compile(r"^CR[0-9A-F]{30}$")


def invoice_key(supplier_id: str, number: str) -> str:
    """``Factuur.case_ref``: 'FA' + 30 upper-case hex of SHA-256 over '<supplier_id>/<number>'."""
    return "FA" + hashlib.sha256(f"{supplier_id}/{number}".encode()).hexdigest()[:30].upper()


def factuur(inv: UblInvoice, *, source: str, received_at: datetime) -> dict[str, Any]:
    """The ``Factuur`` record of a parsed and checked invoice or credit note from ``source``."""
    supplier_id = inv.supplier.id
    t = inv.totals
    return {
        "message_id": f"{source}:factuur:{inv.sha256[:32]}",
        "case_ref": invoice_key(supplier_id, inv.number),
        "source": source, "produced_at": received_at,
        "documentsoort": inv.kind, "factuurnummer": inv.number,
        "factuurdatum": inv.issue_date, "vervaldatum": inv.due_date,
        "leverancier_id": supplier_id, "leverancier_naam": inv.supplier.name,
        "leverancier_btw_nummer": inv.supplier.vat_number,
        "koper_referentie": inv.buyer_reference or inv.order_reference or "",
        "gecrediteerde_factuurnummer": inv.preceding_invoice, "valuta": inv.currency,
        "totaal_excl_btw_cent": scaled(t.tax_exclusive, 100, "BT-109"),
        "btw_bedrag_cent": scaled(t.tax_amount, 100, "BT-110"),
        "totaal_incl_btw_cent": scaled(t.tax_inclusive, 100, "BT-112"),
        "te_betalen_cent": scaled(t.payable, 100, "BT-115"),
        "iban_begunstigde": inv.payee_iban,
        "regels": [_regel(inv, line) for line in inv.lines],
        "ubl_sha256": inv.sha256,
        # R21: the document's own order: each document is its own record, dated by IssueDate
        "bron_versie": bron_versie(f"{source}:document:{inv.sha256}", tijdstip=inv.issue_date,
                                   document=inv.number),
    }


def _regel(inv: UblInvoice, line: UblLine) -> dict[str, Any]:
    at = f"line {line.line_id} "
    start, end = inv.line_period(line)
    case = line.object_id if line.object_id and CASE_REF.match(line.object_id) else None
    return {
        "regelnummer": line.line_id,
        "omschrijving": line.description or line.name,
        "case_ref": case, "koper_referentie": line.order_line_ref,
        "periode_begindatum": start, "periode_einddatum": end,
        "hoeveelheid_milli": scaled(line.quantity, 1000, at + "BT-129"),
        "eenheid": line.unit_code,
        "eenheidsprijs_cent": scaled(line.price / line.base_quantity, 100, at + "BT-146"),
        "regelbedrag_cent": scaled(line.line_amount, 100, at + "BT-131"),
        "btw_categorie": line.vat_category,
        "btw_tarief_basispunten": scaled(line.vat_percent, 100, at + "BT-152"),
    }

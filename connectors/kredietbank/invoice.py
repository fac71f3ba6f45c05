"""A Kredietbank UBL invoice (parsed and checked by ``connectors.ubl``) -> ``Factuur`` (pure).

Lines carry the household in the order line reference (BT-132) and the case reference, when
the Kredietbank knows it, as invoiced object identifier (BT-128). Amounts become integer cents;
sub-cent values are refused (``InvalidField``), never rounded.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.edge import document_version
from connectors.ubl import UblInvoice, UblLine, invoice_key
from hub.errors import InvalidField

SOURCE = "kredietbank"
CASE_REF = re.compile(r"^CR[0-9A-F]{30}$")
VAT_CATEGORIES = ("S", "Z", "E", "AE", "K", "G", "O", "L", "M")


def cents(value: Decimal, field: str, factor: int = 100) -> int:
    """``value * factor`` as an int; ``InvalidField`` naming ``field`` when not whole."""
    scaled = value * factor
    if scaled != scaled.to_integral_value():
        raise InvalidField(field, "has more decimals than allowed")
    return int(scaled)


def factuur(inv: UblInvoice, *, received_at: datetime) -> dict[str, Any]:
    """The Avro ``Factuur`` record of a Kredietbank invoice or credit note (msg 12, R12)."""
    t = inv.totals
    return {
        "message_id": f"{SOURCE}:factuur:{inv.sha256[:32]}",
        "case_ref": invoice_key(inv.supplier.id, inv.number), "source": SOURCE,
        "produced_at": received_at, "documentsoort": inv.kind, "factuurnummer": inv.number,
        "factuurdatum": inv.issue_date, "vervaldatum": inv.due_date,
        "leverancier_id": inv.supplier.id, "leverancier_naam": inv.supplier.name,
        "leverancier_btw_nummer": inv.supplier.vat_number,
        "koper_referentie": inv.buyer_reference or inv.order_reference or "",
        "gecrediteerde_factuurnummer": inv.preceding_invoice, "valuta": inv.currency,
        "totaal_excl_btw_cent": cents(t.tax_exclusive, "BT-109"),
        "btw_bedrag_cent": cents(t.tax_amount, "BT-110"),
        "totaal_incl_btw_cent": cents(t.tax_inclusive, "BT-112"),
        "te_betalen_cent": cents(t.payable, "BT-115"), "iban_begunstigde": inv.payee_iban,
        "regels": [_regel(inv, line) for line in inv.lines], "ubl_sha256": inv.sha256,
        "bron_versie": document_version(SOURCE, inv),
    }


def _regel(inv: UblInvoice, line: UblLine) -> dict[str, Any]:
    at = f"line {line.line_id} "
    if line.vat_category not in VAT_CATEGORIES:
        raise InvalidField(at + "BT-151", "unknown VAT category (UNCL5305)")
    start = line.period_start or inv.period_start or inv.delivery_date or inv.issue_date
    end = line.period_end or inv.period_end or start
    if end < start:
        raise InvalidField(at + "BT-135", "period ends before it starts")
    case = line.object_id if line.object_id and CASE_REF.match(line.object_id) else None
    return {"regelnummer": line.line_id, "omschrijving": line.description or line.name,
            "case_ref": case, "koper_referentie": line.order_line_ref,
            "periode_begindatum": start, "periode_einddatum": end,
            "hoeveelheid_milli": cents(line.quantity, at + "BT-129", 1000),
            "eenheid": line.unit_code,
            "eenheidsprijs_cent": cents(line.price / line.base_quantity, at + "BT-146"),
            "regelbedrag_cent": cents(line.line_amount, at + "BT-131"),
            "btw_categorie": line.vat_category,
            "btw_tarief_basispunten": cents(line.vat_percent, at + "BT-152")}



"""A checked ``UblInvoice`` -> the ``Factuur`` record (pure). Amounts become integer cents.

Conversions refuse, never round: an amount with sub-cent digits, a quantity with more than three
decimals or a VAT rate with more than two is an ``InvalidField`` naming the line and field.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from connectors.edge import document_version
from connectors.taalaanbieder.csvformat import CASE_REF
from connectors.ubl import UblInvoice, UblLine, invoice_key
from hub.errors import InvalidField

VAT_CATEGORIES = ("S", "Z", "E", "AE", "K", "G", "O", "L", "M")


def scaled(value: Decimal, factor: int, field: str) -> int:
    """``value * factor`` as an int, or ``InvalidField`` when that is not whole."""
    product = value * factor
    if product != product.to_integral_value():
        raise InvalidField(field, f"has more than {len(str(factor)) - 1} decimals")
    if not -(2**63) <= product < 2**63:  # the Avro long it goes into
        raise InvalidField(field, "amount out of range")
    return int(product)


def factuur(inv: UblInvoice, *, source: str, received_at: datetime) -> dict[str, Any]:
    """The Avro ``Factuur`` record of a parsed and checked invoice or credit note."""
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
        "bron_versie": document_version(source, inv),
    }


def _regel(inv: UblInvoice, line: UblLine) -> dict[str, Any]:
    at = f"line {line.line_id} "
    if line.vat_category not in VAT_CATEGORIES:
        raise InvalidField(at + "BT-151", "unknown VAT category (UNCL5305)")
    start, end = _period(inv, line)
    return {
        "regelnummer": line.line_id,
        "omschrijving": line.description or line.name,
        "case_ref": line.object_id if line.object_id and CASE_REF.match(line.object_id)
        else None,
        "koper_referentie": line.order_line_ref,
        "periode_begindatum": start, "periode_einddatum": end,
        "hoeveelheid_milli": scaled(line.quantity, 1000, at + "BT-129"),
        "eenheid": line.unit_code,
        "eenheidsprijs_cent": scaled(line.price / line.base_quantity, 100, at + "BT-146"),
        "regelbedrag_cent": scaled(line.line_amount, 100, at + "BT-131"),
        "btw_categorie": line.vat_category,
        "btw_tarief_basispunten": scaled(line.vat_percent, 100, at + "BT-152"),
    }


def _period(inv: UblInvoice, line: UblLine) -> tuple[date, date]:
    """Line period (BT-134/135), else invoice period (BT-73/74), else delivery or issue date."""
    fallback = inv.delivery_date or inv.issue_date
    start = line.period_start or inv.period_start or fallback
    end = line.period_end or inv.period_end or start
    if end < start:
        raise InvalidField(f"line {line.line_id} BT-135", "period ends before it starts")
    return start, end

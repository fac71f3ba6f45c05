"""A school's checked ``UblInvoice`` -> the ``Factuur`` record (pure; ``connectors.ubl.record``).

Conversions refuse, never round: ``parse_invoice`` already refused sub-cent unit prices,
quantities with more than three decimals and VAT rates with more than two (HUB-* rules).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from connectors.ubl import UblInvoice
from connectors.ubl import factuur as _factuur


def factuur(inv: UblInvoice, *, source: str, received_at: datetime) -> dict[str, Any]:
    """The Avro ``Factuur`` record of a parsed and checked invoice or credit note."""
    return _factuur(inv, source=source, received_at=received_at)

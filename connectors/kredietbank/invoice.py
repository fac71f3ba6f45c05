"""A Kredietbank UBL invoice (parsed and checked by ``connectors.ubl``) -> ``Factuur`` (pure).

Lines carry the household in the order line reference (BT-132) and the case reference, when
the Kredietbank knows it, as invoiced object identifier (BT-128); the record itself is built by
the shared ``connectors.ubl.record``, as for the schools.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from connectors.ubl import UblInvoice
from connectors.ubl import factuur as _factuur

SOURCE = "kredietbank"


def factuur(inv: UblInvoice, *, received_at: datetime) -> dict[str, Any]:
    """The Avro ``Factuur`` record of a Kredietbank invoice or credit note (msg 12, R12)."""
    return _factuur(inv, source=SOURCE, received_at=received_at)

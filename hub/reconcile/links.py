"""Facts a message implies for other cases: an invoice's lines for each case they bill.

An invoice is recorded under its own key (supplier and number, ``FA…``); its lines name the
cases (``case_ref`` per line). So that a case's projection sees every line billed for it, each
invoice also becomes one ``FactuurVoorCase`` fact per case with just that case's lines.
"""

from __future__ import annotations

from collections.abc import Sequence

from hub.reconcile.model import FACTUUR_VOOR_CASE, KIND
from hub.store import InboundMessage

FACTUUR = KIND + "Factuur"


def derived(message: InboundMessage) -> Sequence[InboundMessage]:
    """One ``FactuurVoorCase`` per case an invoice's lines name; nothing for other kinds."""
    if message.kind != FACTUUR:
        return ()
    per_case: dict[str, list[dict[str, object]]] = {}
    for line in message.record["regels"]:
        if line.get("case_ref"):
            per_case.setdefault(str(line["case_ref"]), []).append(line)
    return [
        InboundMessage(
            topic=message.topic, partition=message.partition, offset=message.offset,
            message_id=f"{message.message_id}@{case_ref}", case_ref=case_ref,
            kind=FACTUUR_VOOR_CASE,
            record={**message.record, "regels": lines, "factuur_message_id": message.message_id,
                    "factuur_key": message.case_ref},
        )
        for case_ref, lines in sorted(per_case.items())
    ]

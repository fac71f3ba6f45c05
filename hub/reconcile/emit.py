"""What a view change sends: new registrations, new signals, bookings of newly approved lines.

The store calls the emitter with the old and new view of a case in the transaction that
writes the view, so these messages enter the outbox with the view (principle 3). Ids are
stable, and the outbox ignores an id it already has, so a re-projection never sends twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import topics
from hub.codec import AvroCodec
from hub.reconcile import signals
from hub.reconcile.model import GOEDGEKEURD
from hub.reconcile.outbound import booking, signaal
from hub.records import OutboxMessage

KEY_SCHEMA = "nl.inburgering.hub.CaseKey"


class ViewEmitter:
    """The store's emitter: encodes what a case's new view adds over its old one."""

    def __init__(self, codec: AvroCodec) -> None:
        self._codec = codec

    def __call__(self, case_ref: str, old: dict[str, Any] | None,
                 new: dict[str, Any]) -> Sequence[OutboxMessage]:
        """Outbox messages for what ``new`` adds over ``old``."""
        old = old or {}
        out: list[OutboxMessage] = []
        sent = {item["id"] for item in old.get("uitgaand", ())}
        for item in new.get("uitgaand", ()):
            if item["id"] not in sent:
                out.append(self.message(item["id"], item["topic"], item["record"]))
        seen = {s["id"] for s in old.get("signalen", ())}
        for s in new.get("signalen", ()):
            if s["id"] not in seen:
                out.append(self.message(*_on(topics.SIGNAAL, signaal(case_ref, s))))
        booked = {_line(d) for d in old.get("beslissingen", ()) if bookable(d)}
        for d in new.get("beslissingen", ()):
            if bookable(d) and _line(d) not in booked:
                out.append(self.message(*_on(topics.BOEKING, booking(case_ref, d))))
        return out

    def message(self, ident: str, topic: str, record: dict[str, Any]) -> OutboxMessage:
        """One encoded outbox message, keyed by the record's case reference."""
        spec = topics.by_name(topic)
        key = self._codec.encode(KEY_SCHEMA, {"case_ref": record["case_ref"]})
        return OutboxMessage(ident, topic, key, self._codec.encode(spec.value_schema, record))


def bookable(decision: dict[str, Any]) -> bool:
    """Approved invoice lines with an amount and a gemeente become bookings (msg 16)."""
    return (decision["beslissing"] == GOEDGEKEURD and bool(decision.get("goedgekeurd_cent"))
            and bool(decision.get("gemeentecode")) and "regelnummer" in decision
            and "factuur_key" in decision)


def _line(decision: dict[str, Any]) -> tuple[str, str]:
    return str(decision["factuur_key"]), str(decision["regelnummer"])


def _on(topic: str, pair: tuple[str, dict[str, Any]]) -> tuple[str, str, dict[str, Any]]:
    return pair[0], topic, pair[1]


def due_messages(emitter: ViewEmitter, case_ref: str, view: dict[str, Any],
                 today: date, produced_at: datetime | None = None) -> list[OutboxMessage]:
    """R18, R2: the deadline signals of a stored view on ``today``, as outbox messages
    (stamped ``produced_at``: the sweep's moment, never before their ``vastgesteld_op``)."""
    if case_ref.startswith("FA"):
        return []
    return [emitter.message(*_on(topics.SIGNAAL, signaal(case_ref, s, produced_at)))
            for s in signals.due(view, today)]

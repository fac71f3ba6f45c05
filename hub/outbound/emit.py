"""The store's emitter: the effect ledger's diff (``hub.reconcile.effects``), encoded.

The store calls it with a case's new view and its ledger in the transaction that writes the
view; the pure diff decides what to send, this module only encodes it (Avro, Confluent framing)
for the outbox, each message under its effect version's stable id (principle 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import topics
from hub.codec import AvroCodec
from hub.reconcile import effects, signals
from hub.reconcile.outbound import signaal
from hub.store.records import Emission, OutboxMessage

KEY_SCHEMA = "nl.inburgering.hub.CaseKey"


class LedgerEmitter:
    """What a case's view implies beyond what its ledger says was sent, encoded."""

    def __init__(self, codec: AvroCodec) -> None:
        self._codec = codec

    def __call__(self, case_ref: str, view: dict[str, Any], ledger: Sequence[dict[str, Any]],
                 now: datetime) -> Emission:
        """New ledger entries for ``view`` and their outbox messages."""
        entries = effects.plan(case_ref, view, ledger, now)
        return Emission([dict(e) for e in entries],
                        [self.message(e["effect_id"], e["topic"], e["record"]) for e in entries])

    def message(self, ident: str, topic: str, record: dict[str, Any]) -> OutboxMessage:
        """One encoded outbox message, keyed by the record's case reference."""
        spec = topics.by_name(topic)
        key = self._codec.encode(KEY_SCHEMA, {"case_ref": record["case_ref"]})
        return OutboxMessage(ident, topic, key, self._codec.encode(spec.value_schema, record))


def due_messages(emitter: LedgerEmitter, case_ref: str, view: dict[str, Any],
                 today: date, produced_at: datetime | None = None) -> list[OutboxMessage]:
    """R18, R2: the deadline signals of a stored view on ``today``, as outbox messages
    (stamped ``produced_at``: the sweep's moment, never before their ``vastgesteld_op``).
    They depend on the day, not on the facts alone, so they are sent once each and are not in
    the ledger (README: "Deadline signals")."""
    if case_ref.startswith("FA"):
        return []
    return [emitter.message(*_pair(signaal(case_ref, s, produced_at)))
            for s in signals.due(view, today)]


def _pair(pair: tuple[str, dict[str, Any]]) -> tuple[str, str, dict[str, Any]]:
    return pair[0], topics.SIGNAAL, pair[1]


def ledger_only(case_ref: str, view: dict[str, Any], ledger: Sequence[dict[str, Any]],
                now: datetime) -> Emission:
    """The ledger's diff without messages: for stores that keep what would be sent and send
    nothing (offline replays, report tests and benchmarks)."""
    return Emission([dict(e) for e in effects.plan(case_ref, view, ledger, now)], ())

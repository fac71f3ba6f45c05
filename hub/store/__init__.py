"""The hub's case store: facts in, case view out, with inbox, outbox and audit trail.

``Store`` is the only entry point; the modules below it are its parts::

    records.py   re-exports hub.records, the plain values in and out (InboundMessage, Fact, ...)
    jsonsafe.py  Avro values <-> JSON, losslessly
    models.py    tables (typed SQLAlchemy models); migrations/ creates them (Alembic)
    engine.py    engines, transactions, database errors -> StoreBusy
    batch.py     record_batch: inbox + facts + dead letters in one transaction
    views.py     re-projection, audit rows and emitted messages per changed view
    cache.py     decoded facts kept between batches (facts never change)
    outbox.py    outbox writes and publisher bookkeeping
    digest.py    content_hash for crash-equivalence checks
    sql.py       dialect helpers (ON CONFLICT inserts, IN lists, code-point ordering)
    migrate.py   Alembic upgrade at start-up, one process at a time
"""

from hub.store.records import (
    BatchOutcome,
    Emitter,
    Fact,
    InboundMessage,
    OutboxMessage,
    OutboxRow,
    Projection,
    Refusal,
    default_projection,
    position_key,
)
from hub.store.store import Store

__all__ = [
    "BatchOutcome",
    "Emitter",
    "Fact",
    "InboundMessage",
    "OutboxMessage",
    "OutboxRow",
    "Projection",
    "Refusal",
    "Store",
    "default_projection",
    "position_key",
]

"""The store's values live in ``hub.records`` (plain data the rules may import too)."""

from hub.records import (
    BatchOutcome,
    Derive,
    Emitter,
    Fact,
    InboundMessage,
    Links,
    OutboxMessage,
    OutboxRow,
    Projection,
    Refusal,
    default_projection,
    fact_order,
    no_derive,
    no_emitter,
    no_links,
    position_key,
)

__all__ = [
    "BatchOutcome",
    "Derive",
    "Emitter",
    "Fact",
    "InboundMessage",
    "Links",
    "OutboxMessage",
    "OutboxRow",
    "Projection",
    "Refusal",
    "default_projection",
    "fact_order",
    "no_derive",
    "no_emitter",
    "no_links",
    "position_key",
]

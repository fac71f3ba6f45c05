"""ISI message ids from which no BSN can be derived (issue 19): stored ISI facts re-keyed.

An ISI row's message id was a uuid5 over an unkeyed SHA-256 of the raw row, BSN included, so a
BSN could be recovered from an id by trying every BSN. It is now ``hub.ids.content_id`` over
the keyed case reference and the parsed row (connectors/isi/FORMAT.md, "Message ids"). For
every stored ISI fact this computes the new id from what the store holds (case reference and
payload: no key and no export file needed) and rewrites the fact's ``message_id``, the copy in
its payload and the recording agent's inbox row, and marks the case for projection (views
list message ids). Facts that now share an id said the same thing (one row written two ways)
and are kept once. A re-import of an export imported before the upgrade then stores nothing
twice. Not reversible: the old ids are not derivable from the store, which is the point.

Revision ID: 0004_i19_isi_keyed_ids
Revises: 0003_dirty_case
Create Date: 2026-12-03
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from hub.ids import content_id

revision: str = "0004_i19_isi_keyed_ids"
down_revision: str | None = "0003_dirty_case"
branch_labels: str | None = None
depends_on: str | None = None

# ISI topic -> (id namespace, the fields a row's id covers): connectors/isi/translate.py as of
# this migration (tests/unit/test_isi_translate.py checks they agree).
TOPICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "inburgering.isi.inburgeringsplicht-vastgesteld.v1": (
        "isi:persoon", ("v_nummer", "plicht_startdatum", "doelgroep", "regime")),
    "inburgering.isi.traject.v1": (
        "isi:traject", ("isi_traject_id", "regime", "gemeentecode", "soort", "aanbieder",
                        "aanbieder_kvk", "startdatum", "einddatum", "bedrag_cent",
                        "meerkosten_cent", "status")),
    "inburgering.isi.examenresultaat.v1": (
        "isi:examen", ("examen_id", "onderdeel", "niveau", "examendatum", "uitslag", "score")),
    "inburgering.isi.pib-budget.v1": (
        "isi:pibbudget", ("pib_traject_id", "gemeentecode", "toekenningsdatum",
                          "scholingsbudget_cent", "meerkosten_cent", "bonus_cent")),
    "inburgering.isi.pib-voucher.v1": (
        "isi:voucher", ("pib_traject_id", "voucher_id", "gemeentecode", "ontvanger", "vorm",
                        "waarde_cent", "status", "statusdatum", "trajectstartdatum")),
}

_fact = sa.table("fact", sa.column("id", sa.Integer), sa.column("message_id", sa.String),
                 sa.column("case_ref", sa.String), sa.column("source_topic", sa.String),
                 sa.column("payload", sa.JSON))
_inbox = sa.table("inbox", sa.column("consumer", sa.String), sa.column("message_key", sa.String))
_dirty = sa.table("dirty_case", sa.column("case_ref", sa.String),
                  sa.column("token", sa.BigInteger), sa.column("marked_at", sa.DateTime))


def new_id(topic: str, case_ref: str, payload: dict[str, Any]) -> str:
    """The keyed id of a stored ISI fact."""
    namespace, names = TOPICS[topic]
    return content_id(namespace, case_ref, {name: payload.get(name) for name in names})


def upgrade() -> None:
    """Re-key every stored ISI fact, its inbox row and mark its case."""
    conn = op.get_bind()
    rows = conn.execute(sa.select(_fact.c.id, _fact.c.message_id, _fact.c.case_ref,
                                  _fact.c.source_topic, _fact.c.payload)
                        .where(_fact.c.source_topic.in_(list(TOPICS)))
                        .order_by(_fact.c.id)).all()
    taken = set(conn.execute(sa.select(_fact.c.message_id)
                             .where(_fact.c.source_topic.in_(list(TOPICS)))).scalars())
    cases: set[str] = set()
    for row in rows:
        fresh = new_id(row.source_topic, row.case_ref, row.payload)
        if fresh == row.message_id:
            continue
        cases.add(row.case_ref)
        _rekey(conn, row, fresh, duplicate=fresh in taken)
        taken.add(fresh)
    now = datetime.now(UTC)
    for ref in sorted(cases):
        conn.execute(sa.delete(_dirty).where(_dirty.c.case_ref == ref))
        conn.execute(sa.insert(_dirty).values(case_ref=ref, token=secrets.randbits(62),
                                              marked_at=now))


def _rekey(conn: sa.Connection, row: Any, fresh: str, *, duplicate: bool) -> None:
    consumer = f"record:{row.source_topic}"
    old_inbox = sa.and_(_inbox.c.consumer == consumer, _inbox.c.message_key == row.message_id)
    if duplicate:  # the same content is stored already under the new id: keep that one
        conn.execute(sa.delete(_fact).where(_fact.c.id == row.id))
        conn.execute(sa.delete(_inbox).where(old_inbox))
        return
    conn.execute(sa.update(_fact).where(_fact.c.id == row.id).values(
        message_id=fresh, payload={**row.payload, "message_id": fresh}))
    conn.execute(sa.update(_inbox).where(old_inbox).values(message_key=fresh))


def downgrade() -> None:
    """Nothing to undo: the old ids cannot (and must not) be computed again."""

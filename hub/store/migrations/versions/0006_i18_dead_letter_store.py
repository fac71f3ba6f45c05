"""Dead letters with their originals and a status (issue 18): the store is their truth.

The table becomes one row per letter, keyed by the letter id (a connector's edge letters have no
consumed position, so the old position key no longer fits), with the original message (in-hub
letters) or the sealed partner payload (edge letters), the status and its history links.
Existing rows are kept as pending in-hub letters; their originals stay in their outbox rows
(the ``DeadLetter`` record published to the dead-letter topic), not copied here.

Revision ID: 0006_i18_dead_letter_store
Revises: 0004_i19_isi_keyed_ids
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006_i18_dead_letter_store"
down_revision: str | None = "0005_i15_effect_ledger"
branch_labels: str | None = None
depends_on: str | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STAMP = sa.DateTime(timezone=True)
OLD = ("consumer", "source_topic", "source_partition", "source_offset", "error_type",
       "error_message", "attempts", "outbox_message_id", "created_at")


def upgrade() -> None:
    """Recreate dead_letter in its new shape, keeping every row."""
    conn = op.get_bind()
    old = sa.table("dead_letter", *(sa.column(name) for name in OLD))
    rows = [dict(r._mapping) for r in conn.execute(sa.select(old))]
    op.drop_table("dead_letter")
    table = op.create_table(
        "dead_letter",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("letter_id", sa.String(length=400), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("consumer", sa.String(length=200), nullable=False),
        sa.Column("source_topic", sa.String(length=249), nullable=False),
        sa.Column("source_partition", sa.Integer(), nullable=False),
        sa.Column("source_offset", sa.BigInteger(), nullable=False),
        sa.Column("case_ref", sa.String(length=64), nullable=False),
        sa.Column("original_message_id", sa.String(length=400), nullable=True),
        sa.Column("error_type", sa.String(length=200), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("failed_at", STAMP, nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_at", STAMP, nullable=False),
        sa.Column("status_actor", sa.String(length=200), nullable=True),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("redrive_of", sa.String(length=400), nullable=True),
        sa.Column("next_letter", sa.String(length=400), nullable=True),
        sa.Column("redriven_to", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("reentry", sa.String(length=100), nullable=True),
        sa.Column("original_key", sa.LargeBinary(), nullable=True),
        sa.Column("original_value", sa.LargeBinary(), nullable=True),
        sa.Column("sealed_original", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("dead_letter_topic", sa.String(length=249), nullable=False),
        sa.Column("outbox_message_id", sa.String(length=400), nullable=True),
        sa.Column("claimed_at", STAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letter")),
        sa.UniqueConstraint("letter_id", name=op.f("uq_dead_letter_letter_id")),
    )
    op.create_index(op.f("ix_dead_letter_status_failed_at"), "dead_letter",
                    ["status", "failed_at"])
    op.create_index(op.f("ix_dead_letter_source_topic"), "dead_letter", ["source_topic"])
    op.create_index(op.f("ix_dead_letter_redrive_of"), "dead_letter", ["redrive_of"])
    if rows:
        op.bulk_insert(table, [{
            **row, "letter_id": row["outbox_message_id"], "kind": "hub", "case_ref": "",
            "failed_at": row["created_at"], "status": "pending", "status_at": row["created_at"],
            "dead_letter_topic": row["source_topic"] + ".dlt"} for row in rows])


def downgrade() -> None:
    """Back to the position-keyed table (edge letters, originals and statuses are lost)."""
    conn = op.get_bind()
    new = sa.table("dead_letter", *(sa.column(name) for name in (*OLD, "kind")))
    rows = [dict(r._mapping) for r in conn.execute(sa.select(new).where(new.c.kind == "hub"))]
    op.drop_table("dead_letter")
    table = op.create_table(
        "dead_letter",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("consumer", sa.String(length=200), nullable=False),
        sa.Column("source_topic", sa.String(length=249), nullable=False),
        sa.Column("source_partition", sa.Integer(), nullable=False),
        sa.Column("source_offset", sa.BigInteger(), nullable=False),
        sa.Column("error_type", sa.String(length=200), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("outbox_message_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letter")),
        sa.UniqueConstraint("consumer", "source_topic", "source_partition", "source_offset",
                            name="uq_dead_letter_position"),
    )
    op.create_index(op.f("ix_dead_letter_outbox_message_id"), "dead_letter",
                    ["outbox_message_id"])
    if rows:
        op.bulk_insert(table, [{k: v for k, v in row.items() if k != "kind"} for row in rows])

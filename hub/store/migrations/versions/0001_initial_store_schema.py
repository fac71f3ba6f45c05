"""Initial store schema: fact, case_view, inbox, outbox, dead_letter, audit, cursor.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STAMP = sa.DateTime(timezone=True)


def _source() -> list[sa.Column[int | str]]:
    return [
        sa.Column("source_topic", sa.String(length=249), nullable=False),
        sa.Column("source_partition", sa.Integer(), nullable=False),
        sa.Column("source_offset", sa.BigInteger(), nullable=False),
    ]


def upgrade() -> None:
    """Create every table of the store."""
    op.create_table(
        "fact",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("case_ref", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=200), nullable=False),
        *_source(),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("recorded_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fact")),
        sa.UniqueConstraint("message_id", name=op.f("uq_fact_message_id")),
    )
    op.create_index(op.f("ix_fact_case_ref_message_id"), "fact", ["case_ref", "message_id"])
    op.create_table(
        "case_view",
        sa.Column("case_ref", sa.String(length=64), nullable=False),
        sa.Column("view", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("case_ref", name=op.f("pk_case_view")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(length=200), nullable=False),
        sa.Column("message_key", sa.String(length=400), nullable=False),
        *_source(),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("processed_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("consumer", "message_key", name=op.f("pk_inbox")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "outbox",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=249), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=True),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("published_at", STAMP, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_message_id")),
    )
    op.create_index(op.f("ix_outbox_published_at_id"), "outbox", ["published_at", "id"])
    op.create_table(
        "dead_letter",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("consumer", sa.String(length=200), nullable=False),
        *_source(),
        sa.Column("error_type", sa.String(length=200), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("outbox_message_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letter")),
        sa.UniqueConstraint(
            "consumer", "source_topic", "source_partition", "source_offset",
            name="uq_dead_letter_position",
        ),
    )
    op.create_index(
        op.f("ix_dead_letter_outbox_message_id"), "dead_letter", ["outbox_message_id"]
    )
    op.create_table(
        "audit",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("at", STAMP, nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("entity", sa.String(length=100), nullable=False),
        sa.Column("entity_id", sa.String(length=400), nullable=False),
        sa.Column("old", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("new", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit")),
    )
    op.create_index(op.f("ix_audit_entity_entity_id"), "audit", ["entity", "entity_id"])
    op.create_table(
        "cursor",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cursor")),
    )


def downgrade() -> None:
    """Drop every table of the store."""
    for table in ("cursor", "audit", "dead_letter", "outbox", "inbox", "case_view", "fact"):
        op.drop_table(table)

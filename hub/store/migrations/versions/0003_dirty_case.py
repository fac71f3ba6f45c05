"""Dirty-case marks for deferred projection (views computed off the hot path).

Revision ID: 0003_dirty_case
Revises: 0002_console
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003_dirty_case"
down_revision: str | None = "0002_console"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create dirty_case."""
    op.create_table(
        "dirty_case",
        sa.Column("case_ref", sa.String(length=64), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_ref", name=op.f("pk_dirty_case")),
    )
    op.create_index(op.f("ix_dirty_case_marked_at"), "dirty_case", ["marked_at"])


def downgrade() -> None:
    """Drop dirty_case."""
    op.drop_index(op.f("ix_dirty_case_marked_at"), table_name="dirty_case")
    op.drop_table("dirty_case")

"""Console users and sessions (operator console login, ARCHITECTURE §5).

Revision ID: 0002_console
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002_console"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create console_user and console_session."""
    op.create_table(
        "console_user",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_user")),
        sa.UniqueConstraint("name", name=op.f("uq_console_user_name")),
    )
    op.create_table(
        "console_session",
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("expires_at", STAMP, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["console_user.id"], ondelete="CASCADE",
                                name=op.f("fk_console_session_user_id_console_user")),
        sa.PrimaryKeyConstraint("token_digest", name=op.f("pk_console_session")),
    )
    op.create_index(op.f("ix_console_session_user_id"), "console_session", ["user_id"])


def downgrade() -> None:
    """Drop the console tables."""
    op.drop_index(op.f("ix_console_session_user_id"), table_name="console_session")
    op.drop_table("console_session")
    op.drop_table("console_user")

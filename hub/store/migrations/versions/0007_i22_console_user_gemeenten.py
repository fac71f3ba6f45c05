"""Console users limited to gemeenten (issue 22, DOMAIN R26).

``console_user.gemeenten`` holds the CBS gemeentecodes a user may see, comma-separated and
sorted (``0392,0393``); NULL means every gemeente (a user of one gemeente's own hub, or the
uitvoeringsdienst's central team). Existing users keep seeing everything.

Revision ID: 0007_i22_console_user_gemeenten
Revises: 0004_i19_isi_keyed_ids
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007_i22_console_user_gemeenten"
down_revision: str | None = "0008_i24_dirty_case_shard"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add console_user.gemeenten."""
    with op.batch_alter_table("console_user") as batch:
        batch.add_column(sa.Column("gemeenten", sa.String(length=2000), nullable=True))


def downgrade() -> None:
    """Drop console_user.gemeenten."""
    with op.batch_alter_table("console_user") as batch:
        batch.drop_column("gemeenten")

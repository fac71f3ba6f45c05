"""Dirty-case marks carry their projection shard (issue 24): N workers project disjoint cases.

``shard`` is ``hub.store.shards.shard_of(case_ref)`` (CRC-32 of the key, modulo 256); a worker's
projector takes only the marks of the shards its worker owns. Existing marks get theirs here.

Revision ID: 0008_i24_dirty_case_shard
Revises: 0004_i19_isi_keyed_ids
Create Date: 2026-12-03
"""

from __future__ import annotations

import zlib

import sqlalchemy as sa
from alembic import op

revision: str = "0008_i24_dirty_case_shard"
down_revision: str | None = "0006_i18_dead_letter_store"
branch_labels: str | None = None
depends_on: str | None = None

SHARDS = 256  # hub.store.shards.SHARDS as of this migration


def upgrade() -> None:
    """Add dirty_case.shard (filled for existing marks) and its index."""
    with op.batch_alter_table("dirty_case") as batch:
        batch.add_column(sa.Column("shard", sa.SmallInteger(), nullable=False,
                                   server_default="0"))
    conn = op.get_bind()
    table = sa.table("dirty_case", sa.column("case_ref", sa.String), sa.column("shard"))
    refs = list(conn.execute(sa.select(table.c.case_ref)).scalars())
    if refs:
        conn.execute(
            table.update().where(table.c.case_ref == sa.bindparam("ref"))
            .values(shard=sa.bindparam("s")),
            [{"ref": ref, "s": zlib.crc32(ref.encode()) % SHARDS} for ref in refs])
    op.create_index(op.f("ix_dirty_case_shard_marked_at"), "dirty_case", ["shard", "marked_at"])


def downgrade() -> None:
    """Drop dirty_case.shard."""
    op.drop_index(op.f("ix_dirty_case_shard_marked_at"), table_name="dirty_case")
    with op.batch_alter_table("dirty_case") as batch:
        batch.drop_column("shard")

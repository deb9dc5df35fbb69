"""citizens.merged_into_id: a merged citizen is a tombstone pointing to its survivor

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 10:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("citizens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            "fk_citizens_merged_into_id", "citizens", ["merged_into_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("citizens", schema=None) as batch_op:
        batch_op.drop_constraint("fk_citizens_merged_into_id", type_="foreignkey")
        batch_op.drop_column("merged_into_id")

"""the commune's logo in the letterhead (a blob of the authority); a procedure's default service

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 11:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("authorities") as batch:
        batch.add_column(sa.Column("logo_sha256", sa.String(length=64), nullable=True))
    with op.batch_alter_table("procedures") as batch:
        batch.add_column(sa.Column("default_service_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("procedures") as batch:
        batch.drop_column("default_service_id")
    with op.batch_alter_table("authorities") as batch:
        batch.drop_column("logo_sha256")

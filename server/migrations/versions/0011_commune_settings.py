"""commune settings and procedures catalogue: target delay, adjoints, documents, templates

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 10:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("authorities") as batch:
        batch.add_column(sa.Column("internal_target_days", sa.Integer(), nullable=False,
                                   server_default="7"))
        batch.add_column(sa.Column("deputies", sa.JSON(), nullable=False,
                                   server_default=sa.text("'[]'")))
    with op.batch_alter_table("procedures") as batch:
        batch.add_column(sa.Column("required_documents", sa.JSON(), nullable=False,
                                   server_default=sa.text("'[]'")))
        batch.add_column(sa.Column("reply_templates", sa.JSON(), nullable=False,
                                   server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table("procedures") as batch:
        batch.drop_column("reply_templates")
        batch.drop_column("required_documents")
    with op.batch_alter_table("authorities") as batch:
        batch.drop_column("deputies")
        batch.drop_column("internal_target_days")

"""services of a commune (teams) and assignment of requests to a service

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "services",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("authority_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("member_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["authority_id"], ["authorities.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_services_version", "services", ["version"])
    op.create_index("ix_services_scope", "services", ["authority_id", "version"])
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assignee_service_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            "fk_requests_assignee_service_id_services", "services",
            ["assignee_service_id"], ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_constraint("fk_requests_assignee_service_id_services", type_="foreignkey")
        batch_op.drop_column("assignee_service_id")
    op.drop_index("ix_services_scope", table_name="services")
    op.drop_index("ix_services_version", table_name="services")
    op.drop_table("services")

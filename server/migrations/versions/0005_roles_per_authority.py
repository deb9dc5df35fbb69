"""roles per authority: an agent's role belongs to each of their memberships

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agent_authorities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=20), nullable=True))
    # Every existing membership keeps the role the agent had everywhere.
    op.execute(
        "UPDATE agent_authorities SET role = "
        "(SELECT agents.role FROM agents WHERE agents.id = agent_authorities.agent_id)"
    )
    with op.batch_alter_table("agent_authorities", schema=None) as batch_op:
        batch_op.alter_column("role", existing_type=sa.String(length=20), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("agent_authorities", schema=None) as batch_op:
        batch_op.drop_column("role")

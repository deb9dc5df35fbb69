"""parapheur poller: a lease per folder (two server processes never follow the same folder at
once), the time of the folder's last progress and what it last looked like in its parapheur
(a folder still for N days is flagged stuck)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC = server.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("parapheur_folders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_until", UTC, nullable=True))
        batch_op.add_column(sa.Column("progressed_at", UTC, nullable=True))
        batch_op.add_column(sa.Column("remote_seen", sa.String(length=200), nullable=True))
        batch_op.create_index("ix_parapheur_folders_due", ["next_poll_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("parapheur_folders", schema=None) as batch_op:
        batch_op.drop_index("ix_parapheur_folders_due")
        batch_op.drop_column("remote_seen")
        batch_op.drop_column("progressed_at")
        batch_op.drop_column("locked_until")

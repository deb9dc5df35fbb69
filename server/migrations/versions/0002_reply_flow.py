"""reply flow: delivery proof on messages, parapheur connectors, mail settings and outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC = server.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("to_email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("attachment_ids", sa.JSON(), nullable=False,
                                      server_default="[]"))
        batch_op.add_column(sa.Column("delivery", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("delivered_at", UTC, nullable=True))
        batch_op.add_column(sa.Column("smtp_message_id", sa.String(length=250), nullable=True))
        batch_op.add_column(sa.Column("smtp_response", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("failure", sa.Text(), nullable=True))

    with op.batch_alter_table("parapheur_folders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("connector", sa.String(length=30), nullable=False,
                                      server_default="builtin"))
        batch_op.add_column(sa.Column("remote_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("public_annotation", sa.Text(), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("private_annotation", sa.Text(), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("wished_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("signed_attachment_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("bordereau_attachment_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("sending", sa.String(length=10), nullable=False,
                                      server_default="sent"))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("stuck", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("next_poll_at", UTC, nullable=True))
        batch_op.add_column(sa.Column("poll_failures", sa.Integer(), nullable=False,
                                      server_default="0"))

    op.create_table(
        "parapheur_settings",
        sa.Column("authority_id", sa.Uuid(), nullable=False),
        sa.Column("connector", sa.String(length=30), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["authority_id"], ["authorities.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("authority_id"),
    )
    op.create_table(
        "mail_settings",
        sa.Column("authority_id", sa.Uuid(), nullable=False),
        sa.Column("transport", sa.String(length=10), nullable=False),
        sa.Column("host", sa.String(length=253), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("security", sa.String(length=10), nullable=False),
        sa.Column("username", sa.String(length=254), nullable=True),
        sa.Column("password", sa.String(length=500), nullable=True),
        sa.Column("from_address", sa.String(length=254), nullable=False),
        sa.Column("from_name", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["authority_id"], ["authorities.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("authority_id"),
    )
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("authority_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("header_id", sa.String(length=250), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["authority_id"], ["authorities.id"]),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_mail_outbox_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_mail_outbox_message_id"), ["message_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_outbox_message_id"))
        batch_op.drop_index("ix_mail_outbox_due")
    op.drop_table("mail_outbox")
    op.drop_table("mail_settings")
    op.drop_table("parapheur_settings")
    with op.batch_alter_table("parapheur_folders", schema=None) as batch_op:
        for name in ("poll_failures", "next_poll_at", "stuck", "last_error", "sending",
                     "bordereau_attachment_id", "signed_attachment_id", "wished_date",
                     "private_annotation", "public_annotation", "remote_id", "connector"):
            batch_op.drop_column(name)
    with op.batch_alter_table("messages", schema=None) as batch_op:
        for name in ("failure", "smtp_response", "smtp_message_id", "delivered_at", "delivery",
                     "attachment_ids", "to_email"):
            batch_op.drop_column(name)

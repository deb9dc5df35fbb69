"""rgpd: audit entries carry their citizen and request; 36-month retention runs; the audit log
refuses UPDATE and DELETE at the database itself (append-only, whatever the code does)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = {
    "audit_log_no_update": "BEFORE UPDATE ON audit_log",
    "audit_log_no_delete": "BEFORE DELETE ON audit_log",
}
_MESSAGE = "journal d''audit en ajout seul"  # SQL literal: the quote doubled


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("citizen_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("request_id", sa.Uuid(), nullable=True))
    op.create_index("ix_audit_citizen_at", "audit_log", ["citizen_id", "at"])
    op.create_index("ix_audit_request_at", "audit_log", ["request_id", "at"])
    # Entries written before: a change of a citizen or a request names it in entity_id.
    op.execute("UPDATE audit_log SET citizen_id = entity_id WHERE entity = 'citizens'")
    op.execute("UPDATE audit_log SET request_id = entity_id WHERE entity = 'requests'")
    op.create_table(
        "retention_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("authority_id", sa.Uuid(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("cutoff", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("approved_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.Uuid(), nullable=True),
        sa.Column("finished_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["authority_id"], ["authorities.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("authority_id", "as_of"),
    )
    op.create_index("ix_retention_runs_authority_id", "retention_runs", ["authority_id"])
    op.create_table(
        "retention_items",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("citizen_id", sa.Uuid(), nullable=False),
        sa.Column("last_activity", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("done_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["retention_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "citizen_id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{_MESSAGE}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        for name, when in _SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} {when} BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    else:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("retention_items")
    op.drop_index("ix_retention_runs_authority_id", table_name="retention_runs")
    op.drop_table("retention_runs")
    op.drop_index("ix_audit_request_at", table_name="audit_log")
    op.drop_index("ix_audit_citizen_at", table_name="audit_log")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("request_id")
        batch.drop_column("citizen_id")

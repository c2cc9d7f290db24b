"""Reliability: finalize_failed status, the quarantine of live snapshots (issue 7).

A call whose finalize keeps failing is stored as a minimal `calls` row with status `finalize_failed`
(a status string, so no DDL for it) and its raw live snapshot is kept in `call_quarantine`.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_quarantine",
        sa.Column("call_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("error_type", sa.String(length=128), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.LargeBinary(), nullable=False),
        sa.Column("quarantined_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_call_quarantine_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("call_id", name=op.f("pk_call_quarantine")),
    )
    op.create_index(
        op.f("ix_call_quarantine_organization_id"), "call_quarantine", ["organization_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_call_quarantine_organization_id"), table_name="call_quarantine")
    op.drop_table("call_quarantine")

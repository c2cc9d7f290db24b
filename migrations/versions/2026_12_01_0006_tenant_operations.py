"""Tenant operations: retention and erasure marks, voicemail recordings, overflows, privacy audit (issue 11).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the model types, so later model edits never rewrite history.
JSON_T = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TIMESTAMPTZ = sa.DateTime(timezone=True)
BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("calls", sa.Column("recording_url", sa.String(length=2048), nullable=True))
    op.add_column("calls", sa.Column("transcript_purged_at", TIMESTAMPTZ, nullable=True))
    op.add_column("calls", sa.Column("intake_purged_at", TIMESTAMPTZ, nullable=True))
    op.add_column("calls", sa.Column("content_erased_at", TIMESTAMPTZ, nullable=True))
    op.add_column("calls", sa.Column("content_erased_by", sa.String(length=64), nullable=True))
    op.create_index(
        "ix_calls_org_started_unpurged",
        "calls",
        ["organization_id", "started_at"],
        postgresql_where=sa.text("transcript_purged_at IS NULL"),
        sqlite_where=sa.text("transcript_purged_at IS NULL"),
    )
    op.create_index("ix_call_intakes_org_completed", "call_intakes", ["organization_id", "completed_at"])
    op.create_table(
        "call_overflows",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("at", TIMESTAMPTZ, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("refused_by", sa.String(length=16), nullable=False),
        sa.Column("call_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_call_overflows_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_overflows")),
    )
    op.create_index("ix_call_overflows_org_at", "call_overflows", ["organization_id", "at"])
    op.create_table(
        "privacy_audit",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("at", TIMESTAMPTZ, nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("call_id", sa.Uuid(), nullable=True),
        sa.Column("deleted", JSON_T, nullable=False),
        sa.Column("details", JSON_T, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_privacy_audit_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_audit")),
    )
    op.create_index("ix_privacy_audit_org_at", "privacy_audit", ["organization_id", "at", "id"])


def downgrade() -> None:
    op.drop_index("ix_privacy_audit_org_at", table_name="privacy_audit")
    op.drop_table("privacy_audit")
    op.drop_index("ix_call_overflows_org_at", table_name="call_overflows")
    op.drop_table("call_overflows")
    op.drop_index("ix_call_intakes_org_completed", table_name="call_intakes")
    op.drop_index("ix_calls_org_started_unpurged", table_name="calls")
    op.drop_column("calls", "content_erased_by")
    op.drop_column("calls", "content_erased_at")
    op.drop_column("calls", "intake_purged_at")
    op.drop_column("calls", "transcript_purged_at")
    op.drop_column("calls", "recording_url")

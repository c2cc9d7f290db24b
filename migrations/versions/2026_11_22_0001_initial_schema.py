"""Initial schema: tenants, keys, numbers, config audit and the finished-call tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 00:10:10.388635
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the model types, so later model edits never rewrite history.
JSON_T = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TIMESTAMPTZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("config", JSON_T, nullable=False),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("slug", name=op.f("uq_organizations_slug")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", JSON_T, nullable=False),
        sa.Column("created_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.Column("last_used_at", TIMESTAMPTZ, nullable=True),
        sa.Column("revoked_at", TIMESTAMPTZ, nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_api_keys_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    op.create_index(op.f("ix_api_keys_organization_id"), "api_keys", ["organization_id"], unique=False)
    op.create_table(
        "calls",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", TIMESTAMPTZ, nullable=False),
        sa.Column("ended_at", TIMESTAMPTZ, nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("escalation_reason", sa.Text(), nullable=True),
        sa.Column("escalation_urgency", sa.String(length=16), nullable=True),
        sa.Column("urgency", sa.String(length=16), nullable=True),
        sa.Column("end_reason", sa.String(length=64), nullable=True),
        sa.Column("twilio_call_sid", sa.String(length=64), nullable=True),
        sa.Column("from_number", sa.String(length=32), nullable=True),
        sa.Column("caller_name", sa.String(length=200), nullable=True),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column("prompt_hash", sa.String(length=80), nullable=False),
        sa.Column("metadata", JSON_T, nullable=False),
        sa.Column("turn_count", sa.Integer(), nullable=False),
        sa.Column("persisted_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("channel IN ('browser', 'phone')", name=op.f("ck_calls_channel")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_calls_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint("twilio_call_sid", name=op.f("uq_calls_twilio_call_sid")),
    )
    op.create_index(
        "ix_calls_org_escalated_started",
        "calls",
        ["organization_id", "escalated", "started_at", "id"],
        unique=False,
    )
    op.create_index("ix_calls_org_started", "calls", ["organization_id", "started_at", "id"], unique=False)
    op.create_index(
        "ix_calls_org_status_started",
        "calls",
        ["organization_id", "status", "started_at", "id"],
        unique=False,
    )
    op.create_table(
        "config_audit",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("actor_type", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=True),
        sa.Column("changed_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.Column("old_version", sa.Integer(), nullable=False),
        sa.Column("new_version", sa.Integer(), nullable=False),
        sa.Column("changed_fields", JSON_T, nullable=False),
        sa.Column("changes", JSON_T, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_config_audit_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_config_audit")),
    )
    op.create_index(
        "ix_config_audit_org_changed", "config_audit", ["organization_id", "changed_at", "id"], unique=False
    )
    op.create_table(
        "phone_numbers",
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_phone_numbers_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_phone_numbers")),
    )
    op.create_index(
        op.f("ix_phone_numbers_organization_id"), "phone_numbers", ["organization_id"], unique=False
    )
    op.create_table(
        "call_events",
        sa.Column("call_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("at", TIMESTAMPTZ, nullable=False),
        sa.Column("data", JSON_T, nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_call_events_call_id_calls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("call_id", "seq", name=op.f("pk_call_events")),
    )
    op.create_table(
        "call_intakes",
        sa.Column("call_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("data", JSON_T, nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("completed_at", TIMESTAMPTZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_call_intakes_call_id_calls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("call_id", name=op.f("pk_call_intakes")),
    )
    op.create_table(
        "call_transcripts",
        sa.Column("call_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("speaker", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", TIMESTAMPTZ, nullable=False),
        sa.CheckConstraint("speaker IN ('caller', 'agent')", name=op.f("ck_call_transcripts_speaker")),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_call_transcripts_call_id_calls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("call_id", "seq", name=op.f("pk_call_transcripts")),
    )


def downgrade() -> None:
    op.drop_table("call_transcripts")
    op.drop_table("call_intakes")
    op.drop_table("call_events")
    op.drop_index(op.f("ix_phone_numbers_organization_id"), table_name="phone_numbers")
    op.drop_table("phone_numbers")
    op.drop_index("ix_config_audit_org_changed", table_name="config_audit")
    op.drop_table("config_audit")
    op.drop_index("ix_calls_org_status_started", table_name="calls")
    op.drop_index("ix_calls_org_started", table_name="calls")
    op.drop_index("ix_calls_org_escalated_started", table_name="calls")
    op.drop_table("calls")
    op.drop_index(op.f("ix_api_keys_organization_id"), table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_table("organizations")

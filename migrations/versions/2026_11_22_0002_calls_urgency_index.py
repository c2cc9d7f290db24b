"""Index calls by (org, urgency, started_at, id): the urgency filter of GET /api/calls walks it directly.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 01:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_calls_org_urgency_started",
        "calls",
        ["organization_id", "urgency", "started_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_calls_org_urgency_started", table_name="calls")

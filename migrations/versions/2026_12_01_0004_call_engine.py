"""The call engine: the OpenAI call id (`rtc_...`) of a browser call run over the unified interface (issue 8).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("calls", sa.Column("openai_call_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("calls", "openai_call_id")

"""Webhook signing secrets encrypted at rest; indexes for webhook retention and erasure; a NOTIFY on
every outbox insert so a separate worker hears of it without polling (issue 10).

Existing rows are encrypted here, with the key the deployment's settings name (WEBHOOK_SECRET_KEY,
or the development key outside production), so no plaintext secret stays after the upgrade. The
downgrade decrypts them back into the plaintext columns.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.settings import WebhookSettings
from app.webhooks.crypto import box_for

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTIFY_CHANNEL = "callintake_outbox"  # frozen copy of app.events.outbox.NOTIFY_CHANNEL

endpoints = sa.table(
    "webhook_endpoints",
    sa.column("id", sa.Uuid()),
    sa.column("secret", sa.String()),
    sa.column("previous_secret", sa.String()),
    sa.column("secret_encrypted", sa.String()),
    sa.column("previous_secret_encrypted", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.add_column(sa.Column("secret_encrypted", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("previous_secret_encrypted", sa.String(length=255), nullable=True))
    box = box_for(WebhookSettings())
    connection = op.get_bind()
    rows = connection.execute(sa.select(endpoints.c.id, endpoints.c.secret, endpoints.c.previous_secret))
    for endpoint_id, secret, previous in rows.all():
        connection.execute(
            endpoints.update()
            .where(endpoints.c.id == endpoint_id)
            .values(
                secret_encrypted=box.encrypt(secret, endpoint_id=endpoint_id),
                previous_secret_encrypted=None
                if previous is None
                else box.encrypt(previous, endpoint_id=endpoint_id),
            )
        )
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.alter_column("secret_encrypted", existing_type=sa.String(length=255), nullable=False)
        batch.drop_column("secret")
        batch.drop_column("previous_secret")
    # Retention and erasure find deliveries through their events (ix_webhook_deliveries_event_id): no
    # new index on webhook_deliveries, which every claim and attempt would have to update.
    op.create_index("ix_outbox_events_org_created", "outbox_events", ["organization_id", "created_at"])
    op.create_index("ix_outbox_events_call_id", "outbox_events", ["call_id"])
    if op.get_bind().dialect.name == "postgresql":
        # A committed outbox insert wakes every worker's dispatcher at once (LISTEN, dispatcher.py);
        # PostgreSQL delivers it only on commit, and folds the notices of one transaction into one.
        op.execute(
            "CREATE FUNCTION outbox_events_notify() RETURNS trigger LANGUAGE plpgsql AS"
            f" $$ BEGIN PERFORM pg_notify('{NOTIFY_CHANNEL}', ''); RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER outbox_events_notify AFTER INSERT ON outbox_events"
            " FOR EACH STATEMENT EXECUTE FUNCTION outbox_events_notify()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER outbox_events_notify ON outbox_events")
        op.execute("DROP FUNCTION outbox_events_notify()")
    op.drop_index("ix_outbox_events_call_id", table_name="outbox_events")
    op.drop_index("ix_outbox_events_org_created", table_name="outbox_events")
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.add_column(sa.Column("secret", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("previous_secret", sa.String(length=100), nullable=True))
    box = box_for(WebhookSettings())
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(endpoints.c.id, endpoints.c.secret_encrypted, endpoints.c.previous_secret_encrypted)
    )
    for endpoint_id, secret, previous in rows.all():
        connection.execute(
            endpoints.update()
            .where(endpoints.c.id == endpoint_id)
            .values(
                secret=box.decrypt(secret, endpoint_id=endpoint_id),
                previous_secret=None if previous is None else box.decrypt(previous, endpoint_id=endpoint_id),
            )
        )
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.alter_column("secret", existing_type=sa.String(length=100), nullable=False)
        batch.drop_column("secret_encrypted")
        batch.drop_column("previous_secret_encrypted")

"""The outbox NOTIFY fires only for events that still need a fan-out.

An event no endpoint of its org subscribes to is written fanned out already (app/events/live.py); a
NOTIFY for it would wake every worker's dispatcher into a fan-out transaction that finds nothing. The
statement trigger now looks at the rows it inserted (a transition table) and notifies only if one is
pending. PostgreSQL only: SQLite has no NOTIFY.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 07:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 'callintake_outbox' below: a frozen copy of app.events.outbox.NOTIFY_CHANNEL.
NOTIFY_CHANNEL = "callintake_outbox"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER outbox_events_notify ON outbox_events")
    op.execute(
        "CREATE OR REPLACE FUNCTION outbox_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " IF EXISTS (SELECT 1 FROM inserted WHERE fanned_out_at IS NULL) THEN"
        " PERFORM pg_notify('callintake_outbox', ''); END IF; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER outbox_events_notify AFTER INSERT ON outbox_events"
        " REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION outbox_events_notify()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER outbox_events_notify ON outbox_events")
    op.execute(
        "CREATE OR REPLACE FUNCTION outbox_events_notify() RETURNS trigger LANGUAGE plpgsql AS"
        f" $$ BEGIN PERFORM pg_notify('{NOTIFY_CHANNEL}', ''); RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER outbox_events_notify AFTER INSERT ON outbox_events"
        " FOR EACH STATEMENT EXECUTE FUNCTION outbox_events_notify()"
    )

"""An index on events.occurred_at: the report's "as of" time is the newest event's,
and the audit trail keeps growing (archived items keep their events), so `max(occurred_at)`
must not scan it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 07:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_events_occurred_at", "events", ["occurred_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_events_occurred_at", table_name="events")

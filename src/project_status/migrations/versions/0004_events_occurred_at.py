"""An index on events.occurred_at: the report's "as of" time is the newest event's,
and the audit trail keeps growing (archived items keep their events), so `max(occurred_at)`
must not scan it.
"""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_index("ix_events_occurred_at", "events", ["occurred_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_events_occurred_at", table_name="events")

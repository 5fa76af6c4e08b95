"""A work item's assignee: who is to do it, as planned (a claim says who holds it now)."""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"

_TABLES = ("work_items", "archived_work_items")


def upgrade() -> None:
    for table in _TABLES:
        op.add_column(table, sa.Column("assignee", sa.String(length=200), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): rebuilding work_items instead would cascade-delete its
    # dependency rows with foreign keys on (see 0006).
    for table in _TABLES:
        op.drop_column(table, "assignee")

"""An index in ready-work order (priority, then oldest) over live items: the ready list and the
next item walk it and stop after a page, instead of sorting every open item on each call.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_index(
        "ix_work_items_ready_order",
        "work_items",
        ["priority", "created_at", "id"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
        sqlite_where=sa.text("deleted_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_work_items_ready_order", table_name="work_items")

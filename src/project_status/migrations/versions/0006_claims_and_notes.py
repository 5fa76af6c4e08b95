"""Agents working together: the `in_progress` status, claims with leases, and work item notes."""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"

_OLD_STATUSES = "status IN ('active', 'completed', 'blocked')"
_NEW_STATUSES = "status IN ('active', 'in_progress', 'completed', 'blocked')"


def _replace_status_check(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_work_items_status"), "work_items", type_="check")
        op.create_check_constraint(op.f("ck_work_items_status"), "work_items", new)
        return
    # SQLite cannot alter a CHECK. Rebuilding the table (Alembic's batch mode) would drop it, and
    # with foreign keys on, dropping it deletes every dependency row by cascade. Changing a CHECK
    # leaves the stored rows as they are, so the table's definition is edited in place instead,
    # the procedure SQLite documents for it (https://sqlite.org/lang_altertable.html).
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'work_items'",
        (old, new),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    for table in ("work_items", "archived_work_items"):
        op.add_column(table, sa.Column("claimed_by", sa.String(length=200), nullable=True))
        op.add_column(table, sa.Column("claim_expires_at", sa.DateTime(timezone=True), nullable=True))
    _replace_status_check(_OLD_STATUSES, _NEW_STATUSES)
    op.create_table(
        "work_item_notes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("work_item_id", sa.Uuid(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_item_notes")),
    )
    op.create_index(
        "ix_work_item_notes_item", "work_item_notes", ["work_item_id", "created_at", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_work_item_notes_item", table_name="work_item_notes")
    op.drop_table("work_item_notes")
    op.execute(sa.text("UPDATE work_items SET status = 'active' WHERE status = 'in_progress'"))
    op.execute(sa.text("UPDATE archived_work_items SET status = 'active' WHERE status = 'in_progress'"))
    _replace_status_check(_NEW_STATUSES, _OLD_STATUSES)
    for table in ("work_items", "archived_work_items"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("claim_expires_at")
            batch.drop_column("claimed_by")

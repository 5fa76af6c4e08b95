"""Archiving: dependencies moved out with an archived end, and the log of archive runs."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_index("ix_archived_work_items_parent_id", "archived_work_items", ["parent_id"], unique=False)
    op.create_table(
        "archived_work_item_dependencies",
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("dependency_type", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "source_id", "target_id", "dependency_type", name=op.f("pk_archived_work_item_dependencies")
        ),
    )
    op.create_index(
        "ix_archived_work_item_dependencies_target_id",
        "archived_work_item_dependencies",
        ["target_id"],
        unique=False,
    )
    op.create_table(
        "archive_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("older_than_days", sa.Integer(), nullable=False),
        sa.Column("cutoff", sa.DateTime(timezone=True), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("subtrees", sa.Integer(), nullable=False),
        sa.Column("dependencies", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_runs")),
    )
    op.create_index("ix_archive_runs_finished_at", "archive_runs", ["finished_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_archive_runs_finished_at", table_name="archive_runs")
    op.drop_table("archive_runs")
    op.drop_index(
        "ix_archived_work_item_dependencies_target_id", table_name="archived_work_item_dependencies"
    )
    op.drop_table("archived_work_item_dependencies")
    op.drop_index("ix_archived_work_items_parent_id", table_name="archived_work_items")

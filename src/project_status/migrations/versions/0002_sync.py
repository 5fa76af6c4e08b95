"""The fallback chain: the offline journal and mirror state, the replay ledger, conflicts."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sync_journal",
        sa.Column("seq", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("op_id", sa.Uuid(), nullable=False),
        sa.Column("operation", sa.String(length=60), nullable=False),
        sa.Column("arguments", JSON_DOCUMENT, nullable=False),
        sa.Column("entity_type", sa.String(length=30), nullable=False),
        sa.Column("entity_id", sa.String(length=36), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", JSON_DOCUMENT, nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'applied', 'conflict')", name=op.f("ck_sync_journal_state")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_sync_journal")),
        sa.UniqueConstraint("op_id", name=op.f("uq_sync_journal_op_id")),
    )
    op.create_index("ix_sync_journal_state", "sync_journal", ["state", "seq"], unique=False)
    op.create_table(
        "sync_mirror_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=True),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("needs_refresh", sa.Boolean(), nullable=False),
        sa.Column("events_through", BIG_ID, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_mirror_state")),
    )
    op.create_table(
        "sync_applied",
        sa.Column("op_id", sa.Uuid(), nullable=False),
        sa.Column("operation", sa.String(length=60), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("op_id", name=op.f("pk_sync_applied")),
    )
    op.create_table(
        "sync_conflicts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("op_id", sa.Uuid(), nullable=False),
        sa.Column("operation", sa.String(length=60), nullable=False),
        sa.Column("entity_type", sa.String(length=30), nullable=False),
        sa.Column("entity_id", sa.String(length=36), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("offline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("arguments", JSON_DOCUMENT, nullable=False),
        sa.Column("mine", JSON_DOCUMENT, nullable=True),
        sa.Column("theirs", JSON_DOCUMENT, nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_conflicts")),
        sa.UniqueConstraint("op_id", name=op.f("uq_sync_conflicts_op_id")),
    )
    op.create_index("ix_sync_conflicts_resolved_at", "sync_conflicts", ["resolved_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sync_conflicts_resolved_at", table_name="sync_conflicts")
    op.drop_table("sync_conflicts")
    op.drop_table("sync_applied")
    op.drop_table("sync_mirror_state")
    op.drop_index("ix_sync_journal_state", table_name="sync_journal")
    op.drop_table("sync_journal")

"""Initial schema: every table of DESIGN.md section 3 and the configuration singleton."""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "archived_work_items",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("metadata", JSON_DOCUMENT, nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_type", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.Integer(), server_default=sa.text("3"), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("branch_name", sa.String(length=255), nullable=True),
        sa.Column("commit_hash", sa.String(length=40), nullable=True),
        sa.Column("pr_number", sa.Integer(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archived_work_items")),
    )
    op.create_index(
        "ix_archived_work_items_archived_at", "archived_work_items", ["archived_at"], unique=False
    )
    op.create_index("ix_archived_work_items_path", "archived_work_items", ["path"], unique=False)
    op.create_table(
        "deployments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("deployed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("commit_hash", sa.String(length=40), nullable=False),
        sa.Column("metadata", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployments")),
    )
    op.create_index("ix_deployments_deployed_at", "deployments", ["deployed_at"], unique=False)
    op.create_table(
        "events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("entity_type", sa.String(length=30), nullable=False),
        sa.Column("entity_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changes", JSON_DOCUMENT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index("ix_events_entity", "events", ["entity_type", "entity_id", "id"], unique=False)
    op.create_table(
        "future_enhancements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("target_quarter", sa.String(length=7), nullable=True),
        sa.Column("requires_constitutional_principles", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "status IN ('planned', 'approved', 'implementing', 'completed')",
            name=op.f("ck_future_enhancements_status"),
        ),
        sa.CheckConstraint("priority BETWEEN 1 AND 5", name=op.f("ck_future_enhancements_priority")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_future_enhancements")),
    )
    op.create_index("ix_future_enhancements_status", "future_enhancements", ["status"], unique=False)
    op.create_table(
        "project_configuration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("active_context_type", sa.String(length=20), nullable=True),
        sa.Column("current_session_id", sa.Uuid(), nullable=True),
        sa.Column("git_branch", sa.String(length=255), nullable=True),
        sa.Column("git_head_commit", sa.String(length=40), nullable=True),
        sa.Column("default_token_budget", sa.Integer(), nullable=False),
        sa.Column("database_healthy", sa.Boolean(), nullable=False),
        sa.Column("last_health_check_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "active_context_type IS NULL OR active_context_type IN ('feature', 'maintenance', 'research')",
            name=op.f("ck_project_configuration_active_context_type"),
        ),
        sa.CheckConstraint(
            "default_token_budget BETWEEN 1000 AND 1000000",
            name=op.f("ck_project_configuration_default_token_budget"),
        ),
        sa.CheckConstraint("id = 1", name=op.f("ck_project_configuration_singleton")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_configuration")),
    )
    op.create_table(
        "vendors",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("extractor_version", sa.String(length=50), nullable=False),
        sa.Column("metadata", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint("status IN ('operational', 'broken')", name=op.f("ck_vendors_status")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_vendors_version")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vendors")),
        sa.UniqueConstraint("name", name="uq_vendors_name"),
    )
    op.create_table(
        "work_items",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("metadata", JSON_DOCUMENT, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_type", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.Integer(), server_default=sa.text("3"), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("branch_name", sa.String(length=255), nullable=True),
        sa.Column("commit_hash", sa.String(length=40), nullable=True),
        sa.Column("pr_number", sa.Integer(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "item_type IN ('project', 'session', 'task', 'research')", name=op.f("ck_work_items_item_type")
        ),
        sa.CheckConstraint("status IN ('active', 'completed', 'blocked')", name=op.f("ck_work_items_status")),
        sa.CheckConstraint("depth BETWEEN 0 AND 5", name=op.f("ck_work_items_depth")),
        sa.CheckConstraint("length(title) BETWEEN 1 AND 200", name=op.f("ck_work_items_title_length")),
        sa.CheckConstraint("pr_number IS NULL OR pr_number > 0", name=op.f("ck_work_items_pr_number")),
        sa.CheckConstraint("priority BETWEEN 1 AND 5", name=op.f("ck_work_items_priority")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_work_items_version")),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["work_items.id"],
            name=op.f("fk_work_items_parent_id_work_items"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_items")),
    )
    op.create_index("ix_work_items_created_at", "work_items", ["created_at"], unique=False)
    op.create_index("ix_work_items_item_type", "work_items", ["item_type"], unique=False)
    op.create_index(
        "ix_work_items_live",
        "work_items",
        ["status", "priority"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
        sqlite_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index("ix_work_items_parent_id", "work_items", ["parent_id"], unique=False)
    op.create_index("ix_work_items_path", "work_items", ["path"], unique=False)
    op.create_index("ix_work_items_status", "work_items", ["status"], unique=False)
    op.create_table(
        "deployment_vendors",
        sa.Column("deployment_id", sa.Uuid(), nullable=False),
        sa.Column("vendor_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_deployment_vendors_deployment_id_deployments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["vendors.id"],
            name=op.f("fk_deployment_vendors_vendor_id_vendors"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("deployment_id", "vendor_id", name=op.f("pk_deployment_vendors")),
    )
    op.create_index("ix_deployment_vendors_vendor_id", "deployment_vendors", ["vendor_id"], unique=False)
    op.create_table(
        "deployment_work_items",
        sa.Column("deployment_id", sa.Uuid(), nullable=False),
        sa.Column("work_item_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_deployment_work_items_deployment_id_deployments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("deployment_id", "work_item_id", name=op.f("pk_deployment_work_items")),
    )
    op.create_index(
        "ix_deployment_work_items_work_item_id", "deployment_work_items", ["work_item_id"], unique=False
    )
    op.create_table(
        "enhancement_dependencies",
        sa.Column("enhancement_id", sa.Uuid(), nullable=False),
        sa.Column("depends_on_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "enhancement_id <> depends_on_id", name=op.f("ck_enhancement_dependencies_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["depends_on_id"],
            ["future_enhancements.id"],
            name=op.f("fk_enhancement_dependencies_depends_on_id_future_enhancements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enhancement_id"],
            ["future_enhancements.id"],
            name=op.f("fk_enhancement_dependencies_enhancement_id_future_enhancements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("enhancement_id", "depends_on_id", name=op.f("pk_enhancement_dependencies")),
    )
    op.create_index(
        "ix_enhancement_dependencies_depends_on_id",
        "enhancement_dependencies",
        ["depends_on_id"],
        unique=False,
    )
    op.create_table(
        "work_item_dependencies",
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("dependency_type", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "dependency_type IN ('blocks', 'depends_on')",
            name=op.f("ck_work_item_dependencies_dependency_type"),
        ),
        sa.CheckConstraint("source_id <> target_id", name=op.f("ck_work_item_dependencies_not_self")),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["work_items.id"],
            name=op.f("fk_work_item_dependencies_source_id_work_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["work_items.id"],
            name=op.f("fk_work_item_dependencies_target_id_work_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "source_id", "target_id", "dependency_type", name=op.f("pk_work_item_dependencies")
        ),
    )
    op.create_index(
        "ix_work_item_dependencies_target_id", "work_item_dependencies", ["target_id"], unique=False
    )
    _insert_configuration_singleton()


def _insert_configuration_singleton() -> None:
    """The one configuration row exists from the start, so no two clients race to create it."""
    now = datetime.now(UTC)
    table = sa.table(
        "project_configuration",
        sa.column("id", sa.Integer()),
        sa.column("version", sa.Integer()),
        sa.column("default_token_budget", sa.Integer()),
        sa.column("database_healthy", sa.Boolean()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("created_by", sa.String()),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        sa.column("updated_by", sa.String()),
    )
    bind = op.get_bind()
    stamp = now.replace(tzinfo=None) if bind.dialect.name == "sqlite" else now
    op.bulk_insert(
        table,
        [
            {
                "id": 1,
                "version": 1,
                "default_token_budget": 200_000,
                "database_healthy": True,
                "created_at": stamp,
                "created_by": "system",
                "updated_at": stamp,
                "updated_by": "system",
            }
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_work_item_dependencies_target_id", table_name="work_item_dependencies")
    op.drop_table("work_item_dependencies")
    op.drop_index("ix_enhancement_dependencies_depends_on_id", table_name="enhancement_dependencies")
    op.drop_table("enhancement_dependencies")
    op.drop_index("ix_deployment_work_items_work_item_id", table_name="deployment_work_items")
    op.drop_table("deployment_work_items")
    op.drop_index("ix_deployment_vendors_vendor_id", table_name="deployment_vendors")
    op.drop_table("deployment_vendors")
    op.drop_index("ix_work_items_status", table_name="work_items")
    op.drop_index("ix_work_items_path", table_name="work_items")
    op.drop_index("ix_work_items_parent_id", table_name="work_items")
    op.drop_index(
        "ix_work_items_live",
        table_name="work_items",
        postgresql_where=sa.text("deleted_at IS NULL"),
        sqlite_where=sa.text("deleted_at IS NULL"),
    )
    op.drop_index("ix_work_items_item_type", table_name="work_items")
    op.drop_index("ix_work_items_created_at", table_name="work_items")
    op.drop_table("work_items")
    op.drop_table("vendors")
    op.drop_table("project_configuration")
    op.drop_index("ix_future_enhancements_status", table_name="future_enhancements")
    op.drop_table("future_enhancements")
    op.drop_index("ix_events_entity", table_name="events")
    op.drop_table("events")
    op.drop_index("ix_deployments_deployed_at", table_name="deployments")
    op.drop_table("deployments")
    op.drop_index("ix_archived_work_items_path", table_name="archived_work_items")
    op.drop_index("ix_archived_work_items_archived_at", table_name="archived_work_items")
    op.drop_table("archived_work_items")

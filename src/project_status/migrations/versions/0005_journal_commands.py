"""The offline journal names registry commands: each entry says which format it is written in.

Entries already waiting (written as service method calls) are format 1 and are translated when
they are replayed; new entries are format 2 (a command name and its input as JSON).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_journal") as batch:
        batch.add_column(
            sa.Column("schema_version", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("sync_journal") as batch:
        batch.drop_column("schema_version")

"""The offline journal names registry commands: each entry says which format it is written in.

Entries already waiting (written as service method calls) are format 1 and are translated when
they are replayed; new entries are format 2 (a command name and its input as JSON).
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    with op.batch_alter_table("sync_journal") as batch:
        batch.add_column(
            sa.Column("schema_version", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("sync_journal") as batch:
        batch.drop_column("schema_version")

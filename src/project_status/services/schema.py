"""Schema use cases for people and operators: which revision a database is at, and upgrading it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from project_status.settings import Settings, database_url
from project_status.store.database import Database, redact
from project_status.store.migrate import HEAD, current_revision, upgrade


@dataclass(frozen=True)
class SchemaState:
    database: str
    """The URL without its password, as the user wrote it."""
    exists: bool
    revision: str | None
    head: str = HEAD

    @property
    def up_to_date(self) -> bool:
        return self.revision == self.head


def _missing_sqlite_file(url: str) -> bool:
    target = make_url(url)
    return (
        target.get_backend_name() == "sqlite"
        and bool(target.database)
        and not Path(target.database or "").exists()
    )


async def schema_state(settings: Settings) -> SchemaState:
    """The database's revision; a SQLite file that does not exist yet is reported, not created."""
    url = database_url(settings)
    if _missing_sqlite_file(url):
        return SchemaState(redact(url), exists=False, revision=None)
    db = Database(url)
    try:
        return SchemaState(redact(url), exists=True, revision=await current_revision(db))
    finally:
        await db.dispose()


async def upgrade_schema(settings: Settings) -> tuple[SchemaState, str | None]:
    """Apply the packaged migrations; the state after, and the revision before."""
    url = database_url(settings)
    db = Database(url)
    try:
        before, after = await upgrade(db)
    finally:
        await db.dispose()
    return SchemaState(redact(url), exists=True, revision=after), before

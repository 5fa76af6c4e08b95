"""Apply and check the packaged Alembic migrations.

Alembic (and Mako under it) costs a large share of start-up, so it is imported only when a
migration really runs: the check on every start compares the stored revision with `HEAD`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from project_status.domain.errors import SchemaOutdatedError
from project_status.store.database import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
HEAD = max(path.name[:4] for path in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
"""Newest revision, from the scripts' names (each starts with its revision; a test checks this is
Alembic's head), so start-up need not load Alembic and a new migration needs no edit here."""


def alembic_config(url: str | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def script_head() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _current_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _upgrade(conn: Connection, revision: str) -> None:
    from alembic import command

    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


async def current_revision(db: Database) -> str | None:
    async with db.connection() as conn:
        return await conn.run_sync(_current_revision)


async def upgrade(db: Database, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the schema to `revision`; returns (before, after)."""
    async with db.connection(transaction=True) as conn:
        before = await conn.run_sync(_current_revision)
        if before != HEAD or revision != "head":
            await conn.run_sync(_upgrade, revision)
        after = await conn.run_sync(_current_revision)
    return before, after


async def ensure_schema(db: Database) -> None:
    """SQLite databases upgrade themselves; a PostgreSQL database that is behind says what to run."""
    current = await current_revision(db)
    if current == HEAD:
        return
    if db.is_sqlite:
        await upgrade(db)
        return
    raise SchemaOutdatedError(
        f"The database schema is at {current or 'nothing'}, this version needs {HEAD}: "
        "run `project-status db upgrade`.",
        {"current": current, "required": HEAD},
    )

"""A throw-away PostgreSQL role with a CONNECTION LIMIT, to fill the server's budget on purpose
in a test without touching the shared server's own settings."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.engine import make_url

CONNECT_TIMEOUT = 5


@asynccontextmanager
async def limited_role(admin_dsn: str, database_url: str, limit: int) -> AsyncIterator[str]:
    """A login role allowed `limit` connections with every right on `database_url`'s tables;
    yields the URL of that database as the role (same driver as given). Dropped at the end,
    its remaining sessions ended first."""
    name = f"ps_limited_{uuid.uuid4().hex[:10]}"
    url = make_url(database_url)
    admin = make_url(admin_dsn.replace("postgresql+asyncpg://", "postgresql://"))
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False), timeout=CONNECT_TIMEOUT)
    try:
        await conn.execute(f"CREATE ROLE {name} LOGIN CONNECTION LIMIT {int(limit)}")
    finally:
        await conn.close()
    target = admin.set(database=url.database).render_as_string(hide_password=False)
    conn = await asyncpg.connect(target, timeout=CONNECT_TIMEOUT)
    try:
        await conn.execute(
            f"GRANT ALL ON SCHEMA public TO {name}; "
            f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {name}; "
            f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {name}"
        )
    finally:
        await conn.close()
    try:
        yield url.set(username=name, password=None).render_as_string(hide_password=False)
    finally:
        for where in (target, admin.render_as_string(hide_password=False)):
            conn = await asyncpg.connect(where, timeout=CONNECT_TIMEOUT)
            try:
                await conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", name
                )
                if where == target:
                    await conn.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {name}")
                    await conn.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {name}")
                    await conn.execute(f"REVOKE ALL ON SCHEMA public FROM {name}")
                else:
                    await conn.execute(f"DROP ROLE IF EXISTS {name}")
            finally:
                await conn.close()


async def connections_of(admin_dsn: str, *, database: str | None = None, role: str | None = None) -> int:
    """How many sessions pg_stat_activity shows for that database or role (or both)."""
    admin = make_url(admin_dsn.replace("postgresql+asyncpg://", "postgresql://"))
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False), timeout=CONNECT_TIMEOUT)
    try:
        count = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE ($1::text IS NULL OR datname = $1) "
            "AND ($2::text IS NULL OR usename = $2) AND pid <> pg_backend_pid()",
            database,
            role,
        )
    finally:
        await conn.close()
    return int(count)

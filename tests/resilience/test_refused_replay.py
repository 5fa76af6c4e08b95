"""A journaled change that PostgreSQL refuses on replay is kept as a conflict; the rest goes on.

The local mirror (SQLite) takes values and rows PostgreSQL will not: a NUL byte in a text, an
integer past the column, a row a constraint of the server's refuses. Such an entry must not hold
up every later one: it is kept as a sync conflict with the database's refusal as its message,
and resolved like any other conflict.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from project_status.domain.errors import ValidationError
from project_status.domain.sync import ConflictReason, Resolution
from project_status.domain.work_items import WorkItemCreate
from project_status.services import notices
from project_status.services.fallback.upkeep import keep_mirror_current
from project_status.services.tracker import Tracker
from tests.mcp.conftest import server_env
from tests.resilience.conftest import PrivatePostgres, wait_until_connectable
from tests.resilience.test_health import raw

ME = "offline-client"
CLI = [sys.executable, "-m", "project_status"]
REFUSED_TITLE = "Refused by the database"
LEAKS = ("INSERT", "UPDATE ", "SELECT", "asyncpg", "sqlalchemy", "[SQL", "$1", "Traceback", "DETAIL")


async def execute(pg: PrivatePostgres, sql: str) -> None:
    conn = await asyncpg.connect(pg.tracker_url, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def count(pg: PrivatePostgres, sql: str, *args: Any) -> int:
    return int((await raw(pg, sql, *args))[0])


def item(title: str) -> WorkItemCreate:
    return WorkItemCreate(item_type="project", title=title)


async def cli(pg: PrivatePostgres, home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """`project-status ARGV` in its own process, in the client's project folder."""
    env = server_env(home, PROJECT_STATUS_DATABASE_URL=pg.tracker_url)
    return await asyncio.to_thread(
        subprocess.run, [*CLI, *argv], env=env, cwd=home, capture_output=True, text=True, timeout=120
    )


async def offline(pg: PrivatePostgres, me: Tracker, *titles: str) -> list[str]:
    """Create one project per title while PostgreSQL is down: each only in the mirror's journal."""
    assert me.mirror is not None and me.router is not None
    await me.mirror.refresh()
    pg.stop("fast")
    me.router.regenerate_report = False  # not what these tests are about
    with notices.collecting():
        ids = [str((await me.work_items.create(item(title), ME)).id) for title in titles]
    pg.start()
    await wait_until_connectable(pg)
    me.db.breaker.succeeded()  # the back-off would run out, as time does in a real outage
    return ids


def rewrite_journal(mirror: Path, seq_title: str, **fields: Any) -> None:
    """Change a journaled create's arguments in place, past every check of the interfaces: what an
    older version, or a value the mirror took and PostgreSQL never will, leaves in the journal."""
    with sqlite3.connect(mirror) as conn:
        seq, arguments = conn.execute(
            "SELECT seq, arguments FROM sync_journal WHERE json_extract(arguments, '$.title') = ?",
            (seq_title,),
        ).fetchone()
        saved = json.loads(arguments)
        saved.update(fields)
        conn.execute("UPDATE sync_journal SET arguments = ? WHERE seq = ?", (json.dumps(saved), seq))


async def test_a_change_postgres_refuses_is_kept_as_a_conflict_and_the_entries_after_it_are_written(
    pg: PrivatePostgres, client: Callable[[str], Any], tmp_path: Path
) -> None:
    """Through `project-status sync` and `conflicts resolve`, as a person would clear it."""
    home = tmp_path / "me"
    me: Tracker = await client("me")
    # A rule of the server's that the mirror does not have: PostgreSQL alone refuses the row.
    await execute(
        pg, f"ALTER TABLE work_items ADD CONSTRAINT ck_refused_on_replay CHECK (title <> '{REFUSED_TITLE}')"
    )
    refused_id, later_id = await offline(pg, me, REFUSED_TITLE, "Written after it")
    await me.close()

    synced = await cli(pg, home, "sync", "--json")
    assert synced.returncode == 0, synced.stderr
    result = json.loads(synced.stdout)
    assert (result["applied"], result["conflicts"], result["remaining"]) == (1, 1, 0), result
    assert await count(pg, "SELECT count(*) FROM work_items WHERE id = $1", later_id) == 1
    assert await count(pg, "SELECT count(*) FROM work_items WHERE id = $1", refused_id) == 0
    assert "Traceback" not in synced.stderr

    listed = await cli(pg, home, "conflicts", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [conflict] = json.loads(listed.stdout)["items"]
    assert conflict["reason"] == ConflictReason.REJECTED.value and conflict["entity_id"] == refused_id
    assert 'violates check constraint "ck_refused_on_replay"' in conflict["message"], conflict
    assert not any(leak in conflict["message"] for leak in LEAKS), conflict["message"]

    mine = await cli(pg, home, "conflicts", "resolve", conflict["id"], "--keep", "mine")
    assert mine.returncode == 1, mine
    assert "still refuses" in mine.stderr and "ck_refused_on_replay" in mine.stderr, mine.stderr
    assert "keep_theirs" in mine.stderr or "--keep theirs" in mine.stderr, mine.stderr
    assert "Traceback" not in mine.stderr and not any(leak in mine.stderr for leak in LEAKS), mine.stderr
    assert await count(pg, "SELECT count(*) FROM work_items WHERE id = $1", refused_id) == 0
    assert await count(pg, "SELECT count(*) FROM sync_conflicts WHERE resolved_at IS NULL") == 1

    theirs = await cli(pg, home, "conflicts", "resolve", conflict["id"], "--keep", "theirs")
    assert theirs.returncode == 0, theirs.stderr
    assert await count(pg, "SELECT count(*) FROM sync_conflicts WHERE resolved_at IS NULL") == 0
    again = await cli(pg, home, "sync", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["applied"] == 0


@pytest.mark.parametrize(
    ("field", "value", "refusal", "reason"),
    [
        ("title", "a\x00b", "0x00", ConflictReason.UNSTORABLE),
        ("pr_number", 2**31, "2147483648", ConflictReason.REJECTED),
    ],
    ids=["nul-byte", "int-overflow"],
)
async def test_a_value_the_mirror_took_and_postgres_refuses_does_not_block_the_journal(
    pg: PrivatePostgres,
    client: Callable[[str], Any],
    field: str,
    value: Any,
    refusal: str,
    reason: ConflictReason,
) -> None:
    me: Tracker = await client("me")
    assert me.mirror is not None and me.sync is not None
    bad_id, later_id = await offline(pg, me, "Bad value", "Written after it")
    rewrite_journal(me.mirror.path, "Bad value", **{field: value})

    result = await me.sync.sync()
    assert (result.applied, result.conflicts, result.remaining) == (1, 1, 0), result
    assert await count(pg, "SELECT count(*) FROM work_items WHERE id = $1", later_id) == 1
    assert await count(pg, "SELECT count(*) FROM work_items WHERE id = $1", bad_id) == 0
    [conflict] = await me.sync.conflicts()
    assert conflict.entity_id == bad_id
    # PostgreSQL's refusal, or today's rules refusing the value first: either names the value
    assert refusal in conflict.message or field in conflict.message, conflict.message
    assert not any(leak in conflict.message for leak in LEAKS), conflict.message
    if reason is ConflictReason.UNSTORABLE:  # kept with what PostgreSQL can't store replaced
        assert conflict.reason is reason and "\x00" not in conflict.arguments[field]
    assert (await me.sync.sync()).conflicts == 0  # kept once, not retried

    with pytest.raises(ValidationError, match="apply_mine") as refused:
        await me.sync.resolve(conflict.id, Resolution.APPLY_MINE, ME)
    assert "keep_theirs" in refused.value.message
    assert await count(pg, "SELECT count(*) FROM work_items WHERE id = $1", bad_id) == 0
    assert (await me.sync.get(conflict.id)).resolved_at is None
    dropped = await me.sync.resolve(conflict.id, Resolution.KEEP_THEIRS, ME)
    assert dropped.resolution is Resolution.KEEP_THEIRS
    assert await me.sync.conflicts() == []


async def test_a_failing_replay_round_logs_one_line_and_backs_off(
    pg: PrivatePostgres, client: Callable[[str], Any], caplog: pytest.LogCaptureFixture
) -> None:
    """A round that fails the same way every time (here: an entry no service of this version
    knows) must not fill the log with a traceback every poll."""
    me: Tracker = await client("me")
    assert me.mirror is not None and me.sync is not None
    await offline(pg, me, "Unknown to this version")
    with sqlite3.connect(me.mirror.path) as conn:
        conn.execute("UPDATE sync_journal SET operation = 'RetiredService.create'")
    poll = 0.05
    with caplog.at_level(logging.INFO, logger="project_status"):
        job = asyncio.create_task(
            keep_mirror_current(
                me.mirror, me.sync, me.try_ready, refresh_every_seconds=3600, poll_seconds=poll
            )
        )
        await asyncio.sleep(1.5)
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
    failures = [r for r in caplog.records if "mirror upkeep" in r.getMessage()]
    assert failures, [r.getMessage() for r in caplog.records]
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in failures), failures
    # Without back-off a round would fail every `poll`, 30 times in this window; doubling waits
    # allow at most 5 (a busy machine only makes fewer).
    assert len(failures) <= 6, [r.getMessage() for r in failures]

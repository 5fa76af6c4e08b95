"""After an outage a client reads its own writes, and a write whose answer was lost is not made
twice: through a TCP proxy that stalls the connection to a private PostgreSQL.

A call that reaches PostgreSQL while the local mirror's journal holds changes replays them first;
every write on PostgreSQL records its operation id in the replay ledger in its own transaction,
so the replay of a write that did commit (its answer cut off by the timeout) is known as done.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from project_status.domain.work_items import WorkItemCreate, WorkItemUpdate
from project_status.services import notices
from project_status.services.tracker import Tracker
from project_status.settings import Settings
from tests.mcp.conftest import server_env
from tests.resilience.conftest import PrivatePostgres, fresh_tracker_database
from tests.resilience.proxy import StallingProxy, stalling_proxy
from tests.resilience.test_health import raw

ME = "stalled-client"
CLI = [sys.executable, "-m", "project_status"]
COMMITTED_WITHIN = 30.0
"""How long the database may take to carry out a COMMIT that got through (a busy machine)."""


@pytest.fixture
async def proxy(postgres: PrivatePostgres) -> AsyncIterator[StallingProxy]:
    await fresh_tracker_database(postgres)
    async with stalling_proxy(postgres.port) as proxy:
        yield proxy
    postgres.ensure_running()


async def count(pg: PrivatePostgres, sql: str, *args: Any) -> int:
    return int((await raw(pg, sql, *args))[0])


async def cli(proxy: StallingProxy, home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """`project-status ARGV` in its own process, connecting through the proxy."""
    env = server_env(home, PROJECT_STATUS_DATABASE_URL=proxy.url("tracker"))
    return await asyncio.to_thread(
        subprocess.run, [*CLI, *argv], env=env, cwd=home, capture_output=True, text=True, timeout=120
    )


async def test_items_written_while_postgres_stalled_are_read_back_by_the_next_command(
    postgres: PrivatePostgres, proxy: StallingProxy, tmp_path: Path
) -> None:
    home = tmp_path / "me"
    home.mkdir()
    proxy.stall()
    made = await cli(proxy, home, "items", "create", "--type", "project", "--title", "Payments", "--json")
    assert made.returncode == 0, made.stderr
    assert "pending sync" in made.stderr, made.stderr
    project_id = json.loads(made.stdout)["id"]
    proxy.resume()

    shown = await cli(proxy, home, "items", "show", project_id, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["title"] == "Payments"
    assert "unavailable" not in shown.stderr, shown.stderr  # PostgreSQL answered, not the mirror
    child = await cli(
        proxy, home, "items", "create", "--type", "task", "--title", "Retry webhooks", "--parent", project_id
    )
    assert child.returncode == 0, child.stderr
    assert "pending sync" not in child.stderr, child.stderr

    assert await count(postgres, "SELECT count(*) FROM work_items") == 2
    assert (
        await count(postgres, "SELECT count(*) FROM work_items WHERE parent_id = $1::uuid", project_id) == 1
    )
    assert await count(postgres, "SELECT count(*) FROM events WHERE action = 'created'") == 2
    assert await count(postgres, "SELECT count(*) FROM sync_conflicts") == 0


ONE_STATEMENT = (WorkItemUpdate(title="Payments v2"), b"Payments v2")
"""An update that is one statement (`store.one_statement`), committed on its own: its answer is
lost once the message carrying its values has gone through."""
TRANSACTION = (WorkItemUpdate(title="Payments v2", parent_id=None), b"COMMIT;")
"""One that names a parent (the same, top level) runs in a transaction: lost after its COMMIT."""


@pytest.mark.parametrize("write", [ONE_STATEMENT, TRANSACTION], ids=["one statement", "transaction"])
async def test_a_write_that_committed_before_its_answer_was_lost_is_replayed_as_already_applied(
    postgres: PrivatePostgres, proxy: StallingProxy, tmp_path: Path, write: tuple[WorkItemUpdate, bytes]
) -> None:
    """An update is the hard case: its version check would call its own earlier success a
    conflict; the operation id it recorded in the same transaction says it is already there."""
    change, marker = write
    me = await Tracker.open(
        Settings(database_url=proxy.url("tracker"), data_dir=tmp_path / ".project-status")
    )
    try:
        assert me.mirror is not None and me.sync is not None and me.router is not None
        me.router.regenerate_report = False
        made = await me.work_items.create(WorkItemCreate(item_type="project", title="Payments"), ME)
        await me.mirror.refresh()

        proxy.stall_replies_after(marker)
        with notices.collecting() as warnings:
            edited = await me.work_items.update(str(made.id), 1, change, ME)
        assert proxy.triggered.is_set(), f"the update's {marker!r} never reached the proxy"
        assert any("pending sync" in w for w in warnings), warnings  # the answer was lost
        assert edited.version == 2
        deadline = asyncio.get_running_loop().time() + COMMITTED_WITHIN
        while await count(postgres, "SELECT count(*) FROM work_items WHERE version = 2") != 1:
            assert asyncio.get_running_loop().time() < deadline, "the COMMIT that got through never took"
            await asyncio.sleep(0.05)
        proxy.resume()
        me.db.breaker.succeeded()  # the back-off would run out, as time does

        with notices.collecting() as warnings:
            shown = await me.work_items.get(str(made.id))
        assert (shown.title, shown.version) == ("Payments v2", 2)
        assert warnings == [], warnings
        again = await me.sync.sync()
        assert (again.applied, again.conflicts, again.remaining) == (0, 0, 0), again
        assert await me.sync.conflicts() == []
        row = await raw(postgres, "SELECT version, title FROM work_items WHERE id = $1", made.id)
        assert (row["version"], row["title"]) == (2, "Payments v2")
        assert await count(postgres, "SELECT count(*) FROM events WHERE action = 'updated'") == 1
        assert await count(postgres, "SELECT count(*) FROM sync_applied WHERE outcome = 'live'") == 2
    finally:
        await me.close()


async def test_a_longer_answer_timeout_waits_for_a_slow_postgres_instead_of_falling_back(
    postgres: PrivatePostgres, proxy: StallingProxy, tmp_path: Path
) -> None:
    """PROJECT_STATUS_ANSWER_TIMEOUT_SECONDS: on a slow network or a busy machine, a write that
    PostgreSQL answers late is still written there, not journaled."""
    settings = Settings(
        database_url=proxy.url("tracker"), data_dir=tmp_path / ".project-status", answer_timeout_seconds=60
    )
    me = await Tracker.open(settings)
    try:
        assert me.db.answer_timeout == 60
        proxy.stall()
        asyncio.get_running_loop().call_later(2.0, proxy.resume)  # longer than the default limit
        with notices.collecting() as warnings:
            made = await me.work_items.create(WorkItemCreate(item_type="project", title="Slow"), ME)
        assert warnings == [], warnings
        assert await count(postgres, "SELECT count(*) FROM work_items WHERE id = $1", made.id) == 1
    finally:
        await me.close()

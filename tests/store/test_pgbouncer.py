"""PostgreSQL through PgBouncer in transaction pooling mode (a private PgBouncer started here, in
front of the shared server): with `?pgbouncer=true` concurrent clients share its few server
connections without error; without it, the failure names the option to add.

PostgreSQL only: PgBouncer stands in front of PostgreSQL alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from project_status.domain.errors import DatabaseError
from project_status.domain.work_items import WorkItemRead, WorkItemUpdate
from project_status.services.tracker import Tracker
from project_status.settings import normalize_database_url
from project_status.store.database import Database
from tests.conftest import PostgresTestDatabase, in_ci
from tests.helpers import create_item, depend
from tests.pgbouncer import PgBouncer, pgbouncer, unavailable_reason

CLIENTS = 4
ROUNDS = 5


@pytest.fixture(scope="module")
def bouncer() -> Iterator[PgBouncer]:
    reason = unavailable_reason()
    if reason is not None:
        if in_ci():
            pytest.fail(f"{reason} (CI=true: PgBouncer tests must run, not skip)", pytrace=False)
        pytest.skip(reason)
    with pgbouncer(["postgres"], pool_size=2) as running:
        yield running


def through(bouncer: PgBouncer, pg: PostgresTestDatabase, option: bool = True) -> str:
    parsed = make_url(pg.url)
    url = bouncer.url(parsed.username or "postgres", parsed.database or "")
    return normalize_database_url(url if option else url.replace("?pgbouncer=true", ""))


async def test_concurrent_clients_through_pgbouncer(bouncer: PgBouncer, pg: PostgresTestDatabase) -> None:
    trackers = [Tracker(Database(through(bouncer, pg))) for _ in range(CLIENTS)]
    try:
        assert all(tracker.db.pgbouncer for tracker in trackers)
        project = await create_item(trackers[0], "through pgbouncer", item_type="project")

        async def work(n: int) -> str:
            tracker = trackers[n % CLIENTS]
            item = await create_item(tracker, f"task {n}", parent=project)
            await tracker.work_items.list()
            await tracker.work_items.get(item.id)
            return item.id

        ids = await asyncio.gather(*(work(n) for n in range(40)))
        await depend(trackers[1], ids[0], "depends_on", ids[1])
        page = await trackers[2].work_items.list(limit=200)
        assert {row.id for row in page.items} >= set(ids)
        found = await trackers[3].work_items.get(ids[0])
        assert [(dep.source_id, dep.target_id) for dep in found.dependencies] == [(ids[0], ids[1])]
    finally:
        for tracker in trackers:
            await tracker.close()


async def _move_in_place(tracker: Tracker, item: WorkItemRead, title: str) -> WorkItemRead:
    """Retitle `item` in a write that names its parent (top level, as it is): a transaction."""
    change = WorkItemUpdate.model_validate({"title": title, "parent_id": None})
    return await tracker.work_items.update(item.id, item.version, change, "bouncer-test")


async def test_without_the_option_the_error_names_it(bouncer: PgBouncer, pg: PostgresTestDatabase) -> None:
    """Made to happen, not left to chance: the client prepares its statements on one server
    connection, another client then holds that connection in an open transaction (PgBouncer hands
    out the most recently used one first), so the client's next transaction lands on another server
    connection, where its named statements do not exist. The write is one that runs in a
    transaction (a move, here to where the item is): a write made of one statement
    (`store.one_statement`) that finds its prepared statement gone runs it again, unprepared."""
    url = through(bouncer, pg, option=False)
    tracker = Tracker(Database(url))
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    holder = await asyncpg.connect(plain)
    failures: list[DatabaseError] = []
    try:
        for round_ in range(ROUNDS):
            try:
                item = await create_item(tracker, f"prepared {round_}")
                item = await _move_in_place(tracker, item, f"prepared {round_}")
            except DatabaseError as error:
                failures.append(error)
                continue
            await holder.execute("BEGIN")
            await holder.execute("SELECT 1")
            try:
                await _move_in_place(tracker, item, f"moved {round_}")
            except DatabaseError as error:
                failures.append(error)
            finally:
                await holder.execute("ROLLBACK")
            if failures:
                break
    finally:
        await holder.close()
        await tracker.close()
    assert failures, "named prepared statements should break behind PgBouncer in transaction mode"
    for failure in failures:
        assert failure.details.get("reason") == "pgbouncer_transaction_mode", failure.message
        assert "?pgbouncer=true" in failure.message

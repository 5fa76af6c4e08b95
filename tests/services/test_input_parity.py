"""The same generated input gives the same kind of answer on SQLite and on PostgreSQL.

Hypothesis builds work item inputs from text with control characters, line separators and NUL
bytes, integers around the column limits, booleans and floats where integers belong, and nested
metadata with such values. Each input goes to both backends; both must succeed (and read back the
same values) or both refuse it with the same error class. DatabaseError must never come back:
it would mean the database, not the input, decided.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from project_status.domain.deployments import DeploymentCreate
from project_status.domain.errors import DatabaseError, TrackerError
from project_status.domain.validation import validate
from project_status.domain.work_items import WorkItemCreate
from project_status.services.tracker import Tracker
from tests.conftest import PostgresServer, PostgresTestDatabase, require_postgres, sqlite_url
from tests.helpers import ACTOR, COMMIT

EXAMPLES = 60
EDGE_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u2028",
    "a\u2029b",
    "\t",
    "line\nbreak",
    "\r",
    "\x7f",
    "é" * 3,
    "x" * 201,
]
EDGE_INTEGERS = [0, 1, 5, 6, -1, 2**31 - 1, 2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 10**30]

texts = st.one_of(st.sampled_from(EDGE_TEXT), st.text(max_size=12))
integers = st.one_of(
    st.sampled_from(EDGE_INTEGERS),
    st.integers(min_value=-3, max_value=8),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["3", " 4 ", "2.0", "1e3", "-0", "true"]),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), texts, st.sampled_from(EDGE_INTEGERS), st.floats()),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(texts, children, max_size=3)),
    max_leaves=8,
)
work_items = st.fixed_dictionaries(
    {"item_type": st.just("session"), "title": texts},
    optional={
        "description": st.one_of(st.none(), texts),
        "priority": integers,
        "pr_number": integers,
        "branch_name": texts,
        "metadata": st.builds(
            lambda extra, count: {
                "yaml_frontmatter": {"schema_version": "1", **extra},
                **({"prompts_count": count} if count is not None else {}),
            },
            st.dictionaries(texts, json_values, max_size=3),
            st.one_of(st.none(), integers),
        ),
    },
)


offsets = st.timedeltas(
    min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
)
moments = st.one_of(
    st.builds(
        lambda moment, offset: moment.replace(tzinfo=timezone(offset)),
        st.one_of(
            st.datetimes(),
            st.sampled_from([datetime.min, datetime.max, datetime(1900, 1, 1), datetime(9998, 12, 31, 23)]),
        ),
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(0)) | offsets,
    ),
    st.datetimes(),  # naive
)


async def outcome(tracker: Tracker, payload: dict[str, Any], text: Any) -> tuple[str, Any]:
    """The answer's class and, on success, what reads back (ids and times differ by nature)."""
    try:
        created = await tracker.work_items.create(validate(WorkItemCreate, payload), ACTOR)
        found = await tracker.work_items.list(text=text)
    except TrackerError as error:
        return type(error).__name__, None
    item = await tracker.work_items.get(created.id)
    kept = (item.title, item.description, item.priority, item.pr_number, item.branch_name, item.metadata)
    # Only the class of the search's answer: SQLite's lower() folds ASCII letters alone, so a
    # search for "é" may find "É" on PostgreSQL only; that is matching, not input, parity.
    del found
    return "ok", kept


async def deployment_outcome(tracker: Tracker, deployed_at: datetime, since: datetime) -> tuple[str, Any]:
    payload = {"deployed_at": deployed_at, "commit_hash": COMMIT, "metadata": {}}
    try:
        recorded = await tracker.deployments.record(validate(DeploymentCreate, payload), ACTOR)
    except TrackerError as error:
        recorded = None
        first = type(error).__name__
    else:
        first = "ok"
    try:
        page = await tracker.deployments.list(since=since, limit=1)
    except TrackerError as error:
        return first, (type(error).__name__, None)
    stored = recorded.deployed_at if recorded is not None else None
    return first, ("ok", stored, page.total > 0)


@pytest.fixture
async def both(
    tmp_path: Path,
    sqlite_template: Path,
    postgres_server: PostgresServer,
    postgres_database: PostgresTestDatabase | None,
) -> AsyncIterator[tuple[Tracker, Tracker]]:
    require_postgres(postgres_server)
    assert postgres_database is not None
    await postgres_database.reset()
    path = tmp_path / "status.db"
    shutil.copyfile(sqlite_template, path)
    sqlite = await Tracker.open(url=sqlite_url(path))
    postgresql = await Tracker.open(url=postgres_database.url)
    try:
        yield sqlite, postgresql
    finally:
        await sqlite.close()
        await postgresql.close()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(payload=work_items, text=st.one_of(st.none(), texts))
async def test_both_backends_answer_the_same_input_alike(
    both: tuple[Tracker, Tracker], payload: dict[str, Any], text: Any
) -> None:
    sqlite, postgresql = both

    on_sqlite = await outcome(sqlite, payload, text)
    on_postgresql = await outcome(postgresql, payload, text)

    assert on_sqlite == on_postgresql, payload
    assert on_sqlite[0] != DatabaseError.__name__, payload


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(deployed_at=moments, since=moments)
async def test_both_backends_take_the_same_datetimes(
    both: tuple[Tracker, Tracker], deployed_at: datetime, since: datetime
) -> None:
    sqlite, postgresql = both

    on_sqlite = await deployment_outcome(sqlite, deployed_at, since)
    on_postgresql = await deployment_outcome(postgresql, deployed_at, since)

    assert on_sqlite == on_postgresql, (deployed_at, since)
    assert DatabaseError.__name__ not in (on_sqlite[0], on_sqlite[1][0]), (deployed_at, since)

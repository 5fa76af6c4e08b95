"""Real databases for every test: a SQLite file and a PostgreSQL database, never mocks.

- SQLite: one template file is migrated per session and copied for each test (fast, isolated).
- PostgreSQL: one throw-away database `ps_test_<hex>` per run on the shared server, migrated once,
  emptied before each test (every table but `alembic_version` is cleared and the configuration
  singleton is put back as the migration left it) and dropped at the end.

When no PostgreSQL answers, its tests skip with the reason; with `CI=true` they fail instead.
The server is `PROJECT_STATUS_TEST_POSTGRES_URL` (default: postgres@127.0.0.1:5432, trust auth).

The suite runs in parallel worker processes (pytest-xdist, `-n 4` in pyproject.toml); every
fixture here is private to its worker: its own SQLite template under the worker's tmp folder and
its own `ps_test_<hex>` database. How tests are dealt out: `pytest_xdist_make_scheduler` below.
"""

from __future__ import annotations

import compileall
import json
import os
import resource
import shutil
import uuid
from collections.abc import AsyncIterator, Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import project_status
from project_status.services.tracker import Tracker
from project_status.store.database import Database
from project_status.store.migrate import upgrade
from project_status.store.tables import Base, ProjectConfiguration

TIMEOUT_SETTINGS = ("PROJECT_STATUS_ANSWER_TIMEOUT_SECONDS", "PROJECT_STATUS_CONNECT_TIMEOUT_SECONDS")
"""The production limits (1.5 s) tell a hung PostgreSQL from a slow one; on a machine busy with
other work a healthy server can miss them, so tests run with generous ones. Tests about the
limits themselves (tests/resilience) put the production values back."""
for _name in TIMEOUT_SETTINGS:
    os.environ.setdefault(_name, "30")

BACKENDS = ("sqlite", "postgresql")
POSTGRES_ADMIN_URL = os.environ.get(
    "PROJECT_STATUS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
CONNECT_TIMEOUT = 5


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "heavy: runs a minute or more of wall time (a 16-way race, a benchmark run); started first",
    )
    if not hasattr(config, "workerinput"):  # once, in the process that deals out the tests
        compile_the_package()
        rewrite_the_test_modules(config)


def compile_the_package() -> None:
    """Write the package's bytecode before any test starts a process that imports it.

    The suite starts hundreds of `project-status` processes (CLI runs, MCP, HTTP and board
    servers); with PYTHONDONTWRITEBYTECODE set (as in CI's sandbox) none of them writes the .pyc
    it compiles, so each would compile its 70 to 150 modules from source again. compileall writes
    them regardless of that setting (about 0.2 s); the processes then read them, as they read
    those of an installed package. Python checks each .pyc against its source, so a stale one is
    never used."""
    compileall.compile_dir(Path(project_status.__file__).parent, quiet=1)


def rewrite_the_test_modules(config: pytest.Config) -> None:
    """Rewrite the test modules' asserts once, before the workers start, and keep the result.

    pytest rewrites every test module (about half the CPU of collecting the suite) and caches the
    result beside it, except under PYTHONDONTWRITEBYTECODE: then each of the four workers rewrites
    all of them again, in every run. Here the cache is written as pytest would write it (hash-checked
    against the source, so a stale one is never used) and the workers read it. The functions are
    pytest's own but private: when they move, the workers rewrite for themselves, as before."""
    try:
        from _pytest.assertion.rewrite import (
            PYC_TAIL,
            _read_pyc,
            _rewrite_test,
            _write_pyc,
            assertstate_key,
            get_cache_dir,
        )
    except ImportError:
        return
    if config.getoption("assertmode") != "rewrite" or assertstate_key not in config.stash:
        return
    state = config.stash[assertstate_key]
    try:
        for path in _modules_to_collect(config):
            pyc = get_cache_dir(path) / (path.name[: -len(".py")] + PYC_TAIL)
            if _read_pyc(path, pyc) is not None:
                continue
            pyc.parent.mkdir(exist_ok=True)
            source_hash, code = _rewrite_test(path, config)
            _write_pyc(state, code, source_hash, pyc)
    except Exception:  # a read-only checkout, or private functions that changed:
        return  # the workers rewrite for themselves, as before


def _modules_to_collect(config: pytest.Config) -> list[Path]:
    """The test modules and conftest files under the paths this run collects (all of tests/ for a
    plain `pytest`), so that a run of one module does not rewrite the whole suite first."""
    found: set[Path] = set()
    for arg in config.args:
        target = (config.invocation_params.dir / arg.split("::", 1)[0]).resolve()
        candidates = target.rglob("*.py") if target.is_dir() else [target]
        found.update(
            path
            for path in candidates
            if path.suffix == ".py" and (path.name.startswith("test_") or path.name == "conftest.py")
        )
    return sorted(found)


ONE_WORKER = {
    "tests/cli/test_claim_race.py": "16-way claim races",
    "tests/mcp/test_claim_race.py": "16-way claim races",
    "tests/services/test_claim_race.py": "16-way claim races",
}
"""Modules dealt out together: the 16-way claim races run one after another on one worker, never
beside each other (each opens dozens of connections to the shared PostgreSQL and keeps both
cores busy on its own)."""


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Deal the tests out to the xdist workers a module at a time (a module's fixtures, a private
    PostgreSQL or a server, then start once), the modules of `ONE_WORKER` as one unit, in the
    order of the collection (heavy tests first: `pytest_collection_modifyitems`).

    xdist's `loadgroup` would do this from `xdist_group` marks, but it renames the tests through
    an attribute that pytest 9.2 no longer reads; units named from the test ids hold in both."""
    from xdist.scheduler import LoadScopeScheduling

    class ModuleScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return ONE_WORKER.get(module, module)

    return ModuleScheduling(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `heavy` first (a stable sort), so that no long one starts last."""
    items.sort(key=lambda item: item.get_closest_marker("heavy") is None)


CPU_LOG = "PROJECT_STATUS_TEST_CPU_LOG"
"""Set to a file path to have every test's CPU (its worker's own plus that of the subprocesses it
waited for: CLI runs, servers, browsers) appended there as one JSON line; for finding what to
make cheaper. A child's CPU counts when it is reaped, so a server a module fixture started counts
for the module's last test. Unset, the hook costs nothing."""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None]:
    log = os.environ.get(CPU_LOG)
    if not log:
        yield
        return
    before = _cpu_seconds()
    yield
    own, children = (after - start for after, start in zip(_cpu_seconds(), before, strict=True))
    line = json.dumps({"test": item.nodeid, "own": round(own, 3), "children": round(children, 3)})
    with open(log, "a") as out:
        out.write(line + "\n")


def _cpu_seconds() -> tuple[float, float]:
    """User plus system CPU of this process and of its reaped descendants."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1"}


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@dataclass
class PostgresServer:
    """The shared server; `reason` says why it is unusable when `available` is false."""

    admin_dsn: str
    available: bool
    reason: str = ""

    def url(self, database: str) -> str:
        """SQLAlchemy URL of `database` on this server, with the async driver."""
        base = make_url(self.admin_dsn).set(drivername="postgresql+asyncpg", database=database)
        return base.render_as_string(hide_password=False)

    async def create_database(self) -> str:
        name = f"ps_test_{uuid.uuid4().hex[:12]}"
        conn = await asyncpg.connect(self.admin_dsn, timeout=CONNECT_TIMEOUT)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return name

    async def drop_database(self, name: str) -> None:
        conn = await asyncpg.connect(self.admin_dsn, timeout=CONNECT_TIMEOUT)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


def require_postgres(server: PostgresServer) -> None:
    """Skip (or, under CI=true, fail) a PostgreSQL test when the server does not answer."""
    if server.available:
        return
    message = f"PostgreSQL unavailable: {server.reason}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: PostgreSQL tests must run, not skip)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
async def postgres_server() -> PostgresServer:
    dsn = POSTGRES_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    redacted = make_url(dsn).render_as_string(hide_password=True)
    try:
        conn = await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT)
    except Exception as exc:
        return PostgresServer(dsn, False, f"no answer from {redacted}: {type(exc).__name__}: {exc}")
    await conn.close()
    return PostgresServer(dsn, True)


@dataclass
class PostgresTestDatabase:
    url: str
    engine: AsyncEngine
    configuration: Mapping[str, Any]
    tables: list[str] = field(default_factory=list)

    async def reset(self) -> None:
        """Empty every table but alembic_version and put the configuration singleton back.

        DELETE, children before parents, rather than TRUNCATE: on these few-row tables it takes
        about 2 ms against about 60 ms, and it runs before every PostgreSQL test.
        """
        async with self.engine.begin() as conn:
            for name in reversed(self.tables):
                await conn.execute(text(f'DELETE FROM "{name}"'))
            await conn.execute(insert(ProjectConfiguration.__table__).values(**self.configuration))


@pytest.fixture(scope="session")
async def postgres_database(postgres_server: PostgresServer) -> AsyncIterator[PostgresTestDatabase | None]:
    """The run's throw-away PostgreSQL database, migrated once; None when the server is down."""
    if not postgres_server.available:
        yield None
        return
    name = await postgres_server.create_database()
    url = postgres_server.url(name)
    engine = create_async_engine(url, pool_size=1, max_overflow=0)
    try:
        db = Database(url)
        try:
            await upgrade(db)
        finally:
            await db.dispose()
        async with engine.connect() as conn:
            row = (await conn.execute(select(ProjectConfiguration.__table__))).mappings().one()
        tables = [table.name for table in Base.metadata.sorted_tables]
        yield PostgresTestDatabase(url, engine, dict(row), tables)
    finally:
        await engine.dispose()
        await postgres_server.drop_database(name)


@pytest.fixture(scope="session")
async def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies instead of migrating again."""
    path = tmp_path_factory.mktemp("sqlite-template") / "status.db"
    db = Database(sqlite_url(path))
    try:
        await upgrade(db)
    finally:
        await db.dispose()
    return path  # closing the last connection checkpoints the WAL: the file alone is the database


@dataclass(frozen=True)
class Backend:
    name: str
    url: str

    @property
    def is_postgresql(self) -> bool:
        return self.name == "postgresql"


@pytest.fixture(params=BACKENDS)
async def backend(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    postgres_server: PostgresServer,
    postgres_database: PostgresTestDatabase | None,
) -> Backend:
    """An empty, migrated database of each kind, private to the test."""
    if request.param == "sqlite":
        path = tmp_path / "status.db"
        shutil.copyfile(sqlite_template, path)
        return Backend("sqlite", sqlite_url(path))
    require_postgres(postgres_server)
    assert postgres_database is not None
    await postgres_database.reset()
    return Backend("postgresql", postgres_database.url)


@pytest.fixture
async def tracker(backend: Backend) -> AsyncIterator[Tracker]:
    opened = await Tracker.open(url=backend.url)
    try:
        yield opened
    finally:
        await opened.close()

"""A private PostgreSQL server per test module, to stop, kill and freeze for real.

Never the shared server on 5432: tests here take their server down, so each module gets its own,
made with `initdb` in a temporary folder (trust auth, fsync off), listening only on 127.0.0.1 on a
free port with its Unix socket in that folder. It holds a database `tracker`, migrated to head.

The postmaster runs as a child of the test process (not daemonized by `pg_ctl start`): a killed
postmaster is then reaped by us, so its stale `postmaster.pid` does not block the next start even
where PID 1 reaps no orphans (it does not in some containers). `pg_ctl stop` does the clean stops.

PostgreSQL refuses to run as root: as root the server runs as the `postgres` system user
(`setpriv`), in a folder given to that user. Without `initdb`, `pg_ctl` or `postgres` the tests
skip with the reason, and fail under CI=true.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import asyncpg
import pytest

from project_status.services.tracker import Tracker
from project_status.settings import Settings
from project_status.store.database import Database
from project_status.store.migrate import upgrade
from tests.conftest import TIMEOUT_SETTINGS, in_ci

PRODUCTION_TIMEOUT_SECONDS = "1.5"


@pytest.fixture(scope="package", autouse=True)
def production_timeouts() -> Iterator[None]:
    """These tests are about what the production limits do: in-process trackers and the servers
    they start (`server_env` copies the environment) get them back."""
    with pytest.MonkeyPatch.context() as patch:
        for name in TIMEOUT_SETTINGS:
            patch.setenv(name, PRODUCTION_TIMEOUT_SECONDS)
        yield


CLIENT_LIMIT_SECONDS = 30.0
"""The answer and connect limits of the `client` fixture's trackers."""
START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
DATABASE = "tracker"
SERVER_USER = "postgres"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _alive(pid: int) -> bool:
    """Whether process `pid` still runs (a zombie has exited: it holds no memory)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2 :].split()[0] != "Z"


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (the postmaster's backends and workers)."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after its closing parenthesis
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


@dataclass
class Binaries:
    initdb: str
    pg_ctl: str
    postgres: str


def find_binaries() -> Binaries | str:
    """The server programs, or why they cannot be used."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not initdb or not pg_ctl:
        return "initdb and pg_ctl must be on PATH to start a private PostgreSQL"
    postgres = Path(pg_ctl).resolve().parent / "postgres"  # the server that matches this pg_ctl
    if not postgres.exists():
        found = shutil.which("postgres")
        if not found:
            return f"no postgres server program next to {pg_ctl} or on PATH"
        postgres = Path(found)
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            return "running as root, and setpriv is missing to run PostgreSQL as another user"
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root, and there is no {SERVER_USER!r} user to run PostgreSQL as"
    return Binaries(initdb, pg_ctl, str(postgres))


@dataclass
class PrivatePostgres:
    """One throw-away PostgreSQL server; `url` is its admin DSN, `tracker_url` the migrated database."""

    binaries: Binaries
    root: Path
    port: int
    user: str | None  # the system user the server runs as, None for the current one
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    frozen: bool = field(default=False, init=False)

    # --- where things are ---------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root

    @property
    def log_path(self) -> Path:
        return self.root / "server.log"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def tracker_url(self) -> str:
        """The `tracker` database as a user writes it (what PROJECT_STATUS_DATABASE_URL takes)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def tracker_async_url(self) -> str:
        """The `tracker` database with the async driver, for `Database` and `Tracker.open`."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def pid(self) -> int | None:
        """The postmaster's process id while it runs."""
        if self.process is None or self.process.poll() is not None:
            return None
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.pid is not None

    def log(self, last: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-last:])

    # --- running programs as the server's user ------------------------------------------------

    def _as_user(self, argv: Sequence[str]) -> list[str]:
        if self.user is None:
            return list(argv)
        return ["setpriv", f"--reuid={self.user}", f"--regid={self.user}", "--init-groups", *argv]

    def _run(self, argv: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            self._as_user(argv), cwd=self.root, capture_output=True, text=True, timeout=timeout, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{argv[0]} failed ({result.returncode}):\n{result.stdout}{result.stderr}\n{self.log()}"
            )
        return result

    @classmethod
    def create(cls, binaries: Binaries) -> PrivatePostgres:
        """initdb a new cluster in a new temporary folder (not started yet)."""
        user = SERVER_USER if os.geteuid() == 0 else None
        # Not under pytest's tmp_path: its folders are private to root, which the server's user
        # could not enter. A short path also keeps the Unix socket's path under its length limit.
        root = Path(tempfile.mkdtemp(prefix="ps-pg-"))
        server = cls(binaries, root, free_port(), user)
        try:
            if user is not None:
                entry = pwd.getpwnam(user)
                os.chown(root, entry.pw_uid, entry.pw_gid)
            server._run(
                [
                    binaries.initdb,
                    "--pgdata",
                    str(server.data_dir),
                    "--username=postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",
                ],
                timeout=120,
            )
        except BaseException:
            server.remove()
            raise
        return server

    # --- life cycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the postmaster and wait until it accepts connections."""
        if self.running:
            raise RuntimeError("the private PostgreSQL is already running")
        argv = [
            self.binaries.postgres,
            "-D",
            str(self.data_dir),
            "-p",
            str(self.port),
            "-k",
            str(self.socket_dir),
            "-c",
            "listen_addresses=127.0.0.1",
            # fsync off is safe here: the tests kill PostgreSQL, never the machine, so what was
            # written stays in the OS page cache. synchronous_commit stays on: an acknowledged
            # commit must survive an immediate shutdown or a SIGKILL, which is what is tested.
            "-c",
            "fsync=off",
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self._as_user(argv),
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C in the terminal is for pytest, not for the server
            )
        self.frozen = False
        self._wait_ready()

    def _wait_ready(self) -> None:
        assert self.process is not None
        pid_file = self.data_dir / "postmaster.pid"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"PostgreSQL exited with {self.process.returncode}:\n{self.log()}")
            # What `pg_ctl start -w` waits for: our postmaster's pid file, its 8th line "ready".
            with contextlib.suppress(OSError):
                lines = pid_file.read_text().splitlines()
                if len(lines) >= 8 and lines[0] == str(self.process.pid) and lines[7].strip() == "ready":
                    return
            time.sleep(0.02)
        self.kill()
        raise TimeoutError(f"PostgreSQL was not ready within {START_TIMEOUT} s:\n{self.log()}")

    def stop(self, mode: Literal["smart", "fast", "immediate"] = "fast") -> None:
        """`pg_ctl stop -m <mode>`: fast ends sessions cleanly, immediate is an abort without a checkpoint."""
        if not self.running:
            return
        self.thaw()
        self._run([self.binaries.pg_ctl, "stop", "-D", str(self.data_dir), "-m", mode, "-w"], STOP_TIMEOUT)
        self._reap()

    def kill(self) -> None:
        """SIGKILL the postmaster: no shutdown at all. Its backends notice and exit on their own;
        this waits until they have, since a postmaster started while one of them still holds the
        old shared memory refuses to run ("pre-existing shared memory block is still in use")."""
        if self.process is None:
            return
        backends = _children(self.process.pid)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self._reap()
        self.frozen = False
        deadline = time.monotonic() + STOP_TIMEOUT
        while any(map(_alive, backends)):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the killed postmaster's backends {backends} did not exit")
            time.sleep(0.02)

    def _reap(self) -> None:
        assert self.process is not None
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)

    def _signal_all(self, signum: int) -> None:
        pid = self.pid
        if pid is None:
            return
        for target in (pid, *_children(pid)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(target, signum)

    def freeze(self) -> None:
        """SIGSTOP the postmaster and its backends: the port still takes TCP connections (the
        kernel completes the handshake), but nothing answers, like a hung or unreachable host."""
        if not self.running:
            raise RuntimeError("the private PostgreSQL is not running")
        self._signal_all(signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        if self.frozen:
            self._signal_all(signal.SIGCONT)
            self.frozen = False

    def ensure_running(self) -> None:
        """Put the server back up, whatever the previous test left it in."""
        self.thaw()
        if not self.running:
            if self.process is not None:
                self._reap()
            self.start()

    def remove(self) -> None:
        """Stop the server whatever its state and delete its folder."""
        try:
            if self.process is not None and self.process.poll() is None:
                try:
                    self.stop("immediate")
                except Exception:
                    self.kill()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


async def create_tracker_database(server: PrivatePostgres) -> None:
    """CREATE DATABASE tracker and migrate it to head."""
    conn = await asyncpg.connect(server.url, timeout=10)
    try:
        await conn.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await conn.close()
    db = Database(server.tracker_async_url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


async def wait_until_connectable(server: PrivatePostgres, within: float = 10.0) -> None:
    """Right after a start, a crash recovery may still run: wait until `tracker` takes a query."""
    deadline = time.monotonic() + within
    while True:
        try:
            conn = await asyncpg.connect(server.tracker_url, timeout=2)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)
            continue
        try:
            await conn.fetchval("SELECT 1")
        finally:
            await conn.close()
        return


@pytest.fixture(scope="module")
async def private_postgres() -> AsyncIterator[PrivatePostgres]:
    """The module's own PostgreSQL server, started, with `tracker` migrated; removed at the end."""
    binaries = find_binaries()
    if isinstance(binaries, str):
        if in_ci():
            pytest.fail(f"{binaries} (CI=true: the resilience tests must run, not skip)", pytrace=False)
        pytest.skip(binaries)
    server = PrivatePostgres.create(binaries)
    try:
        server.start()
        await create_tracker_database(server)
        yield server
    finally:
        server.remove()


@pytest.fixture
async def postgres(private_postgres: PrivatePostgres) -> PrivatePostgres:
    """The module's server, running and answering at the start of the test."""
    private_postgres.ensure_running()
    await wait_until_connectable(private_postgres)
    return private_postgres


async def fresh_tracker_database(server: PrivatePostgres) -> None:
    """Drop and re-create `tracker`, migrated: a test that counts rows starts from nothing."""
    conn = await asyncpg.connect(server.url, timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    finally:
        await conn.close()
    await create_tracker_database(server)


@pytest.fixture
async def pg(postgres: PrivatePostgres) -> AsyncIterator[PrivatePostgres]:
    """The private server with an empty tracker database, running again after the test."""
    await fresh_tracker_database(postgres)
    yield postgres
    postgres.ensure_running()


@pytest.fixture
async def client(pg: PrivatePostgres, tmp_path: Path) -> AsyncIterator[Callable[[str], Any]]:
    """`client(name)`: a tracker as the CLI builds it (with its mirror), on the private server,
    whose data folder is tmp/<name>/; all are closed after the test.

    Its limits are the patient ones (CLIENT_LIMIT_SECONDS), not the production ones: these tests
    stop the server, which refuses at once, and never freeze it; under a busy machine a healthy
    server can miss 1.5 s, and the breaker then trips in a test about something else."""
    opened: list[Tracker] = []

    async def make(name: str) -> Tracker:
        folder = tmp_path / name / ".project-status"
        tracker = await Tracker.open(
            Settings(
                database_url=pg.tracker_url,
                data_dir=folder,
                answer_timeout_seconds=CLIENT_LIMIT_SECONDS,
                connect_timeout_seconds=CLIENT_LIMIT_SECONDS,
            )
        )
        opened.append(tracker)
        return tracker

    yield make
    pg.ensure_running()
    for tracker in opened:
        await tracker.close()

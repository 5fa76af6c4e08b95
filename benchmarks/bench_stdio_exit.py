"""How soon `project-status serve` (stdio) exits once its client closes stdin.

A client that goes away expects its server gone with it; a server that lingers keeps database
connections and the mirror's write lock. Each try spawns the real console command, waits for the
answer to `initialize`, closes stdin at a chosen moment and times the exit:

* `fresh`: right after the handshake, while start-up (schema check, the first jobs) still runs;
* `idle`: a second later, with the periodic jobs asleep;
* `copy` (PostgreSQL only): while the mirror's first copy of a large store is in progress.

    .venv/bin/python benchmarks/bench_stdio_exit.py                  # 20 tries per case, both backends
    .venv/bin/python benchmarks/bench_stdio_exit.py --tries 5 --backend sqlite

Prints p50/p95/p99/max per case and how many tries exited within one second. The test
`tests/mcp/test_stdio_exit.py` runs the same tries with a generous deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

CONSOLE_SCRIPT = Path(sys.executable).with_name("project-status")
START_TIMEOUT = 60.0
"""Spawning on a busy machine can take many seconds: imports alone take a few."""
TARGET_SECONDS = 1.0
"""The goal: gone within this long of stdin closing."""
DEFAULT_ADMIN_URL = os.environ.get(
    "PROJECT_STATUS_BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SEED_ROWS = 100_000
"""Work items in the PostgreSQL store: enough that the mirror's copy takes a while."""

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "bench-stdio-exit", "version": "1"},
    },
}


class ServerLingered(AssertionError):
    """The server was still running at the deadline (it is killed then)."""


def server_env(project: Path, url: str | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PROJECT_STATUS_")}
    env["PROJECT_STATUS_DATA_DIR"] = str(project / ".project-status")
    if url is not None:
        env["PROJECT_STATUS_DATABASE_URL"] = url
    return env


def spawn(project: Path, url: str | None) -> subprocess.Popen[bytes]:
    """`project-status serve`, answered `initialize` once: the server is up and reading stdin."""
    process = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "serve"],
        cwd=project,
        env=server_env(project, url),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=(project / "server-stderr.txt").open("wb"),
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(json.dumps(INITIALIZE).encode() + b"\n")
    process.stdin.flush()
    answer = process.stdout.readline()  # bounded by the caller's deadline through `kill_after`
    if b'"result"' not in answer:
        process.kill()
        process.wait()
        raise RuntimeError(f"no answer to initialize: {answer!r}\n{stderr_of(project)}")
    return process


def stderr_of(project: Path) -> str:
    path = project / "server-stderr.txt"
    return path.read_text(errors="replace") if path.exists() else ""


def close_and_time_exit(process: subprocess.Popen[bytes], deadline: float) -> float:
    """Close the server's stdin and answer how many seconds it took to exit; past `deadline`
    seconds it is killed and `ServerLingered` raised."""
    assert process.stdin is not None
    started = time.perf_counter()
    process.stdin.close()
    try:
        process.wait(deadline)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise ServerLingered(f"still running {deadline:.0f} s after stdin closed") from None
    finally:
        if process.stdout is not None:
            process.stdout.close()
    return time.perf_counter() - started


@contextmanager
def kill_on_exit(process: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def one_try(case: str, url: str | None, deadline: float, rows: int = 0) -> float:
    """One spawn, close and exit: the seconds from stdin closing to the process gone."""
    with tempfile.TemporaryDirectory(prefix="bench-stdio-exit-") as folder:
        project = Path(folder)
        with kill_on_exit(spawn(project, url)) as process:
            if case == "idle":
                time.sleep(1.0)
            elif case == "copy":
                assert url is not None
                wait_for_copy(url, within=START_TIMEOUT)
            seconds = close_and_time_exit(process, deadline)
            assert process.returncode == 0, f"exit code {process.returncode}\n{stderr_of(project)}"
            if case == "copy":
                copied = mirrored_work_items(project)
                assert copied < rows, f"the copy had already ended ({copied} of {rows} rows)"
            return seconds


def wait_for_copy(url: str, within: float) -> None:
    """Until the server's connection reads work items inside a transaction: the copy is running."""

    async def copying() -> bool:
        conn = await asyncpg.connect(url, timeout=10)
        try:
            found = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL AND query ILIKE '%work_items%'"
            )
            return bool(found)
        finally:
            await conn.close()

    end = time.monotonic() + within
    while time.monotonic() < end:
        if asyncio.run(copying()):
            return
        time.sleep(0.02)
    raise TimeoutError(f"the mirror's copy did not start within {within:.0f} s")


def mirrored_work_items(project: Path) -> int:
    """Work items in the mirror after the server exited (0 when the copy was cut short)."""
    path = project / ".project-status" / "cache.db"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as conn:
        try:
            return int(conn.execute("SELECT count(*) FROM work_items").fetchone()[0])
        except sqlite3.OperationalError:  # no schema yet
            return 0


async def create_database(admin_url: str, rows: int) -> str:
    """A throw-away database at the schema's head holding `rows` work items; its URL."""
    name = f"ps_bench_exit_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(admin_url, timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base, _, _ = admin_url.rpartition("/")
    url = f"{base}/{name}"
    with tempfile.TemporaryDirectory() as folder:
        upgraded = await asyncio.to_thread(
            subprocess.run,
            [str(CONSOLE_SCRIPT), "db", "upgrade"],
            env=server_env(Path(folder), url),
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
    if upgraded.returncode != 0:
        raise RuntimeError(upgraded.stderr)
    conn = await asyncpg.connect(url, timeout=10)
    try:
        await conn.execute(
            "INSERT INTO work_items (id, version, parent_id, metadata, item_type, title, description, "
            "status, priority, path, depth, created_at, created_by, updated_at, updated_by) "
            "SELECT u, 1, NULL, '{}'::jsonb, 'task', 'item ' || g, repeat('x', 200), 'active', 3, "
            "'/' || u, 0, now(), 'bench', now(), 'bench' "
            "FROM (SELECT gen_random_uuid() AS u, g FROM generate_series(1, $1::int) AS g) AS s",
            rows,
        )
    finally:
        await conn.close()
    return url


async def drop_database(admin_url: str, url: str) -> None:
    admin = await asyncpg.connect(admin_url, timeout=10)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)')
    finally:
        await admin.close()


@dataclass
class Summary:
    case: str
    seconds: list[float]

    def line(self) -> str:
        ordered = sorted(self.seconds)

        def pct(p: float) -> float:
            return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]

        within = sum(1 for value in ordered if value <= TARGET_SECONDS)
        return (
            f"{self.case:<18} n={len(ordered):>3}  p50={statistics.median(ordered) * 1000:7.0f} ms  "
            f"p95={pct(0.95) * 1000:7.0f} ms  p99={pct(0.99) * 1000:7.0f} ms  "
            f"max={ordered[-1] * 1000:7.0f} ms  within {TARGET_SECONDS:.0f} s: {within}/{len(ordered)}"
        )


def run_case(case: str, url: str | None, tries: int, rows: int, label: str) -> Summary:
    seconds: list[float] = []
    for attempt in range(tries):
        try:
            seconds.append(one_try(case, url, deadline=30.0, rows=rows))
        except ServerLingered:
            seconds.append(30.0)
        print(f"  {label} try {attempt + 1}: {seconds[-1] * 1000:.0f} ms", file=sys.stderr)
    return Summary(label, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tries", type=int, default=20)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rows", type=int, default=SEED_ROWS, help="work items seeded in PostgreSQL")
    parser.add_argument("--pg-admin-url", default=DEFAULT_ADMIN_URL)
    args = parser.parse_args()
    summaries: list[Summary] = []
    if args.backend in ("sqlite", "both"):
        for case in ("fresh", "idle"):
            summaries.append(run_case(case, None, args.tries, 0, f"sqlite/{case}"))
    if args.backend in ("postgresql", "both"):
        url = asyncio.run(create_database(args.pg_admin_url, args.rows))
        try:
            for case in ("fresh", "idle", "copy"):
                summaries.append(run_case(case, url, args.tries, args.rows, f"postgresql/{case}"))
        finally:
            asyncio.run(drop_database(args.pg_admin_url, url))
    print(f"seconds from stdin closed to process exited ({args.tries} tries per case)")
    for summary in summaries:
        print(summary.line())


if __name__ == "__main__":
    main()

"""Team scale on one PostgreSQL: many agents, each with its own stdio server, or one shared HTTP
server. Three load tests, each bounded in time, on loopback only, against a throw-away database
and a throw-away role limited to a few connections (the shared server's settings are untouched):

  a) N stdio servers through PgBouncer (transaction pooling) as a role limited to L connections,
     each doing K mixed operations: 0 errors, 0 offline fallbacks, every acknowledged write there.
  b) One HTTP server (tokens file, one pool) with S concurrent MCP sessions for T seconds of
     mixed reads and writes: 0 errors, p50/p95/p99 per operation.
  c) M stdio servers straight to PostgreSQL as a role limited to L connections: every refused
     call is the clear `connections_exhausted` error, nothing journalled, nothing lost.

    .venv/bin/python benchmarks/bench_team.py                 # the full sizes below
    .venv/bin/python benchmarks/bench_team.py --processes 10 --sessions 20 --seconds 10

Needs the PostgreSQL of the tests (PROJECT_STATUS_TEST_POSTGRES_URL, default postgres@127.0.0.1)
and Debian's `pgbouncer`. Exit status 1 when a scenario breaks its promise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx2
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, Implementation
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.pgbouncer import pgbouncer  # noqa: E402  (shared with the tests, which start it too)
from tests.postgres_roles import limited_role  # noqa: E402

ADMIN_URL = os.environ.get(
    "PROJECT_STATUS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
).replace("postgresql+asyncpg://", "postgresql://")
SERVE = [sys.executable, "-m", "project_status", "serve"]
START_TIMEOUT = 300.0
"""A server process may take long to start when many start on two busy cores."""
START_AT_ONCE = 8
"""Agents starting at the same moment: Python's imports are CPU-bound, and a hundred at once on two
cores would each take minutes; real agents start one by one."""


def leaf(exc: BaseException) -> BaseException:
    """The first real error inside nested exception groups (the SDK's task groups wrap them)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


@dataclass
class Tally:
    """What one scenario saw: latencies per operation, errors by kind, acknowledged writes."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    refused_clearly: int = 0
    offline: int = 0
    written: set[str] = field(default_factory=set)
    calls: int = 0

    def error(self, kind: str, sample: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.error_samples) < 5:
            self.error_samples.append(sample[:300])

    def summary(self) -> dict[str, Any]:
        every = [value for values in self.latencies.values() for value in values]
        return {
            "calls": self.calls,
            "errors": dict(self.errors),
            "error_samples": self.error_samples,
            "refused_with_clear_error": self.refused_clearly,
            "offline_fallbacks": self.offline,
            "acknowledged_writes": len(self.written),
            "p50_ms": round(percentile(every, 50) * 1000, 1),
            "p95_ms": round(percentile(every, 95) * 1000, 1),
            "p99_ms": round(percentile(every, 99) * 1000, 1),
            "per_operation": {
                name: {
                    "n": len(values),
                    "p50_ms": round(percentile(values, 50) * 1000, 1),
                    "p95_ms": round(percentile(values, 95) * 1000, 1),
                }
                for name, values in sorted(self.latencies.items())
            },
        }


class Agent:
    """One client session doing mixed operations, recording each outcome in the tally."""

    def __init__(
        self, session: ClientSession, tally: Tally, rng: random.Random, *, refusals_ok: bool
    ) -> None:
        self.session = session
        self.tally = tally
        self.rng = rng
        self.refusals_ok = refusals_ok
        self.mine: dict[str, int] = {}  # id -> version of items this agent created

    async def call(self, op: str, tool: str, arguments: dict[str, Any]) -> dict[str, Any] | None:
        started = time.perf_counter()
        result: CallToolResult = await self.session.call_tool(tool, arguments)
        elapsed = time.perf_counter() - started
        self.tally.calls += 1
        text = str(getattr(result.content[0], "text", "")) if result.content else ""
        if result.is_error:
            try:
                body = json.loads(text)
            except ValueError:
                body = {"error": "unparsed", "details": {}}
            details = body.get("details", {}) if isinstance(body, dict) else {}
            reason = details.get("reason") if isinstance(details, dict) else None
            if reason == "connections_exhausted" and self.refusals_ok:
                self.tally.refused_clearly += 1
            else:
                self.tally.error(f"{body.get('error')}:{reason}", text)
            return None
        self.tally.latencies.setdefault(op, []).append(elapsed)
        data = result.structured_content or {}
        if data.get("warnings"):
            self.tally.offline += 1
        return data

    # The mix: each operation is one method, listed with its weight in OPERATIONS below.

    async def create(self) -> None:
        made = await self.call(
            "create", "create_work_item", {"item_type": "task", "title": f"load {uuid.uuid4().hex[:8]}"}
        )
        if made is not None:
            self.mine[made["id"]] = made["version"]
            self.tally.written.add(made["id"])

    async def update(self) -> None:
        if not self.mine:
            return await self.create()
        item = self.rng.choice(list(self.mine))
        changed = await self.call(
            "update",
            "update_work_item",
            {"id": item, "version": self.mine[item], "priority": self.rng.randint(1, 5)},
        )
        if changed is not None:
            self.mine[item] = changed["version"]
        return None

    async def get(self) -> None:
        if not self.mine:
            return await self.list()
        await self.call("get", "query_work_item", {"id": self.rng.choice(list(self.mine))})
        return None

    async def list(self) -> None:
        await self.call("list", "list_work_items", {"limit": 20})

    async def ready(self) -> None:
        await self.call("ready", "list_ready_work", {"limit": 10})

    async def step(self) -> None:
        operation = self.rng.choices(OPERATIONS, weights=[weight for _, weight in OPERATIONS])[0][0]
        await operation(self)


OPERATIONS: list[tuple[Callable[[Agent], Awaitable[None]], int]] = [
    (Agent.create, 3),
    (Agent.update, 2),
    (Agent.get, 3),
    (Agent.list, 2),
    (Agent.ready, 1),
    # Once `claim_work_item` exists: an `Agent.claim` method calling it on a ready item, and
    # `(Agent.claim, 2),` here; nothing else changes.
]


@contextlib.asynccontextmanager
async def stdio_agent(
    project: Path, env: dict[str, str], name: str, tally: Tally, seed: int, *, refusals_ok: bool
) -> AsyncIterator[Agent]:
    params = StdioServerParameters(command=SERVE[0], args=SERVE[1:], cwd=str(project), env=env)
    with (project / "stderr.txt").open("w") as errlog:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write, client_info=Implementation(name=name, version="1")) as session,
        ):
            await asyncio.wait_for(session.initialize(), START_TIMEOUT)
            yield Agent(session, tally, random.Random(seed), refusals_ok=refusals_ok)


PASSED_SETTINGS = ("PROJECT_STATUS_ANSWER_TIMEOUT_SECONDS", "PROJECT_STATUS_CONNECT_TIMEOUT_SECONDS")
"""Settings a run may give its servers from its own environment (e.g. a shared server's limits)."""


def agent_env(project: Path, url: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PROJECT_STATUS_") or key in PASSED_SETTINGS
    }
    env |= {
        "PROJECT_STATUS_DATA_DIR": str(project / ".project-status"),
        "PROJECT_STATUS_DATABASE_URL": url,
        "PROJECT_STATUS_ARCHIVE_INTERVAL_HOURS": "0",
    }
    return env


def journalled(projects: list[Path]) -> int:
    """Offline changes still waiting in the agents' mirrors (each agent has its own); changes
    journalled and replayed since show as `offline_fallbacks` in the answers."""
    pending = 0
    for project in projects:
        cache = project / ".project-status" / "cache.db"
        if not cache.exists():
            continue
        with (
            contextlib.closing(sqlite3.connect(cache)) as conn,
            contextlib.suppress(sqlite3.OperationalError),  # no journal table: nothing written
        ):
            pending += conn.execute("SELECT count(*) FROM sync_journal WHERE state = 'pending'").fetchone()[0]
    return pending


async def present(database_url: str, ids: set[str]) -> int:
    conn = await asyncpg.connect(
        make_url(ADMIN_URL)
        .set(database=make_url(database_url).database)
        .render_as_string(hide_password=False)
    )
    try:
        return int(await conn.fetchval("SELECT count(*) FROM work_items WHERE id::text = ANY($1)", list(ids)))
    finally:
        await conn.close()


async def stdio_fleet(
    url: str, processes: int, ops: int, folder: Path, *, refusals_ok: bool, deadline: float
) -> tuple[Tally, list[Path], float]:
    """`processes` stdio servers at once, each doing `ops` operations; (tally, projects, seconds)."""
    tally = Tally()
    projects = [folder / f"agent-{n:03d}" for n in range(processes)]
    started = time.perf_counter()

    # Agents stay running, as real ones do: all start, then all work, then all leave together.
    started_count = 0
    finished_count = 0
    all_started = asyncio.Event()
    all_finished = asyncio.Event()

    def mark(counter: str) -> None:
        nonlocal started_count, finished_count
        if counter == "started":
            started_count += 1
            if started_count == processes:
                all_started.set()
        else:
            finished_count += 1
            if finished_count == processes:
                all_finished.set()

    starting = asyncio.Semaphore(START_AT_ONCE)

    async def one(n: int) -> None:
        projects[n].mkdir(parents=True)
        marked = done = False
        try:
            await starting.acquire()
            async with stdio_agent(
                projects[n], agent_env(projects[n], url), f"agent-{n}", tally, n, refusals_ok=refusals_ok
            ) as agent:
                starting.release()
                mark("started")
                marked = True
                await all_started.wait()
                for _ in range(ops):
                    await agent.step()
                mark("finished")
                done = True
                await all_finished.wait()
        except Exception as exc:  # a server that did not start or died counts as an error
            cause = leaf(exc)
            tally.error("agent failed", f"agent-{n}: {type(cause).__name__}: {cause}")
            if not marked:
                starting.release()
                mark("started")
            if not done:
                mark("finished")

    await asyncio.wait_for(asyncio.gather(*(one(n) for n in range(processes))), deadline)
    return tally, projects, time.perf_counter() - started


async def fleet_result(
    args: argparse.Namespace,
    database_url: str,
    tally: Tally,
    projects: list[Path],
    seconds: float,
    processes: int,
) -> dict[str, Any]:
    """A fleet's outcome: every acknowledged write looked for in the database; ok when none
    failed, none went offline and nothing waits in a journal."""
    found = await present(database_url, tally.written)
    result = {
        "processes": processes,
        "ops_each": args.ops,
        "role_limit": args.role_limit,
        "seconds": round(seconds, 1),
        "journalled": journalled(projects),
        "writes_present": found,
        **tally.summary(),
    }
    result["ok"] = (
        not tally.errors and tally.offline == 0 and found == len(tally.written) and result["journalled"] == 0
    )
    return result


async def scenario_a(args: argparse.Namespace, database_url: str, folder: Path) -> dict[str, Any]:
    async with limited_role(ADMIN_URL, database_url, args.role_limit) as role_url:
        role = make_url(role_url).username or ""
        database = make_url(database_url).database or ""
        with pgbouncer(
            [role], pool_size=max(1, args.role_limit - 2), max_client_conn=4 * args.processes + 50
        ) as bouncer:
            tally, projects, seconds = await stdio_fleet(
                bouncer.url(role, database),
                args.processes,
                args.ops,
                folder / "a",
                refusals_ok=False,
                deadline=args.deadline,
            )
    return await fleet_result(args, database_url, tally, projects, seconds, args.processes)


async def scenario_c(args: argparse.Namespace, database_url: str, folder: Path) -> dict[str, Any]:
    async with limited_role(ADMIN_URL, database_url, args.role_limit) as role_url:
        tally, projects, seconds = await stdio_fleet(
            role_url, args.direct_processes, args.ops, folder / "c", refusals_ok=True, deadline=args.deadline
        )
    return await fleet_result(args, database_url, tally, projects, seconds, args.direct_processes)


@contextlib.contextmanager
def http_server(database_url: str, folder: Path, tokens: dict[str, str]) -> Iterator[str]:
    folder.mkdir(parents=True)
    path = folder / "tokens"
    path.write_text("".join(f"{person} {token}\n" for person, token in tokens.items()))
    path.chmod(0o600)
    with contextlib.closing(__import__("socket").socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = agent_env(folder, database_url)
    with (folder / "stderr.txt").open("wb") as errlog:
        process = subprocess.Popen(
            [*SERVE, "--transport", "http", "--port", str(port), "--tokens", str(path)],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errlog,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError((folder / "stderr.txt").read_text())
            with contextlib.closing(__import__("socket").socket()) as sock:
                sock.settimeout(0.2)
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError("the HTTP server did not listen")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


async def scenario_b(args: argparse.Namespace, database_url: str, folder: Path) -> dict[str, Any]:
    people = {f"person{n}": f"token-{n:03d}-{uuid.uuid4().hex}" for n in range(8)}
    tally = Tally()
    with http_server(database_url, folder / "b", people) as url:
        stop_at = time.monotonic() + args.seconds + START_TIMEOUT

        async def session(n: int, ready: asyncio.Event, go: asyncio.Event) -> None:
            token = list(people.values())[n % len(people)]
            try:
                async with (
                    httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=120) as http,
                    streamable_http_client(url, http_client=http) as (read, write),
                    ClientSession(
                        read, write, client_info=Implementation(name=f"s{n}", version="1")
                    ) as client,
                ):
                    await client.initialize()
                    agent = Agent(client, tally, random.Random(n), refusals_ok=False)
                    ready.set()
                    await go.wait()
                    end = time.monotonic() + args.seconds
                    while time.monotonic() < min(end, stop_at):
                        await agent.step()
            except Exception as exc:
                cause = leaf(exc)
                tally.error("session failed", f"s{n}: {type(cause).__name__}: {cause!r}")
            finally:
                ready.set()

        go = asyncio.Event()
        readies = [asyncio.Event() for _ in range(args.sessions)]
        tasks = [asyncio.create_task(session(n, readies[n], go)) for n in range(args.sessions)]
        await asyncio.wait_for(asyncio.gather(*(event.wait() for event in readies)), START_TIMEOUT)
        started = time.perf_counter()
        go.set()
        await asyncio.wait_for(asyncio.gather(*tasks), args.seconds + args.deadline)
        seconds = time.perf_counter() - started
    found = await present(database_url, tally.written)
    result = {
        "sessions": args.sessions,
        "seconds": round(seconds, 1),
        "calls_per_second": round(tally.calls / seconds, 1) if seconds else 0,
        "writes_present": found,
        **tally.summary(),
    }
    result["ok"] = not tally.errors and tally.offline == 0 and found == len(tally.written)
    return result


async def fresh_database(folder: Path) -> str:
    name = f"ps_team_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(ADMIN_URL, timeout=10)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    env = agent_env(folder, url)
    await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "project_status", "db", "upgrade"],
        env=env,
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return url


async def drop_database(url: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL, timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await conn.close()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(args.folder) if args.folder else Path(__import__("tempfile").mkdtemp(prefix="bench-team-"))
    folder.mkdir(parents=True, exist_ok=True)
    database_url = await fresh_database(folder)
    results: dict[str, Any] = {}
    try:
        for name, scenario in (("a", scenario_a), ("b", scenario_b), ("c", scenario_c)):
            if name not in args.only:
                continue
            started = time.perf_counter()
            try:
                results[name] = await scenario(args, database_url, folder)
            except TimeoutError:
                results[name] = {"ok": False, "error": f"over its {args.deadline:g} s bound"}
            results[name]["wall_seconds"] = round(time.perf_counter() - started, 1)
            print(f"scenario {name}: {json.dumps(results[name])}", file=sys.stderr, flush=True)
    finally:
        await drop_database(database_url)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--processes", type=int, default=100, help="a) stdio servers through PgBouncer")
    parser.add_argument("--direct-processes", type=int, default=40, help="c) stdio servers, no PgBouncer")
    parser.add_argument("--ops", type=int, default=20, help="a, c) operations per stdio server")
    parser.add_argument("--role-limit", type=int, default=20, help="a, c) the role's CONNECTION LIMIT")
    parser.add_argument("--sessions", type=int, default=200, help="b) concurrent MCP sessions over HTTP")
    parser.add_argument("--seconds", type=float, default=60.0, help="b) how long the sessions run")
    parser.add_argument("--deadline", type=float, default=900.0, help="bound of each scenario, seconds")
    parser.add_argument("--only", default="abc", help="which scenarios to run, e.g. 'ab'")
    parser.add_argument("--folder", help="where the agents' data folders go (default: a temp folder)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    results = asyncio.run(run(args))
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    return 0 if all(result.get("ok") for result in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Soak the fallback chain: N writes from two clients during M real PostgreSQL outages.

A private PostgreSQL server (initdb + a postmaster on a free port, as the resilience tests
start it) is stopped M times (fast, immediate and SIGKILL in turn). Two clients (full trackers
as the CLI and server build them, each with its own mirror and journal) write all the time:
creates and updates, some on items both of them touch. After each outage they sync, the second
client first, so the first one's offline changes to shared items become conflicts. At the end
every acknowledged write is looked for in PostgreSQL: as a row (creates), as an audit event
(updates) or as a kept conflict. Lost = acknowledged and found nowhere. It must be 0.

    .venv/bin/python benchmarks/soak_offline.py --outages 6 --seconds 4
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.resilience.conftest import (
    PrivatePostgres,
    create_tracker_database,
    find_binaries,
    wait_until_connectable,
)

from project_status.domain.errors import TrackerError, VersionConflictError
from project_status.domain.work_items import WorkItemCreate, WorkItemUpdate
from project_status.services import notices
from project_status.services.tracker import Tracker
from project_status.settings import Settings

STOPS = ("fast", "immediate", "kill")


@dataclass
class Client:
    name: str
    tracker: Tracker
    rng: random.Random
    versions: dict[str, int] = field(default_factory=dict)
    """Item id -> the version this client last saw."""
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    """Titles acknowledged (each write uses a title of its own)."""
    offline_acks: int = 0
    refused: int = 0
    """Writes refused at once (a version conflict against the mirror): not acknowledged, not counted."""
    serial: int = 0

    def title(self, kind: str) -> str:
        self.serial += 1
        return f"{self.name}-{kind}-{self.serial:05}"

    async def write(self, shared: list[str]) -> None:
        with notices.collecting() as warnings:
            try:
                if not self.versions or self.rng.random() < 0.3:
                    title = self.title("create")
                    row = await self.tracker.work_items.create(
                        WorkItemCreate(item_type="project", title=title), self.name
                    )
                    self.versions[row.id] = row.version
                    self.created.append(title)
                else:
                    pool = shared if shared and self.rng.random() < 0.3 else list(self.versions)
                    item = self.rng.choice(pool)
                    title = self.title("update")
                    row = await self.tracker.work_items.update(
                        item, self.versions.get(item, 1), WorkItemUpdate(title=title), self.name
                    )
                    self.versions[item] = row.version
                    self.updated.append(title)
            except VersionConflictError as error:
                self.refused += 1
                self.versions[str(error.details.get("id", ""))] = int(error.details.get("current_version", 1))
                return
            except TrackerError:
                self.refused += 1
                return
        if any("pending sync" in w for w in warnings):
            self.offline_acks += 1


async def run(outages: int, seconds: float, seed: int) -> int:
    binaries = find_binaries()
    if isinstance(binaries, str):
        print(f"cannot start a private PostgreSQL: {binaries}")
        return 2
    server = PrivatePostgres.create(binaries)
    server.start()
    try:
        await create_tracker_database(server)
        with TemporaryDirectory() as tmp:
            return await _soak(server, Path(tmp), outages, seconds, seed)
    finally:
        server.remove()


async def _client(server: PrivatePostgres, root: Path, name: str, seed: int) -> Client:
    settings = Settings(database_url=server.tracker_url, data_dir=root / name / ".project-status")
    tracker = await Tracker.open(settings)
    assert tracker.router is not None
    tracker.router.regenerate_report = False  # measured elsewhere; here it would only slow the writers
    return Client(name, tracker, random.Random(seed))


async def _phase(clients: list[Client], shared: list[str], seconds: float) -> None:
    deadline = time.monotonic() + seconds

    async def loop(client: Client) -> None:
        while time.monotonic() < deadline:
            await client.write(shared)

    await asyncio.gather(*(loop(c) for c in clients))


async def _soak(server: PrivatePostgres, root: Path, outages: int, seconds: float, seed: int) -> int:
    a = await _client(server, root, "client-a", seed)
    b = await _client(server, root, "client-b", seed + 1)
    clients = [a, b]
    shared: list[str] = []
    for n in range(3):
        row = await a.tracker.work_items.create(
            WorkItemCreate(item_type="project", title=f"shared-{n}"), "setup"
        )
        shared.append(row.id)
    conflicts = applied = already = 0
    sync_seconds: list[float] = []
    started = time.monotonic()
    for outage in range(outages):
        for c in clients:
            assert c.tracker.mirror is not None
            await c.tracker.mirror.refresh()
            for item in shared:  # both start the outage from the database's current versions
                c.versions[item] = (await c.tracker.work_items.get(item)).version
        await _phase(clients, shared, seconds / 2)
        how = STOPS[outage % len(STOPS)]
        if how == "kill":
            server.kill()
        else:
            server.stop(how)  # type: ignore[arg-type]
        await _phase(clients, shared, seconds)
        server.start()
        await wait_until_connectable(server)
        for c in (b, a):  # b first: a's offline changes to shared items then conflict
            c.tracker.db.breaker.succeeded()
            assert c.tracker.sync is not None
            result = await c.tracker.sync.sync()
            applied += result.applied
            already += result.already_applied
            conflicts += result.conflicts
            sync_seconds.append(result.seconds)
            if result.remaining:
                print(f"outage {outage + 1}: {c.name} left {result.remaining} entries pending")
        written = sum(len(c.created) + len(c.updated) for c in clients)
        offline = sum(c.offline_acks for c in clients)
        print(
            f"outage {outage + 1}/{outages} ({how}): writes so far {written}, offline {offline}, "
            f"conflicts {conflicts}",
            file=sys.stderr,
        )
    elapsed = time.monotonic() - started
    lost = await _lost(server, clients)
    total = sum(len(c.created) + len(c.updated) for c in clients)
    print(f"soak: {outages} outages ({', '.join(STOPS)} in turn), {elapsed:.0f} s, seed {seed}")
    print(
        f"  acknowledged writes: {total} ({sum(c.offline_acks for c in clients)} while PostgreSQL was down)"
    )
    print(f"  creates {sum(len(c.created) for c in clients)}, updates {sum(len(c.updated) for c in clients)}")
    print(
        f"  refused at once (version conflicts against what the client saw, not acknowledged): "
        f"{sum(c.refused for c in clients)}"
    )
    print(f"  replayed: {applied} applied, {already} already applied, {conflicts} kept as conflicts")
    print(f"  sync runs: {len(sync_seconds)}, longest {max(sync_seconds):.2f} s")
    print(f"  lost: {lost}")
    for c in clients:
        await c.tracker.close()
    return 0 if lost == 0 else 1


async def _lost(server: PrivatePostgres, clients: list[Client]) -> int:
    conn = await asyncpg.connect(server.tracker_url)
    try:
        # A create is found by its `created` event (a later update may have renamed the item).
        created = {
            r["t"]
            for r in await conn.fetch(
                "SELECT changes->'title'->>'new' AS t FROM events WHERE action = 'created' "
                "AND entity_type = 'work_item'"
            )
        }
        duplicates = await conn.fetchval(
            "SELECT count(*) FROM (SELECT changes->'title'->>'new' FROM events WHERE action = 'created' "
            "GROUP BY 1 HAVING count(*) > 1) d"
        )
        events = {
            r["t"]
            for r in await conn.fetch(
                "SELECT changes->'title'->>'new' AS t FROM events WHERE entity_type = 'work_item'"
            )
        }
        kept = {
            r["t"] for r in await conn.fetch("SELECT arguments->'changes'->>'title' AS t FROM sync_conflicts")
        }
    finally:
        await conn.close()
    lost = 0
    for c in clients:
        missing = [t for t in c.created if t not in created]
        missing += [t for t in c.updated if t not in events and t not in kept]
        if missing:
            print(f"  {c.name}: {len(missing)} acknowledged writes not found, e.g. {missing[:5]}")
        lost += len(missing)
    if duplicates:
        print(f"  duplicated rows: {duplicates}")
    return lost + int(duplicates)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--outages", type=int, default=6, help="how many times PostgreSQL goes down")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each outage (online: half)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.ERROR
    )  # outages log a warning per refused call; the summary says it all
    return asyncio.run(run(args.outages, args.seconds, args.seed))


if __name__ == "__main__":
    sys.exit(main())

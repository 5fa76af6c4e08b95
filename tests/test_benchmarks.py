"""The scale benchmark cannot rot: its bulk seed, one measurement and its generated docs run here
at a tiny size on SQLite (a few seconds), and the seed's archiving rule agrees with the archive
service's."""

from __future__ import annotations

import random
import shutil
import sys
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from project_status.services.tracker import Tracker
from project_status.store.tables import Event, WorkItem

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from bench_core import BenchSettings, Result, _vendor_payload
from bench_scale import timed
from scale_docs import write_docs
from scale_results import STAGE_AFTER, STAGE_BEFORE, LoadRun, RunInfo, Stage
from scale_seed import THRESHOLD_DAYS, seed_history

ARCHIVABLE, EXTRA_LIVE, DEPLOYMENTS = 250, 50, 20


@pytest.fixture
async def seeded(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Tracker]:
    path = tmp_path / "status.db"
    shutil.copyfile(sqlite_template, path)
    tracker = await Tracker.open(url=f"sqlite+aiosqlite:///{path}")
    try:
        rng = random.Random(1)
        for i in range(5):
            await tracker.vendors.create(_vendor_payload(i, rng), "benchmark")
        await seed_history(tracker.db, archivable=ARCHIVABLE, extra_live=EXTRA_LIVE, deployments=DEPLOYMENTS)
        yield tracker
    finally:
        await tracker.close()


async def _count(tracker: Tracker, statement: Any) -> int:
    async with tracker.db.unit_of_work() as session:
        return int((await session.execute(statement)).scalar_one())


async def test_the_bulk_seed_writes_the_history_it_plans(seeded: Tracker) -> None:
    assert await _count(seeded, select(func.count()).select_from(WorkItem)) == ARCHIVABLE + EXTRA_LIVE
    events = await _count(seeded, select(func.count()).select_from(Event))
    assert events >= ARCHIVABLE + EXTRA_LIVE  # a created event each, more for finished items
    deepest = await _count(seeded, select(func.max(WorkItem.depth)))
    assert 2 <= deepest <= 5


async def test_the_archive_service_finds_exactly_the_items_the_seed_made_archivable(seeded: Tracker) -> None:
    planned = await seeded.archive.run(actor="benchmark", older_than_days=THRESHOLD_DAYS, dry_run=True)
    assert planned.items_archived == ARCHIVABLE


async def test_a_measurement_gives_percentiles(seeded: Tracker) -> None:
    names = [v.name for v in (await seeded.vendors.query()).items]

    async def vendor(i: int) -> None:
        await seeded.vendors.query(names[i % len(names)])

    samples = await timed("vendor", vendor, BenchSettings(iterations=20, warmup=2, budget_s=5))
    result = Result("sqlite", "service", "vendor by name", samples, 0.1)
    assert len(samples) == 20
    assert 0 < result.percentile(50) <= result.percentile(95) <= result.percentile(99)


def test_the_docs_and_the_plot_are_written(tmp_path: Path) -> None:
    run = LoadRun("sqlite", "five-year", 1.0, "seed")
    for key, live in ((STAGE_BEFORE, 300), (STAGE_AFTER, 50)):
        stage = Stage("sqlite", "five-year", key, f"300 items, {key}", live, 300)
        stage.results.append(Result("sqlite", "service", "vendor by name", [40_000, 50_000, 60_000], 0.1))
        stage.results.append(Result("sqlite", "service", "full report", [9_000_000, 12_000_000], 10.0))
        run.stages.append(stage)
    info = RunInfo(
        command="benchmarks/bench_scale.py --write-docs docs/performance.md",
        started=0.0,
        load_before=(0.5, 0.5, 0.5),
        seconds=60.0,
        items=300,
        live=1_250,
        deployments=60,
        runs=[run],
    )
    markdown, plot = write_docs(tmp_path / "docs" / "performance.md", info)
    text = markdown.read_text()
    assert "| vendor by name | sqlite |" in text
    assert "(performance-latency.svg)" in text
    root = ET.fromstring(plot.read_text())
    assert root.tag.endswith("svg") and root.findall(".//{http://www.w3.org/2000/svg}path")

"""Live board benchmark: page weight and render time at the reference load (1,200 live items).

For each backend (SQLite in a temp file; PostgreSQL in a throw-away database on 127.0.0.1:5432,
dropped at the end) this seeds bench_core's reference load (45 vendors, 1,200 work items over
depths 0-5, 50 deployments, 30 enhancements), starts `project-status board` on it in a
subprocess and measures p50/p95/p99 of

* server: `gather` + `render_page` in process (the reads and the HTML, no network),
* http: GET /board/ from the running server, first byte to last (urllib),
* browser load: Chromium (Debian's, through Playwright) navigating to the page until its `load`
  event, from the Navigation Timing entry (request start to load end: fetch, parse, style,
  layout; the issue's "renders in" figure),
* live swap: in the page, fetch /board/view and swap it in, layout forced (what a change costs),
* live delay: a work item created by another process until it shows in the open page.

and the page weight in bytes. Usage::

    .venv/bin/python benchmarks/bench_board.py [--backend sqlite|postgresql|both] [--iterations N]

Progress goes to stderr, the result table to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench_core import DEFAULT_PG_ADMIN_URL, log, migrate, seed
from bench_report import throwaway_postgres
from project_status.board.view import gather, render_page
from project_status.domain.validation import validate
from project_status.domain.work_items import WorkItemCreate
from project_status.services.tracker import Tracker
from project_status.settings import normalize_database_url

CHROMIUM = "/usr/bin/chromium"
PAGE_LIMIT_BYTES = 200 * 1024
RENDER_LIMIT_MS = 300.0


def percentiles(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0], ordered[0], ordered[0]
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int, process: subprocess.Popen[bytes], within: float = 180.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the board exited with {process.returncode}")
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError("the board did not start")


Rows = list[tuple[str, str, list[float] | str]]


async def bench(label: str, url: str, iterations: int, rows: Rows) -> None:
    tracker = await Tracker.open(url=url)
    try:
        started = time.perf_counter()
        await seed(tracker, label)
        log(f"[{label}] seeded in {time.perf_counter() - started:.1f} s")
        server: list[float] = []
        html = ""
        for _ in range(iterations):
            tick = time.perf_counter()
            view = await gather(tracker)
            html = render_page(view, token_required=False, base="/board")
            server.append((time.perf_counter() - tick) * 1000)
        rows.append((label, f"server: gather + render ({len(view.board.items)} live items)", server))
        rows.append((label, "page weight", f"{len(html.encode()):,} bytes (limit {PAGE_LIMIT_BYTES:,})"))
        await browse(label, url, tracker, iterations, rows)
    finally:
        await tracker.close()


def start_board(url: str, port: int) -> subprocess.Popen[bytes]:
    folder = Path(tempfile.mkdtemp(prefix="bench-board-"))
    env = {key: value for key, value in os.environ.items() if not key.startswith("PROJECT_STATUS_")}
    env |= {
        "PROJECT_STATUS_DATABASE_URL": url,
        "PROJECT_STATUS_DATA_DIR": str(folder / ".project-status"),
        "PROJECT_STATUS_MIRROR": "false",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "project_status", "board", "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(port, process)
    return process


def get_pages(page_url: str, iterations: int) -> list[float]:
    times: list[float] = []
    for _ in range(iterations):
        tick = time.perf_counter()
        with urllib.request.urlopen(page_url, timeout=60) as response:
            response.read()
        times.append((time.perf_counter() - tick) * 1000)
    return times


async def browse(label: str, url: str, tracker: Tracker, iterations: int, rows: Rows) -> None:
    from playwright.async_api import async_playwright

    port = free_port()
    process = await asyncio.to_thread(start_board, url, port)
    try:
        page_url = f"http://127.0.0.1:{port}/board/"
        http = await asyncio.to_thread(get_pages, page_url, iterations)
        rows.append((label, "http: GET /board/", http))
        async with async_playwright() as driver:
            browser = await driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            loads: list[float] = []
            for _ in range(iterations):
                await page.goto(page_url, wait_until="load")
                timing: dict[str, Any] = await page.evaluate(
                    "(() => { const n = performance.getEntriesByType('navigation')[0];"
                    " return {start: n.requestStart, end: n.loadEventEnd}; })()"
                )
                loads.append(float(timing["end"]) - float(timing["start"]))
            rows.append((label, "browser: navigation to load event", loads))
            await page.wait_for_selector("#live.on", timeout=60_000)
            swaps: list[float] = []
            for _ in range(iterations):
                swaps.append(
                    float(
                        await page.evaluate(
                            "(async () => { const t = performance.now();"
                            " const r = await fetch('/board/view'); const h = await r.text();"
                            " document.getElementById('board').innerHTML = h;"
                            " void document.body.offsetHeight; return performance.now() - t; })()"
                        )
                    )
                )
            rows.append((label, "browser: live swap (fetch view + swap + layout)", swaps))
            delays: list[float] = []
            for index in range(max(3, iterations // 4)):
                title = f"bench live {index} {time.monotonic_ns()}"
                tick = time.perf_counter()
                await tracker.work_items.create(
                    validate(WorkItemCreate, {"item_type": "project", "title": title}), "bench"
                )
                await page.locator("#tree-box").get_by_text(title).wait_for(timeout=60_000)
                delays.append((time.perf_counter() - tick) * 1000)
            rows.append((label, "live delay: write in another process -> shown", delays))
            await browser.close()
    finally:
        process.terminate()
        await asyncio.to_thread(process.wait, 30)


async def main_async(args: argparse.Namespace) -> int:
    rows: Rows = []
    if args.backend in ("sqlite", "both"):
        folder = Path(tempfile.mkdtemp(prefix="bench-board-db-"))
        await bench("sqlite", f"sqlite+aiosqlite:///{folder / 'status.db'}", args.iterations, rows)
    if args.backend in ("postgresql", "both"):
        async with throwaway_postgres(args.pg_admin_url) as pg_url:
            if pg_url is not None:
                url = normalize_database_url(pg_url)
                await migrate(url)
                await bench("postgresql", url, args.iterations, rows)
    print(f"{'backend':<11} {'measure':<52} {'n':>3} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for backend, name, values in rows:
        if isinstance(values, str):
            print(f"{backend:<11} {name:<52} {values}")
            continue
        p50, p95, p99 = percentiles(values)
        print(f"{backend:<11} {name:<52} {len(values):>3} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f}")
    print(f"limits: page <= {PAGE_LIMIT_BYTES:,} bytes; render <= {RENDER_LIMIT_MS:.0f} ms")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--pg-admin-url", default=DEFAULT_PG_ADMIN_URL)
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())

"""The last layers of the read fallback chain: the status report as committed in git, then as
it is on disk. Either is imported (with the legacy importer) into a throw-away SQLite file so
that the same service methods can answer from it."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import subprocess
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from project_status.services.clock import now
from project_status.services.fallback.mirror import ago
from project_status.services.importing.legacy import parse
from project_status.services.reports import REPORT_FILE

log = logging.getLogger(__name__)

GIT_TIMEOUT_SECONDS = 5.0
FALLBACK_ACTOR = "fallback:markdown"

OpenTracker = Callable[[str], Awaitable[Any]]
"""Opens a tracker (migrated) on a SQLite URL; passed in to keep this module below the facade."""


@dataclass
class MarkdownLayer:
    kind: str
    """`git` or `file`."""
    source: str
    written_at: datetime
    tracker: Any
    """The tracker opened on the imported copy."""

    def describe(self) -> str:
        when = f"{self.written_at:%Y-%m-%d %H:%M:%S} UTC"
        return f"{self.source}, written {ago(now() - self.written_at)} ({when})"


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _from_git(root: Path) -> tuple[str, str, datetime] | None:
    """The report as of the last commit that touched it: (commit, text, commit time)."""
    found = _git(root, "log", "-1", "--format=%H %ct", "--", REPORT_FILE)
    if not found or not found.strip():
        return None
    commit, stamp = found.split()
    shown = _git(root, "show", f"{commit}:{REPORT_FILE}")
    if shown is None:
        return None
    return commit, shown, datetime.fromtimestamp(int(stamp), UTC)


def _from_file(root: Path) -> tuple[str, str, datetime] | None:
    path = root / REPORT_FILE
    try:
        text = path.read_text(encoding="utf-8")
        stat = path.stat()
    except OSError:
        return None
    key = hashlib.sha256(text.encode()).hexdigest()[:16]
    return key, text, datetime.fromtimestamp(stat.st_mtime, UTC)


class MarkdownLayers:
    """Builds (once per version of the source) and keeps the imported copies."""

    def __init__(self, root: Path, work_dir: Path, open_tracker: OpenTracker) -> None:
        self.root = root
        self.work_dir = work_dir
        self.open_tracker = open_tracker
        self._built: dict[tuple[str, str], MarkdownLayer | None] = {}
        self._lock = asyncio.Lock()

    async def layer(self, kind: str) -> MarkdownLayer | None:
        finder = _from_git if kind == "git" else _from_file
        found = await asyncio.to_thread(finder, self.root)
        if found is None:
            return None
        key, text, written_at = found
        async with self._lock:
            if (kind, key) not in self._built:
                self._built[(kind, key)] = await self._build(kind, key, text, written_at)
            return self._built[(kind, key)]

    async def _build(self, kind: str, key: str, text: str, written_at: datetime) -> MarkdownLayer | None:
        source = (
            f"{REPORT_FILE} as committed in git ({key[:10]})"
            if kind == "git"
            else f"{self.root / REPORT_FILE}"
        )
        path = self.work_dir / f"{kind}-{key[:16]}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        tracker = await self.open_tracker(f"sqlite+aiosqlite:///{path}")
        try:
            report = await tracker.imports.run(parse(text), None, actor=FALLBACK_ACTOR)
        except Exception as error:  # a file that can't be read is a missing layer, not a failure
            log.warning("fallback: could not read %s: %s", source, error)
            await tracker.close()
            return None
        if not report.committed:
            log.warning("fallback: %s did not import cleanly; not used", source)
            await tracker.close()
            return None
        return MarkdownLayer(kind, source, written_at, tracker)

    async def close(self) -> None:
        for layer in self._built.values():
            if layer is not None:
                await layer.tracker.close()
        self._built.clear()

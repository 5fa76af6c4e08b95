"""Keep a generated `.project_status.md` current, so people and the git fallback read today's data.

The store is watched, not the write path: a cheap read of the newest audit event (and this
process's own commit count) tells that something changed, in this process or any other on the
same store. The file is rendered again once the store has been quiet for a short while, and
written atomically only when its bytes change. A hand-kept file (one without the generated
marker) is never overwritten: the server says once how to switch over.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio

from project_status.domain.errors import TrackerError, ValidationError
from project_status.services.reports import (
    GENERATED_MARK,
    REPORT_FILE,
    ReportService,
    refuse_link_out_of,
    write_atomically,
)
from project_status.store import events as event_store
from project_status.store.database import Database

log = logging.getLogger(__name__)

DEFAULT_DELAY_SECONDS = 2.0
LONGEST_POLL_SECONDS = 0.5
DELAYS_BEFORE_FORCED_WRITE = 5
"""Under a steady stream of writes the file still follows, at most this many delays behind."""


class Outcome(enum.StrEnum):
    WRITTEN = "written"
    UNCHANGED = "unchanged"
    HAND_KEPT = "hand_kept"
    ABSENT = "absent"
    UNAVAILABLE = "unavailable"


def is_hand_kept(target: Path) -> bool:
    """A file that exists without the generated marker on its first line was kept by hand."""
    try:
        with target.open(encoding="utf-8", errors="replace") as stream:
            return not stream.readline().startswith(GENERATED_MARK)
    except FileNotFoundError:
        return False


def _current_bytes(target: Path) -> bytes | None:
    try:
        return target.read_bytes()
    except FileNotFoundError:
        return None


def _unsuitable_root(root: Path) -> bool:
    """Never drop a new report into the filesystem root or the home folder itself."""
    resolved = root.resolve()
    return resolved == Path(resolved.anchor) or resolved == Path.home().resolve()


class LiveReport:
    """The generated report file of one project, kept in step with its store."""

    def __init__(
        self,
        db: Database,
        reports: ReportService,
        project_root: Path,
        *,
        delay_seconds: float = DEFAULT_DELAY_SECONDS,
        ready: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self.db = db
        self._ready = ready
        """Whether the database is reachable with its schema current; rounds wait until it is."""
        self.reports = reports
        self.project_root = project_root
        self.target = project_root / REPORT_FILE
        self.delay_seconds = delay_seconds
        self._seen: tuple[int, int] | None = None
        self._changed_at: float | None = None
        self._dirty_since: float | None = None
        self._told_hand_kept = False

    @property
    def poll_seconds(self) -> float:
        return min(LONGEST_POLL_SECONDS, max(0.05, self.delay_seconds / 4))

    async def change_marker(self) -> tuple[int, int] | None:
        """(this process's write commits, newest event id); None while the database is unreachable."""
        try:
            newest = await self.db.within_answer_time(self._newest_event())
        except TrackerError:
            return None
        return self.db.writes_committed, newest

    async def _newest_event(self) -> int:
        async with self.db.reader() as reader:
            return await event_store.newest_id(reader)

    async def refresh(self, *, create: bool) -> Outcome:
        """Render now and write the file if its bytes differ; `create` also writes a missing one."""
        try:
            refuse_link_out_of(self.project_root, self.target, given=None)
        except ValidationError as error:  # not ours to write through, nor to replace: left alone
            self._tell_hand_kept(error.message)
            return Outcome.HAND_KEPT
        if is_hand_kept(self.target):
            self._tell_hand_kept()
            return Outcome.HAND_KEPT
        existing = await asyncio.to_thread(_current_bytes, self.target)
        if existing is None and (not create or _unsuitable_root(self.target.parent)):
            return Outcome.ABSENT
        try:
            text = await self.reports.render()
        except TrackerError as error:
            log.info("report file not refreshed: %s", error.message)
            return Outcome.UNAVAILABLE
        if existing == text.encode("utf-8"):
            return Outcome.UNCHANGED
        await asyncio.to_thread(write_atomically, self.target, text)
        return Outcome.WRITTEN

    def _tell_hand_kept(self, why: str | None = None) -> None:
        if self._told_hand_kept:
            return
        self._told_hand_kept = True
        if why is not None:
            log.warning("%s is not updated with the data: %s", self.target, why)
            return
        log.warning(
            "%s is kept by hand (it has no generated marker), so it is not updated with the data. "
            "To have it kept current, run `project-status status --write` once: the hand-kept file "
            "is saved beside it as %s.hand-kept.",
            self.target,
            REPORT_FILE,
        )

    async def round(self) -> Outcome | None:
        """One look at the store; the file is written once the store has been quiet long enough."""
        if self._ready is not None and not await self._ready():
            return None
        marker = await self.change_marker()
        if marker is None:
            return None
        clock = time.monotonic()
        if marker != self._seen:
            self._seen = marker
            self._changed_at = clock
            if self._dirty_since is None:
                self._dirty_since = clock
        if self._changed_at is None or self._dirty_since is None:
            return None
        quiet = clock - self._changed_at >= self.delay_seconds
        overdue = clock - self._dirty_since >= self.delay_seconds * DELAYS_BEFORE_FORCED_WRITE
        if not (quiet or overdue):
            return None
        outcome = await self.refresh(create=True)
        if outcome is not Outcome.UNAVAILABLE:
            self._changed_at = self._dirty_since = None
        return outcome

    async def keep_current(self) -> None:
        """The server's job: a round every poll interval, until cancelled. Never raises."""
        while True:
            try:
                await self.round()
            except Exception as error:  # a report file is a courtesy: never take the server down
                log.warning("report file not refreshed: %s", error)
            await anyio.sleep(self.poll_seconds)

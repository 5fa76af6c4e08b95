"""What the page shows, gathered from the service layer and laid out as HTML.

The tree is laid out in Python (escaped by markupsafe), not by a recursive template: it lists
every live item, and string building nests a thousand of them many times faster than template
recursion. Everything else is a Jinja2 template shipped in the package.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources

import jinja2
from markupsafe import Markup, escape

from project_status.domain.board import Board, BoardChange, BoardItem
from project_status.domain.changes import ChangeRow, ProjectSummary
from project_status.domain.work_items import WorkItemBrief
from project_status.services import notices
from project_status.services.templates import strict_templates
from project_status.services.tracker import Tracker

READY_LIMIT = 25
LANE_LIMIT = 25
"""Blocked and in-progress lanes show this many, then say how many more (the tree has them all)."""
FOLD_ID = 13
"""A parent's fold is remembered across refreshes by this much of its id (8 hex, dash, 4 hex):
unique enough among one project's items, and a third of the bytes of the whole id."""
OPEN_BELOW_DEPTH = 1
"""Items at depth 0 and 1 start unfolded: the projects and their sessions show, the rest folds."""
STATUS_ORDER = ("active", "in_progress", "blocked", "completed")
SEARCH_FIELD = "q"


@dataclass(frozen=True, slots=True)
class BoardView:
    board: Board
    ready: list[WorkItemBrief]
    ready_total: int
    in_progress: list[BoardItem]
    in_progress_total: int
    blocked: list[BoardItem]
    blocked_total: int
    counts: dict[str, dict[str, int]]
    """Live items by type, then status."""
    summary: ProjectSummary
    """The service layer's project summary (what `get_project_summary` answers)."""
    changes: list[BoardChange | ChangeRow]
    """The newest changes from the change feed, newest first."""
    statuses: list[str]
    warnings: list[str]
    """Where the answer came from when it is not the primary database (source and age)."""
    now: datetime

    @property
    def marker(self) -> str:
        """What the live stream compares: the newest event, and whether a fallback answered."""
        return live_marker(*self.board.change_marker, bool(self.warnings))


def live_marker(newest_event: int, recent_events: int, fallback: bool) -> str:
    return f"{newest_event}.{recent_events}{'-fallback' if fallback else ''}"


async def gather(tracker: Tracker) -> BoardView:
    """One read of everything the page shows. Raises `TrackerError` when no layer can answer."""
    await tracker.try_ready()
    with notices.collecting() as warnings:
        board = await tracker.board.snapshot()
        ready = await tracker.work_items.ready(limit=READY_LIMIT)
        summary = await tracker.changes.summary()
        feed = await tracker.changes.list_changes(limit=len(board.changes) or 1)
    # The feed answers nothing while a write is still committing: the board's own read then.
    changes: list[BoardChange | ChangeRow] = (
        list(board.changes) if feed.in_flight or not board.changes else list(reversed(feed.items))
    )
    counts: dict[str, Counter[str]] = {}
    for item in board.items:
        counts.setdefault(item.item_type, Counter())[item.status] += 1
    seen = {status for by_status in counts.values() for status in by_status}
    statuses = [s for s in STATUS_ORDER if s in seen] + sorted(seen - set(STATUS_ORDER))
    in_progress = [item for item in board.items if item.status == "in_progress"]
    in_progress.sort(key=lambda item: (item.claim_expires_at is None, item.claim_expires_at, item.title))
    blocked = [item for item in board.items if item.status == "blocked" or item.blockers]
    blocked.sort(key=lambda item: (item.priority, item.title))
    return BoardView(
        board=board,
        ready=list(ready.items),
        ready_total=ready.total,
        in_progress=in_progress[:LANE_LIMIT],
        in_progress_total=len(in_progress),
        blocked=blocked[:LANE_LIMIT],
        blocked_total=len(blocked),
        counts={kind: dict(by_status) for kind, by_status in sorted(counts.items())},
        summary=summary,
        changes=changes,
        statuses=statuses,
        warnings=list(warnings),
        now=datetime.now(UTC),
    )


def lease_left(expires: datetime | None, now: datetime) -> str:
    if expires is None:
        return "no lease"
    seconds = int((expires - now).total_seconds())
    if seconds <= 0:
        return "lease expired"
    if seconds < 60:
        return f"{seconds} s left"
    return f"{seconds // 60} min left"


_STATUS_CLASS = {"active": "sa", "completed": "sc", "blocked": "sb", "in_progress": "sp"}
"""Short class names: the tree repeats them for every live item, and the page must stay small."""


def _row(item: BoardItem, now: datetime) -> str:
    """One item's line: its status as a word on a coloured label, priority, type, title; then a
    claim and blockers when it has them. Terse markup: this is repeated a thousand times."""
    status = escape(item.status)
    text = (
        f"<b class={_STATUS_CLASS.get(item.status, 'so')}>{status.replace('_', ' ')}</b>"
        f"<small>P{item.priority} {escape(item.item_type)}</small> {escape(item.title)}"
    )
    if item.claimed_by:
        text += f"<i>held by {escape(item.claimed_by)}, {lease_left(item.claim_expires_at, now)}</i>"
    if item.blockers:
        text += f"<i class=bk>blocked by {len(item.blockers)}</i>"
    return text


def tree_html(items: list[BoardItem], now: datetime) -> Markup:
    """Nested lists of the depth-first items: a foldable `<details>` for each parent (native,
    so it folds by keyboard without script; its id keeps it folded across live refreshes), a
    plain line for each leaf."""
    parts: list[str] = ['<ul class="tree" id="tree">']
    open_depths: list[int] = []
    for item in items:
        while open_depths and open_depths[-1] >= item.depth:
            open_depths.pop()
            parts.append("</ul></details></li>")
        if item.has_children:
            unfolded = " open" if item.depth <= OPEN_BELOW_DEPTH else ""
            parts.append(
                f"<li><details{unfolded} data-id={item.id[:FOLD_ID]}><summary>{_row(item, now)}</summary><ul>"
            )
            open_depths.append(item.depth)
        else:
            parts.append(f"<li>{_row(item, now)}")  # an omitted </li> is valid HTML: bytes saved
    parts.extend("</ul></details></li>" for _ in open_depths)
    parts.append("</ul>")
    return Markup("".join(parts))


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _asset(name: str) -> Markup:
    """A file shipped beside the templates, inlined: one request, no CDN, no build step."""
    return Markup(resources.files("project_status.board").joinpath("static", name).read_text("utf-8"))


@cache
def _environment() -> jinja2.Environment:
    environment = strict_templates("project_status.board", autoescape=True)
    environment.filters["when"] = _when
    environment.globals["lease_left"] = lease_left
    environment.globals["asset"] = _asset
    return environment


def render_view(view: BoardView) -> str:
    """The board's content: what the page holds and what a live refresh swaps in."""
    quarters = sorted({e.target_quarter or "unscheduled" for e in view.board.enhancements})
    return _environment().get_template("view.html.j2").render(
        view=view, tree=tree_html(view.board.items, view.now), quarters=quarters
    )


def render_page(
    view: BoardView | None, *, token_required: bool, base: str, error: str | None = None
) -> str:
    """The whole page; without a view (a token is required) only its shell, which asks for it."""
    if view is not None:
        content: Markup | None = Markup(render_view(view))
    elif error is not None:
        content = Markup(render_error(error))
    else:
        content = None
    return _environment().get_template("page.html.j2").render(
        content=content, token_required=token_required, base=base, search_field=SEARCH_FIELD
    )


def render_error(message: str) -> str:
    return _environment().get_template("unavailable.html.j2").render(message=message)

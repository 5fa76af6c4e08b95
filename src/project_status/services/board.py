"""The live board's reads: everything one page shows, in one read of the store.

A routed read like any other: with PostgreSQL down it is answered by the mirror (or the markdown
layers) and the answer's warnings name the source and its age, which the page shows as a banner.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

from project_status.domain.board import Board, BoardChange, BoardItem
from project_status.domain.ids import canonical_text
from project_status.services.reports import collect_header
from project_status.services.routing import Routed, reads
from project_status.store import board as board_store
from project_status.store.database import Database

RECENT_CHANGES = 15
_SIBLING_ORDER = operator.attrgetter("priority", "title", "id")


def tree_order(items: Sequence[BoardItem]) -> list[BoardItem]:
    """Depth-first, each parent followed by its subtree; siblings by priority, then title.
    An item whose parent is not live is shown at the top."""
    known = {item.id for item in items}
    children: dict[str | None, list[BoardItem]] = {}
    for item in items:
        parent = item.parent_id if item.parent_id in known else None
        children.setdefault(parent, []).append(item)
    for siblings in children.values():
        siblings.sort(key=_SIBLING_ORDER)
    ordered: list[BoardItem] = []
    stack = children.get(None, [])[::-1]
    while stack:
        item = stack.pop()
        ordered.append(item)
        below = children.get(item.id)
        if below:
            item.has_children = True
            stack.extend(reversed(below))
    return ordered


def _change(row: Any, titles: dict[str, str]) -> BoardChange:
    changes = row.changes if isinstance(row.changes, dict) else {}
    return BoardChange(
        occurred_at=row.occurred_at,
        actor=row.actor,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        title=titles.get(row.entity_id),
        action=row.action,
        fields=sorted(changes),
    )


class BoardService(Routed):
    def __init__(self, db: Database) -> None:
        self.db = db

    @reads
    async def snapshot(self, recent_changes: int = RECENT_CHANGES) -> Board:
        """Everything the board shows, read in one reader; never writes."""
        async with self.db.reader() as reader:
            header = await collect_header(reader)
            rows = await board_store.live_items(reader)
            blocks = await board_store.open_blocks(reader)
            events = await board_store.recent_events(reader, recent_changes)
            marker = await board_store.change_marker(reader)
        items = [
            BoardItem(
                id=canonical_text(row.id),
                parent_id=canonical_text(row.parent_id) if row.parent_id is not None else None,
                item_type=row.item_type,
                title=row.title,
                status=row.status,
                priority=row.priority,
                depth=row.depth,
                blocked_reason=row.blocked_reason,
                claimed_by=row.claimed_by,
                claim_expires_at=row.claim_expires_at,
            )
            for row in rows
        ]
        by_id = {item.id: item for item in items}
        for blocked_id, _blocker_id, title in blocks:
            item = by_id.get(canonical_text(blocked_id))
            if item is not None:
                item.blockers.append(title)
        for item in items:
            item.blockers.sort()
        titles = {item.id: item.title for item in items}
        return Board(
            as_of=header.as_of,
            configuration=header.configuration,
            vendors=header.vendors,
            items=tree_order(items),
            deployments=header.deployments,
            enhancements=header.enhancements,
            changes=[_change(row, titles) for row in events],
            change_marker=marker,
        )

    @reads
    async def change_marker(self) -> tuple[int, int]:
        """What moves whenever a change commits (`store.board.change_marker`): a cheap look, by
        primary key, that tells the board to refresh."""
        async with self.db.reader() as reader:
            return await board_store.change_marker(reader)

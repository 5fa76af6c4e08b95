"""What surrounds an item (`read_surroundings`): the one statement PostgreSQL runs reads exactly the
rows of the statement-per-part SQLite runs, whatever the depth, the limit, the parts asked for
and the items deleted in the tree (on both backends: each runs both forms)."""

from __future__ import annotations

import itertools
import uuid

from sqlalchemy import update

from project_status.services.clock import now
from project_status.services.tracker import Tracker
from project_status.store import work_items as items
from project_status.store.tables import WorkItem
from tests.helpers import chain, create_item, depend


async def _delete_alone(tracker: Tracker, item_id: str) -> None:
    """Mark one item deleted without its subtree (no use case does that; the statements must still
    skip it and what hangs below it)."""
    async with tracker.db.unit_of_work(write=True) as session:
        marked = update(WorkItem).where(WorkItem.id == uuid.UUID(item_id)).values(deleted_at=now())
        await session.execute(marked)


async def test_one_statement_reads_the_rows_of_a_statement_per_part(tracker: Tracker) -> None:
    levels = await chain(tracker, 6)
    root, middle = levels[0], levels[1]
    siblings = [
        await create_item(tracker, f"sibling {n}", parent=middle, priority=1 + n % 3) for n in range(4)
    ]
    below_sibling = await create_item(tracker, "below a sibling", parent=siblings[0])
    await create_item(tracker, "below the deleted one", parent=siblings[1])
    await _delete_alone(tracker, siblings[1].id)
    await depend(tracker, middle, "depends_on", siblings[2])
    await depend(tracker, siblings[3], "blocks", middle)
    await depend(tracker, levels[3], "depends_on", below_sibling)
    deleted_root = siblings[1]

    checked = 0
    async with tracker.db.reader() as reader:
        for item in (*levels, *siblings, below_sibling, deleted_root):
            for children, dependencies, max_levels, limit in itertools.product(
                (True, False), (True, False), (1, 2, 5), (1, 3, None)
            ):
                ways = [
                    await items.read_surroundings(
                        reader,
                        uuid.UUID(item.id),
                        item.path,
                        children=children,
                        dependencies=dependencies,
                        separately=separately,
                        max_levels=max_levels,
                        descendants_limit=limit,
                    )
                    for separately in (False, True)
                ]
                one, per_part = ([tuple(row) for row in rows] for rows in ways)
                assert one == per_part, (item.title, children, dependencies, max_levels, limit)
                checked += bool(one)
    assert checked
    async with tracker.db.reader() as reader:
        whole = await items.read_surroundings(reader, uuid.UUID(root.id), root.path, separately=False)
    below = [row for row in whole if row[0] == items.DESCENDANT]
    titles = {row.title for row in below}
    assert "below the deleted one" not in titles and deleted_root.title not in titles
    assert {"sibling 0", "below a sibling", "level 5"} <= titles
    assert {int(row.total) for row in below} == {len(below)}

"""The report's work items by status (in progress, ready, blocked, recently completed) and as a
nested hierarchy: which item lands in which section, and how long each section gets."""

from __future__ import annotations

from datetime import timedelta

from project_status.domain.enums import DependencyType
from project_status.services.reports import LISTED_PER_STATUS, RECENTLY_COMPLETED
from project_status.services.tracker import Tracker
from tests.helpers import ACTOR, create_item
from tests.services.report_data import at, pin_clock


def section(text: str, heading: str) -> list[str]:
    """The lines of one `### ` section of the by-status part (blank lines left out)."""
    lines = text.split("\n## Work Items by Status\n", 1)[1].split("\n## Work Item Hierarchy\n", 1)[0]
    body = lines.split(f"\n### {heading}", 1)[1].split("\n### ", 1)[0]
    return [line for line in body.splitlines()[1:] if line.strip()]


async def test_each_item_lands_in_the_section_of_its_state(tracker: Tracker) -> None:
    project = await create_item(tracker, "Invoices", item_type="project")
    await create_item(tracker, "Plan", item_type="session", parent=project)
    free = await create_item(tracker, "Free task", parent=project)
    waiting = await create_item(tracker, "Waiting task", parent=project)
    after_done = await create_item(tracker, "After a done one", parent=project)
    done = await create_item(tracker, "Done task", parent=project, status="completed")
    stuck = await create_item(tracker, "Stuck", parent=project, status="blocked")
    await tracker.dependencies.add(waiting.id, free.id, DependencyType.DEPENDS_ON, ACTOR)
    await tracker.dependencies.add(done.id, after_done.id, DependencyType.BLOCKS, ACTOR)

    text = await tracker.reports.render()

    # Containers (projects, sessions) are not work to pick up; a completed blocker blocks nothing.
    assert sorted(section(text, "Ready (2)")) == [
        f"- **After a done one** `{after_done.id[:8]}` (task, priority 3)",
        f"- **Free task** `{free.id[:8]}` (task, priority 3)",
    ]
    assert sorted(section(text, "Blocked (2)")) == [
        f"- **Stuck** `{stuck.id[:8]}` (task, priority 3): no reason given",
        f"- **Waiting task** `{waiting.id[:8]}` (task, priority 3): waits for **Free task** `{free.id[:8]}`",
    ]
    assert section(text, "Recently Completed") == [f"- **Done task** `{done.id[:8]}` (task)"]
    assert section(text, "In Progress (0)") == ["_Nothing in progress._"]
    # The hierarchy nests every live item under its parent, completed ones too.
    assert f"\n  - **Done task** (task) `{done.id[:8]}`: completed, priority 3, created " in text


async def test_long_sections_are_cut_and_say_how_many_more(tracker: Tracker) -> None:
    ready = LISTED_PER_STATUS + 3
    for n in range(ready):
        await create_item(tracker, f"ready {n:02d}")
    for n in range(RECENTLY_COMPLETED + 2):
        await create_item(tracker, f"done {n:02d}", status="completed")
    # Completed items: the newest change first (done 11 changed last).
    await pin_clock(
        tracker,
        {
            f"done {n:02d}": at("2025-09-01 00:00:00") + timedelta(hours=n)
            for n in range(RECENTLY_COMPLETED + 2)
        },
    )

    text = await tracker.reports.render()

    listed = section(text, f"Ready ({ready})")
    assert len(listed) == LISTED_PER_STATUS + 1
    assert listed[-1] == "- _and 3 more ready (all are in the hierarchy below)_"
    completed = section(text, "Recently Completed")
    assert [line.split("**")[1] for line in completed] == [
        f"done {n:02d}" for n in reversed(range(2, RECENTLY_COMPLETED + 2))
    ]


async def test_cut_sections_list_their_first_entries_in_order_ties_broken_by_title(tracker: Tracker) -> None:
    """Ready items beyond the listed ones, and completed items sharing the second at the cut:
    those shown are the first by the section's order, ties at the same second broken by title."""
    same_second = at("2025-09-01 00:00:00")
    ready = [f"ready {n:02d}" for n in range(LISTED_PER_STATUS + 4)]
    newer = [f"done new {n:02d}" for n in range(RECENTLY_COMPLETED - 2)]
    tied = ["done tie d", "done tie b", "done tie c", "done tie a"]  # created out of title order
    for title in [*reversed(ready), *newer, *tied]:
        await create_item(tracker, title, status="completed" if title.startswith("done") else "active")
    await pin_clock(
        tracker,
        {
            **{title: same_second for title in ready},
            **{title: same_second + timedelta(hours=1 + n) for n, title in enumerate(newer)},
            **{title: same_second for title in tied},
        },
    )

    text = await tracker.reports.render()

    listed = section(text, f"Ready ({len(ready)})")
    assert [line.split("**")[1] for line in listed[:-1]] == ready[:LISTED_PER_STATUS]
    completed = [line.split("**")[1] for line in section(text, "Recently Completed")]
    assert completed == [*reversed(newer), "done tie a", "done tie b"]

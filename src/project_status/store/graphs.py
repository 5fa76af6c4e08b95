"""Walking the dependency graphs (work items, enhancements) a level at a time."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable

Links = Callable[[list[uuid.UUID]], Awaitable[Iterable[tuple[uuid.UUID, uuid.UUID]]]]
"""(from, to) edges leaving any of the given nodes: one query per level of the walk."""


async def shortest_path(start: uuid.UUID, goal: uuid.UUID, links: Links) -> list[uuid.UUID] | None:
    """Nodes from `start` to `goal` along `links`, or None when `goal` is unreachable.

    Breadth-first, so it touches only the reachable part of the graph, and a path it finds is a
    shortest one (what a cycle error quotes)."""
    previous: dict[uuid.UUID, uuid.UUID | None] = {start: None}
    frontier = [start]
    while frontier:
        following: list[uuid.UUID] = []
        for source, target in await links(frontier):
            if target in previous:
                continue
            previous[target] = source
            if target == goal:
                path = [goal]
                while (step := previous[path[-1]]) is not None:
                    path.append(step)
                return list(reversed(path))
            following.append(target)
        frontier = following
    return None

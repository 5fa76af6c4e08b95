"""How work items look on a terminal: brief rows, one item, its detail, its audit events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text

from project_status.cli import output
from project_status.domain.events import EventRead
from project_status.domain.work_items import WorkItemBrief, WorkItemDetail, WorkItemRead


def brief_table(rows: Sequence[WorkItemBrief]) -> None:
    def cells(row: WorkItemBrief) -> tuple[Any, ...]:
        return row.item_type.value, output.status(row.status), str(row.priority), Text(row.title)

    output.id_table(rows, ("TYPE", "STATUS", "P", "TITLE"), cells, ("TYPE", "STATUS", "P"))


_NOT_SHOWN = {"path", "depth"}
"""Fields of an item left out of its text view (the tree and ancestors say where it sits)."""


def show_item(item: WorkItemRead) -> None:
    """The fields people read first, in their order, then any other field of the item's model
    (so a new field shows without a change here)."""
    rows: list[tuple[str, Any]] = [
        ("id", item.id),
        ("title", Text(item.title, style="bold")),
        ("type", item.item_type.value),
        ("status", output.status(item.status)),
        ("priority", item.priority),
        ("version", item.version),
        ("parent", item.parent_id),
        ("description", item.description),
        ("branch", item.branch_name),
        ("commit", item.commit_hash),
        ("pr", item.pr_number),
        ("metadata", item.metadata),
        ("deleted", Text(output.when(item.deleted_at), style="bold red") if item.deleted_at else None),
        ("created", f"{output.when(item.created_at)} by {item.created_by}"),
        ("updated", f"{output.when(item.updated_at)} by {item.updated_by}"),
    ]
    shown = {"id", "title", "item_type", "status", "priority", "version", "parent_id", "description"}
    shown |= {"branch_name", "commit_hash", "pr_number", "metadata", "deleted_at"}
    shown |= {"created_at", "created_by", "updated_at", "updated_by"}
    for name in WorkItemRead.model_fields:  # not a detail's lists: they have sections of their own
        if name not in shown | _NOT_SHOWN:
            rows.append((name.replace("_", " "), getattr(item, name)))
    output.record(rows)


def show_detail(detail: WorkItemDetail) -> None:
    show_item(detail)
    if detail.ancestors:
        output.heading("Ancestors (root first)")
        for ancestor in detail.ancestors:
            output.line(Text.assemble(f"  {ancestor.title}  ", (ancestor.id, "dim")))
    if detail.children:
        output.heading("Children")
        output.forest(detail.children)
        if detail.truncated:
            output.line(
                f"  {detail.descendants_total} items below in all; the whole tree: "
                f"project-status items tree {detail.id}"
            )
    if detail.dependencies:
        output.heading("Dependencies")
        for edge in detail.dependencies:
            kind = edge.dependency_type.value
            if edge.source_id == detail.id:
                output.line(f"  this item {kind} {edge.target_id}")
            else:
                output.line(f"  {edge.source_id} {kind} this item")


def print_item(item: WorkItemRead, json: bool, verb: str) -> None:
    """A changed item: its JSON, or a line saying what happened to it and the item."""
    output.changed(item, json, f"{verb} {item.item_type.value}", item.id, lambda: show_item(item))


def event_changes(event: EventRead) -> str:
    """`field: old -> new` per change; a creation lists only the values set."""
    parts = []
    for field, change in event.changes.items():
        if not isinstance(change, dict):
            parts.append(f"{field}: {output.compact(change)}")
        elif event.action == "created":
            parts.append(f"{field}={output.compact(change.get('new'))}")
        else:
            parts.append(
                f"{field}: {output.compact(change.get('old'))} -> {output.compact(change.get('new'))}"
            )
    return "; ".join(parts)


def events_table(events: Sequence[EventRead]) -> None:
    grid = output.table("WHEN", "ACTOR", "ACTION", "CHANGES", no_wrap=("WHEN", "ACTION"))
    for event in events:
        grid.add_row(
            output.when(event.occurred_at), Text(event.actor), event.action, Text(event_changes(event))
        )
    output.show(grid)

"""Readable output (tables, a tree, key/value records) and the --json shape.

Colour only when stdout is a terminal (rich decides; NO_COLOR is honoured). Data is never
parsed as rich markup, so a title like "[red]x" prints as written.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from pydantic import BaseModel
from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from project_status.cli.errors import PROG
from project_status.domain.pages import Page
from project_status.domain.work_items import WorkItemNode
from project_status.services.notices import DataSource

if TYPE_CHECKING:
    from rich.tree import Tree

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

SCHEMA_VERSION = 1
"""Bumped when a --json shape changes incompatibly."""

STYLES = {
    "active": "green",
    "blocked": "bold red",
    "completed": "dim",
    "operational": "green",
    "broken": "bold red",
    "planned": "cyan",
    "approved": "blue",
    "implementing": "yellow",
}


def console() -> Console:
    return Console(file=sys.stdout, markup=False, highlight=False, emoji=False)


def line(text: str | Text = "") -> None:
    """One line of stdout that is never wrapped (so ids and hints can be copied whole)."""
    console().print(text, soft_wrap=True)


def show(renderable: RenderableType) -> None:
    """Print a table or tree; into a pipe or file without the padding at line ends."""
    out = console()
    if out.is_terminal:
        out.print(renderable)
        return
    with out.capture() as captured:
        out.print(renderable)
    typer.echo("\n".join(text.rstrip() for text in captured.get().splitlines()))


def markdown(text: str) -> None:
    """Markdown rendered on a terminal (headings, lists, no `**` or hidden comments); the text
    itself into a pipe or file, byte for byte, so it can be saved or diffed."""
    out = console()
    if out.is_terminal:
        print_markdown(out, text)
    else:
        typer.echo(text, nl=False)


def print_markdown(out: Console, text: str) -> None:
    """The report as `status` shows it on a terminal (also how its captured example is made)."""
    from rich.markdown import Markdown  # Markdown and its parser cost start-up: only here

    out.print(Markdown(text, hyperlinks=False))


# --- JSON -----------------------------------------------------------------------------------------


_answered_from: list[DataSource] = []
"""The fallback layer the command's answer came from: `call` knows it, the --json document
printed after it says it (a module's state, as a CLI process runs one command)."""


def answered_from(source: DataSource | None) -> None:
    _answered_from.clear()
    if source is not None:
        _answered_from.append(source)


def emit_json(data: Mapping[str, Any]) -> None:
    """The document; an answer from a fallback layer adds `data_source` and `data_age_seconds`."""
    document = {"schema_version": SCHEMA_VERSION, **data}
    if _answered_from:
        document.update(_answered_from[-1].fields())
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False, default=str))


def model_json(model: BaseModel) -> None:
    emit_json(model.model_dump(mode="json"))


def list_json(
    items: Iterable[BaseModel], total: int | None = None, next_cursor: str | None = None, **extra: Any
) -> None:
    rows = [item.model_dump(mode="json") for item in items]
    emit_json(
        {"items": rows, "total": len(rows) if total is None else total, "next_cursor": next_cursor, **extra}
    )


def page_json(page: Page[Any]) -> None:
    list_json(page.items, page.total, page.next_cursor)


# --- cells ----------------------------------------------------------------------------------------


def when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else ""


SHORT_ID = 8
"""Tables and trees show ids this short (longer where two rows shown would look alike); any
unique prefix of 8+ characters is accepted wherever an id is, and --json has the full ids."""


def audit_rows(stored: Any) -> list[tuple[str, Any]]:
    """Who made a stored record and who changed it last, and when: every record view ends so."""
    return [
        ("created", f"{when(stored.created_at)} by {stored.created_by}"),
        ("updated", f"{when(stored.updated_at)} by {stored.updated_by}"),
    ]


def short_ids(ids: Iterable[str]) -> dict[str, str]:
    """Each id's shortest prefix of SHORT_ID+ characters that tells it apart from the others shown."""
    ordered = sorted(set(ids))

    def shared(a: str, b: str) -> int:
        return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))

    short: dict[str, str] = {}
    for i, item_id in enumerate(ordered):
        neighbours = ordered[max(i - 1, 0) : i] + ordered[i + 1 : i + 2]
        size = max([SHORT_ID, *(shared(item_id, other) + 1 for other in neighbours)])
        short[item_id] = item_id[:size]
    return short


def status(value: Any) -> Text:
    text = str(getattr(value, "value", value))
    return Text(text, style=STYLES.get(text, ""))


def compact(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": "))


def table(*headers: str, no_wrap: Sequence[str] = ()) -> Table:
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for header in headers:
        grid.add_column(header, no_wrap=header in no_wrap, overflow="fold")
    return grid


def record(rows: Iterable[tuple[str, Any]]) -> None:
    """Key/value lines of one object; empty values are left out."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for key, value in rows:
        if value is None or value == "" or value == [] or value == {}:
            continue
        grid.add_row(key, value if isinstance(value, Text) else Text(compact(value)))
    show(grid)


def heading(text: str) -> None:
    line()
    line(Text(text, style="bold"))


# --- pages ----------------------------------------------------------------------------------------


def next_page_command(ctx: typer.Context, cursor: str) -> str:
    """The command just run, as typed (options from the command line only), plus --cursor."""
    words = [PROG, *ctx.command_path.split()[1:]]
    for param in ctx.command.params:
        name = param.name
        if name is None or name == "cursor":
            continue
        source = ctx.get_parameter_source(name)
        if source is None or source.name != "COMMANDLINE":
            continue
        value = ctx.params.get(name)
        if param.param_type_name == "argument":
            words.append(str(getattr(value, "value", value)))
            continue
        opts: list[str] = list(getattr(param, "opts", []))
        if getattr(param, "is_flag", False):
            if value:
                words.append(opts[0])
            continue
        for one in value if isinstance(value, list | tuple) else [value]:
            words += [opts[0], str(getattr(one, "value", one))]
    words += ["--cursor", cursor]
    return shlex.join(words)


def shown(answer: M, as_json: bool, show: Callable[[M], None]) -> None:
    """An object read: its JSON, or what `show` draws of it."""
    if as_json:
        model_json(answer)
    else:
        show(answer)


def changed(answer: BaseModel, as_json: bool, what: str, key: str, show: Callable[[], None]) -> None:
    """A changed object: its JSON, or `Created vendor acme (version 1).` and the object."""
    if as_json:
        model_json(answer)
        return
    version = getattr(answer, "version", None)
    line(Text.assemble(f"{what} ", (key, "bold"), f" (version {version})."))
    show()


def id_table(
    rows: Sequence[Any], headers: Sequence[str], cells: Callable[[Any], Sequence[Any]], no_wrap: Sequence[str]
) -> None:
    """Rows with an id: the short id first (under ID), then `cells(row)` under `headers`."""
    grid = table("ID", *headers, no_wrap=("ID", *no_wrap))
    short = short_ids(row.id for row in rows)
    for row in rows:
        grid.add_row(short[row.id], *cells(row))
    show(grid)


def listing(
    ctx: typer.Context, page: Page[T], as_json: bool, noun: str, rows: Callable[[Sequence[T]], None]
) -> None:
    """A list command's answer: the page as JSON, or its rows (drawn by `rows`) and the footer."""
    if as_json:
        page_json(page)
        return
    if page.items:
        rows(page.items)
    page_footer(ctx, page, noun)


def page_footer(ctx: typer.Context, page: Page[Any], noun: str) -> None:
    """The total and, when the list was cut, the exact command for the next page."""
    plural = noun if page.total == 1 else noun + "s"
    if page.total == 0:
        line(f"No {plural}.")
    elif page.next_cursor:
        line(f"{len(page.items)} shown of {page.total} {plural}. Next page:")
        line(f"  {next_page_command(ctx, page.next_cursor)}")
    elif not page.items:
        line(f"No more {plural} after this cursor ({page.total} in all).")
    elif len(page.items) == page.total:
        line(f"{page.total} {plural}.")
    else:
        line(f"{len(page.items)} shown of {page.total} {plural} (the last page).")


# --- work item hierarchy -------------------------------------------------------------------------


def node_label(node: WorkItemNode, short: dict[str, str]) -> Text:
    return Text.assemble(
        (node.title, "bold" if node.depth == 0 else ""),
        "  ",
        (f"{node.item_type.value}", "cyan"),
        " · ",
        status(node.status),
        f" · P{node.priority}  ",
        (short[node.id], "dim"),
    )


def _walk(nodes: Iterable[WorkItemNode]) -> Iterable[WorkItemNode]:
    for node in nodes:
        yield node
        yield from _walk(node.children)


def _grow(tree: Tree, nodes: Iterable[WorkItemNode], short: dict[str, str]) -> None:
    for node in nodes:
        _grow(tree.add(node_label(node, short)), node.children, short)


def forest(roots: Sequence[WorkItemNode]) -> None:
    from rich.tree import Tree  # trees only: not on every command's path (issue 13)

    tree = Tree("work items", hide_root=True, guide_style="dim")
    _grow(tree, roots, short_ids(node.id for node in _walk(roots)))
    show(tree)


def node_json(node: WorkItemNode) -> dict[str, Any]:
    return {
        "id": node.id,
        "item_type": node.item_type.value,
        "title": node.title,
        "status": node.status.value,
        "priority": node.priority,
        "depth": node.depth,
        "children": [node_json(child) for child in node.children],
    }

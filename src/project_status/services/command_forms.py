"""How a service write is spelled as the registry command that makes it.

A routed write (`routing.writes`) declares its form: the router runs that command on the primary,
repeats it on the mirror and journals it, and the journal's replay runs it again; all four see
the same command and input. The input is built from the method's arguments as JSON
(`fallback.arguments.dump`: fields a caller left unset stay unset, so an update's null clears).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

Translate = Callable[[Mapping[str, Any]], dict[str, Any]]


class CommandForm(NamedTuple):
    """A write as a command: the command's name and how the method's bound JSON arguments
    become the command's input (keys the command does not take are dropped)."""

    command: str
    translate: Translate


def _data(bound: Mapping[str, Any]) -> dict[str, Any]:
    return dict(bound["data"])


def _edge(bound: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "source_id": bound["source"],
        "target_id": bound["target"],
        "dependency_type": bound["dependency_type"],
    }


def created(command: str) -> CommandForm:
    """A create: its `data` model's fields are the command's."""
    return CommandForm(command, _data)


def edge(command: str) -> CommandForm:
    """A dependency edge's `source`, `target` and type."""
    return CommandForm(command, _edge)


def updated(command: str, ident: str | None, argument: str = "id") -> CommandForm:
    """An update: the entity its `ident` parameter names (the command's `argument`), the version
    read and the changes sent."""

    def translate(bound: Mapping[str, Any]) -> dict[str, Any]:
        key = {argument: bound[ident]} if ident is not None else {}
        return {**key, "version": bound["version"], **dict(bound["changes"])}

    return CommandForm(command, translate)


def renamed(command: str, **names: str) -> CommandForm:
    """A call whose arguments are the command's, some under another name (`item` for `id`)."""

    def translate(bound: Mapping[str, Any]) -> dict[str, Any]:
        return {names.get(key, key): value for key, value in bound.items()}

    return CommandForm(command, translate)

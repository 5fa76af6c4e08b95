"""Subcommands loaded on first use: one command imports its own module and what it calls, no more.

Every command module pulls in the services, the database layer and the models behind it, and
importing all of them cost most of a second before any command ran. The root group knows each
subcommand by the place it is defined and by the first paragraph of its help; `--help` lists them
from that summary alone, and `--version` needs none of them. A test renders the root help both
ways and checks that the summaries match the commands' own help texts.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import typer
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:  # Typer's own Click, named for the checker only (not a public module)
    from typer._click import Command, Context, HelpFormatter


@dataclass(frozen=True)
class Lazy:
    """Where a subcommand is defined (`module:attribute`: a Typer app, or a command function) and
    the first paragraph of its help, for the root's list of commands."""

    target: str
    summary: str

    def load(self, name: str) -> Command:
        module, _, attribute = self.target.partition(":")
        found = getattr(importlib.import_module(module), attribute)
        if isinstance(found, typer.Typer):
            command: Command = typer.main.get_group(found)
        else:
            single = typer.Typer(add_completion=False)
            single.command(name)(found)
            command = typer.main.get_command(single)
        command.name = name
        return command


class Placeholder(TyperCommand):
    """A subcommand not imported yet: its name and summary, enough to list it or suggest it."""


class LazyGroup(TyperGroup):
    """A Typer group whose subcommands are listed in `table` and imported when first resolved."""

    table: ClassVar[Mapping[str, Lazy]] = {}

    def __init__(self, **attributes: Any) -> None:
        super().__init__(**attributes)
        for name, lazy in self.table.items():
            self.commands.setdefault(name, Placeholder(name, help=lazy.summary))
        self._describing = False

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        found = super().get_command(ctx, cmd_name)
        if not isinstance(found, Placeholder) or self._describing:
            return found  # while the help is written, only its line in the list of commands is needed
        loaded = self.table[cmd_name].load(cmd_name)
        self.commands[cmd_name] = loaded
        return loaded

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        self._describing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._describing = False

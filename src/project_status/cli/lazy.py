"""Subcommands loaded on first use: one command imports its own module and what it calls, no more.

Every command module pulls in the services, the database layer and the models behind it, and
importing all of them cost most of a second before any command ran. The root group knows each
subcommand by the place it is defined and by the first paragraph of its help; `--help` lists them
from that summary alone, and `--version` needs none of them. A test renders the root help both
ways and checks that the summaries match the commands' own help texts.
"""

from __future__ import annotations

import copy
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

    def load(self, name: str, only: str | None = None) -> Command:
        """The subcommand `name`; of a group, with its subcommand `only` alone when it has one of
        that name (Typer builds every subcommand's parameters, a quarter of a data command's time
        once its modules are imported: one is enough to run it)."""
        module, _, attribute = self.target.partition(":")
        found = getattr(importlib.import_module(module), attribute)
        if isinstance(found, typer.Typer):
            command: Command = typer.main.get_group(_alone(found, only))
        else:
            single = typer.Typer(add_completion=False)
            single.command(name)(found)
            command = typer.main.get_command(single)
        command.name = name
        return command


def _alone(group: typer.Typer, only: str | None) -> typer.Typer:
    """`group` with its subcommand `only` alone, if it has one of that name; else all of it (a help,
    a typo to suggest a name for, an option first)."""
    if only is None or group.registered_groups:
        return group
    chosen = [
        info
        for info in group.registered_commands
        if info.callback is not None
        and (info.name or typer.main.get_command_name(info.callback.__name__)) == only
    ]
    if len(chosen) != 1:
        return group
    alone = copy.copy(group)
    alone.registered_commands = chosen
    return alone


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
        self._next: str | None = None

    def resolve_command(self, ctx: Context, args: list[str]) -> tuple[str | None, Command | None, list[str]]:
        """As Typer resolves it, knowing the word after the subcommand's name: the sub-subcommand
        a group is run for, if it is one (see `Lazy.load`)."""
        self._next = args[1] if len(args) > 1 else None
        try:
            return super().resolve_command(ctx, args)
        finally:
            self._next = None

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        found = super().get_command(ctx, cmd_name)
        if not isinstance(found, Placeholder) or self._describing:
            return found  # while the help is written, only its line in the list of commands is needed
        if self._next is not None:  # to run one subcommand of it: not kept for another lookup
            return self.table[cmd_name].load(cmd_name, only=self._next)
        loaded = self.table[cmd_name].load(cmd_name)
        self.commands[cmd_name] = loaded
        return loaded

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        self._describing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._describing = False

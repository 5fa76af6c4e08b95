"""The Markdown command reference, generated from the commands' own help texts.

`scripts/gen_cli_reference.py` writes it into README.md between the markers below; a test
regenerates it and fails when the README is stale. Rendering reads the command tree typer
builds, not the terminal help, so the result does not depend on the terminal's width.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import typer
from typer.main import get_command

from project_status.cli.errors import PROG

START = "<!-- cli-reference:start -->"
END = "<!-- cli-reference:end -->"
NOTE = "<!-- Generated from the --help texts by scripts/gen_cli_reference.py; do not edit by hand. -->"
COMMON = ("json", "actor", "actor_name", "version", "database_url")
"""Options many commands share: described once, named in each command that takes them."""


@dataclass(frozen=True)
class Entry:
    """One command or group of the tree: its words after `project-status`, its object and context."""

    words: tuple[str, ...]
    command: Any
    context: typer.Context

    @property
    def path(self) -> str:
        return " ".join((PROG, *self.words))

    @property
    def is_group(self) -> bool:
        return hasattr(self.command, "list_commands")


def commands(app: typer.Typer) -> Iterator[Entry]:
    """Every group and command, parents first, in the order `--help` lists them."""
    root = get_command(app)
    yield from _walk(Entry((), root, typer.Context(root, info_name=PROG)))


def _walk(entry: Entry) -> Iterator[Entry]:
    yield entry
    if not entry.is_group:
        return
    for name in entry.command.list_commands(entry.context):
        child = entry.command.get_command(entry.context, name)
        if child is None or getattr(child, "hidden", False):
            continue
        context = typer.Context(child, info_name=name, parent=entry.context)
        yield from _walk(Entry((*entry.words, name), child, context))


def help_text(command: Any) -> str:
    return inspect.cleandoc(command.help or "").partition("\f")[0].strip()


def paragraphs(command: Any) -> list[str]:
    return [part.strip("\n") for part in re.split(r"\n\s*\n", help_text(command)) if part.strip()]


def examples(command: Any) -> list[str]:
    """The example command lines of a help text (continuation lines joined)."""
    found: list[str] = []
    for part in paragraphs(command):
        lines = part.splitlines()
        if lines[0].strip() != "Examples:":
            continue
        for raw in lines[1:]:
            text = raw.strip()
            if found and found[-1].endswith("\\"):
                found[-1] = found[-1][:-1].rstrip() + " " + text
            else:
                found.append(text)
    return found


def _escape(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _value(value: Any) -> str:
    return str(value.value if isinstance(value, Enum) else value)


def _metavar(param: Any) -> str:
    if param.metavar:
        return str(param.metavar)
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", str)
    if _choices(param):
        return "CHOICE"
    return {int: "INTEGER", float: "NUMBER", Path: "PATH"}.get(annotation, "TEXT")


def _choices(param: Any) -> list[str]:
    choices = getattr(getattr(param, "type_descriptor", None), "choices", None) or ()
    return [_value(choice) for choice in choices]


def parameters(command: Any) -> list[Any]:
    return [p for p in command.params if p.name != "help" and not getattr(p, "hidden", False)]


def _parameter(param: Any) -> str:
    if param.param_type_name == "argument":
        name = f"`{_metavar(param)}`"
    elif getattr(param, "is_flag", False):
        name = f"`{param.opts[0]}`"
    else:
        name = f"`{param.opts[0]} {_metavar(param)}`"
    notes = []
    if param.required:
        notes.append("required")
    if param.multiple:
        notes.append("repeatable")
    head = f"- {name}" + (f" ({', '.join(notes)})" if notes else "")
    text = _escape(" ".join((param.help or "").split()))
    choices = _choices(param)
    if choices:
        text += f" One of: {', '.join(f'`{c}`' for c in choices)}."
    default = param.default
    if not param.required and default not in (None, False, [], ()) and not getattr(param, "is_flag", False):
        text += f" Default: `{_value(default)}`."
    return f"{head}: {text}".rstrip()


def _usage(entry: Entry) -> str:
    if entry.is_group:
        return f"{entry.path} [OPTIONS] COMMAND [ARGS]..."
    arguments = [p for p in parameters(entry.command) if p.param_type_name == "argument"]
    words = [entry.path, "[OPTIONS]"]
    for argument in arguments:
        words.append(_metavar(argument) if argument.required else f"[{_metavar(argument)}]")
    return " ".join(words)


def _section(entry: Entry) -> list[str]:
    depth = 3 if len(entry.words) <= 1 else 4
    out = [f"{'#' * depth} `{entry.path}`", ""]
    for part in paragraphs(entry.command):
        lines = part.splitlines()
        if lines[0].strip() == "Examples:":
            out += ["```sh", *(inspect.cleandoc("\n".join(lines[1:])).splitlines()), "```", ""]
        else:
            out += [_escape(" ".join(part.split())), ""]
    out += [f"Usage: `{_usage(entry)}`", ""]
    params = [param for param in parameters(entry.command) if param.name not in COMMON]
    if params:
        out += [_parameter(param) for param in params]
        out.append("")
    common = [param for param in parameters(entry.command) if param.name in COMMON]
    if common:
        out += [f"Common options: {', '.join(f'`{param.opts[0]}`' for param in common)}.", ""]
    if entry.is_group:
        names = [f"`{' '.join(child.words[-1:])}`" for child in _children(entry)]
        out += [f"Commands: {', '.join(names)}.", ""]
    return out


def _children(entry: Entry) -> list[Entry]:
    return [child for child in _walk(entry) if len(child.words) == len(entry.words) + 1]


def _common(entries: list[Entry]) -> list[str]:
    """The shared options, each with the help text of its first use."""
    seen: dict[str, Any] = {}
    for entry in entries:
        for param in parameters(entry.command):
            if param.name in COMMON and param.name not in seen:
                seen[param.name] = param
    lines = list(dict.fromkeys(_parameter(seen[name]) for name in COMMON if name in seen))
    return ["Common options, taken by the commands that name them:", "", *lines, ""]


def render(app: typer.Typer) -> str:
    """The whole reference (between, not including, the markers)."""
    entries = list(commands(app))
    out = [NOTE, ""]
    for entry in entries:
        out += _section(entry)
        if not entry.words:
            out += _common(entries)
    return "\n".join(out).rstrip("\n") + "\n"


def splice(readme: str, reference: str) -> str:
    """`readme` with the text between the markers replaced by `reference`."""
    if START not in readme or END not in readme:
        raise ValueError(f"README.md lacks the markers {START} and {END}")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{reference}{END}{tail}"

"""A CLI command's options built from its registry command's input model.

Each field of the model becomes an option (or a positional argument) with its type, its
choices (a `Literal`), its default, whether it is required, and help from the CLI's wording,
else the field's description. A command adds only what the model does not say: its own
wording of a help text, which fields are positional, optional or left out. The decorated function
gets the options the user gave as `given` (a field name to its value; what was not given is
absent) and hands them to `calls.run_command`, so the CLI and the MCP tool check and act alike.

    @app.command("create")
    @options("create_work_item", item_type=Spelling(help="What kind of item."))
    def create(ctx: typer.Context, given: Given, json: Json = False, ...) -> None:
        item = run_command(ctx, database_url, "create_work_item", given)
"""

from __future__ import annotations

import enum
import functools
import inspect
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar, Union

import typer
from pydantic.fields import FieldInfo

from project_status.cli.params import ACTOR_HELP, VERSION_HELP, iso_time, json_object
from project_status.cli.spelling import ARGUMENT, HELP, OPTION
from project_status.services.commands import COMMANDS
from project_status.services.commands.registry import NOT_NULL

F = TypeVar("F", bound=Callable[..., Any])
Given = dict[str, Any]
"""The options the user gave, by field name; what was not given is absent."""

CLEAR = "clear"
_SHARED_HELP = {"actor": ACTOR_HELP, "version": VERSION_HELP}


@dataclass(frozen=True)
class Spelling:
    """How one command words a field where the CLI-wide wording (cli/spelling.py) does not fit.

    The option's name is the CLI-wide one, so that an error names the option the user typed."""

    help: str | None = None
    argument: bool | None = None
    """True: a positional argument (its metavar from cli/spelling.py, else the name upper-cased)."""
    required: bool | None = None
    """False: optional on the command line although the model requires it (the command fills it)."""


@dataclass(frozen=True)
class _Field:
    name: str
    info: FieldInfo
    spelling: Spelling

    @property
    def kind(self) -> Any:
        """The field's type without None, constraints and validators (`int` for `Integer`)."""
        return _bare(self.info.annotation)

    @property
    def option(self) -> str:
        return OPTION.get(self.name) or "--" + self.name.replace("_", "-")

    @property
    def required(self) -> bool:
        if self.spelling.required is not None:
            return self.spelling.required
        # The CLI reads the current version when none is given (calls.run_command).
        return self.info.is_required() and self.name != "version"

    @property
    def clear_value(self) -> tuple[bool, Any]:
        """Whether `--clear` may empty this field of an update, and the value that empties it."""
        if typing.get_origin(self.kind) is list:
            return True, []
        nullable = type(None) in typing.get_args(self.info.annotation)
        merged = self.kind is dict or typing.get_origin(self.kind) is dict
        return nullable and NOT_NULL not in self.info.metadata and not merged, None

    def help(self) -> str:
        words = (
            self.spelling.help or HELP.get(self.name) or _SHARED_HELP.get(self.name) or self.info.description
        )
        return words or self.name.replace("_", " ").capitalize() + "."

    def parameter(self) -> inspect.Parameter:
        default = self.info.get_default() if not self.info.is_required() else None
        shown = default not in (None, False) and not self.required
        if self.spelling.argument:
            info: Any = typer.Argument(
                metavar=ARGUMENT.get(self.name, self.name.upper()), help=self.help(), show_default=shown
            )
        else:
            info = typer.Option(
                *self._declarations(default), help=self.help(), show_default=shown, **self._parser()
            )
        annotation = Annotated[self._cli_type(), info]  # type: ignore[valid-type]
        return inspect.Parameter(
            self.name,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=annotation,
            default=inspect.Parameter.empty if self.required else default,
        )

    def _declarations(self, default: Any) -> tuple[str, ...]:
        if self.kind is bool and default is True:
            return (f"{self.option}/--no-{self.option[2:]}",)
        return (self.option,)

    def _parser(self) -> dict[str, Any]:
        option = self.option
        if self.kind is dict or typing.get_origin(self.kind) is dict:
            return {"parser": lambda text: json_object(text, option), "metavar": "JSON"}
        if self.kind is datetime:
            return {"parser": lambda text: iso_time(text, option), "metavar": "TIME"}
        return {}

    def _cli_type(self) -> Any:
        kind = self.kind
        if kind is dict or typing.get_origin(kind) is dict or kind is datetime:
            kind = str  # parsed by the option's parser
        elif typing.get_origin(kind) is list:
            kind = list[_repeatable(typing.get_args(kind)[0], self.name)]  # type: ignore[misc]
        return kind if self.required else kind | None


def _bare(annotation: Any) -> Any:
    """`int` for `Annotated[int, ...] | None`: the type a command line value is converted to."""
    while True:
        if typing.get_origin(annotation) is Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if typing.get_origin(annotation) in (Union, types.UnionType):
            rest = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(rest) == 1:
                annotation = rest[0]
                continue
        if typing.get_origin(annotation) is list:
            return list[_bare(typing.get_args(annotation)[0])]  # type: ignore[misc]
        return annotation


def options(
    command: str,
    *,
    skip: Iterable[str] = (),
    only: Iterable[str] | None = None,
    clear: bool = False,
    **spellings: Spelling,
) -> Callable[[F], F]:
    """Give the decorated CLI command an option per field of `command`'s input model (but those in
    `skip`, or only those in `only`), spelled as `spellings` say where they differ, and with
    `clear`, a `--clear FIELD` option for the fields an update may empty. The function takes
    `given: Given` for them."""
    found = COMMANDS.get(command)
    if found is None:
        raise ValueError(f"no command {command!r}")
    model = found.arguments
    unknown = set(spellings) - set(model.model_fields)
    if unknown:
        raise ValueError(f"{command} has no field {', '.join(sorted(unknown))}")
    left_out = set(skip)
    only = None if only is None else set(only)
    fields = [
        _Field(name, info, _default_spelling(name, spellings.get(name)))
        for name, info in model.model_fields.items()
        if name not in left_out and (only is None or name in only)
    ]
    fields.sort(key=lambda field: not field.spelling.argument)  # positional ones first, in order
    clears = {field.option[2:]: field for field in fields if clear and field.clear_value[0]}

    def decorate(function: F) -> F:
        signature = inspect.signature(function, eval_str=True)
        own = [param for param in signature.parameters.values() if param.name != "given"]
        generated = [field.parameter() for field in fields]
        if clears:
            generated.append(_clear_parameter(list(clears)))
        context, rest = own[:1], [param.replace(kind=inspect.Parameter.KEYWORD_ONLY) for param in own[1:]]

        @functools.wraps(function)
        def wrapper(**values: Any) -> Any:
            given = _given(fields, values)
            for chosen in values.pop(CLEAR, None) or []:
                choice = chosen.value
                field = clears[choice]
                if field.name in given:
                    raise typer.BadParameter(
                        f"{choice} is both set and cleared; choose one", param_hint="'--clear'"
                    )
                given[field.name] = field.clear_value[1]
            return function(given=given, **values)

        parameters = [param.replace(kind=inspect.Parameter.KEYWORD_ONLY) for param in context]
        wrapper.__signature__ = signature.replace(parameters=[*parameters, *generated, *rest])  # type: ignore[attr-defined]
        wrapper.__annotations__ = {}
        del wrapper.__wrapped__
        return typing.cast(F, wrapper)

    return decorate


def _default_spelling(name: str, spelling: Spelling | None) -> Spelling:
    if spelling is None:
        spelling = Spelling()
    if spelling.argument is None and name in ARGUMENT:
        return Spelling(spelling.help, True, spelling.required)
    return spelling


def _repeatable(kind: Any, name: str) -> Any:
    """A repeatable option's item type: typer takes choices there as an enum, not a `Literal`."""
    if typing.get_origin(kind) is Literal:
        return enum.StrEnum(name, {str(value): str(value) for value in typing.get_args(kind)})
    return kind


def _given(fields: list[_Field], values: dict[str, Any]) -> Given:
    """The fields given: None, an empty repeatable option and an unset flag were not."""
    given: Given = {}
    for field in fields:
        value = values.pop(field.name)
        if value is None or value in ([], ()) or (field.kind is bool and value == field.info.get_default()):
            continue
        if isinstance(value, list | tuple):
            value = [item.value if isinstance(item, enum.Enum) else item for item in value]
        given[field.name] = value
    return given


def _clear_parameter(choices: list[str]) -> inspect.Parameter:
    option = typer.Option("--clear", help="Empty this field (repeatable).", show_default=False)
    return inspect.Parameter(
        CLEAR,
        inspect.Parameter.KEYWORD_ONLY,
        annotation=Annotated[list[_repeatable(Literal[tuple(choices)], CLEAR)] | None, option],  # type: ignore[misc]
        default=None,
    )

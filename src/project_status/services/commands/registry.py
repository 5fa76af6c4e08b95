"""What a command is: a name, an input model, a handler, hints about its effect and a description."""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import typing
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import pydantic
from pydantic import BaseModel, ConfigDict, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

if TYPE_CHECKING:
    from project_status.services.tracker import Tracker

A = TypeVar("A", bound="Arguments")
R = TypeVar("R", bound=BaseModel)
M = TypeVar("M", bound=BaseModel)

LIST_BUDGET = 64 * 1024
"""Bytes of brief rows per list answer: a page of ordinary rows holds all the `limit` asked for
(up to 200), one of unusually long rows is cut short and says so (`budget_truncated`)."""


def page_of(args: Any) -> dict[str, Any]:
    """The page a list command asks its service for: the caller's limit and cursor, within the
    answer's size budget (every list command has both fields)."""
    return {"limit": args.limit, "cursor": args.cursor, "max_bytes": LIST_BUDGET}


@dataclass(frozen=True)
class Hints:
    """What running a command does to the data, as MCP's tool annotations say it.

    A read-only command sets no other hint: per the MCP spec the others mean nothing for it.
    """

    read_only: bool
    destructive: bool | None = None
    idempotent: bool | None = None


READ = Hints(read_only=True)
CREATE = Hints(read_only=False, destructive=False, idempotent=False)
"""Adds something new (nothing is lost); a second call adds it again or is refused."""
UPDATE = Hints(read_only=False, destructive=True, idempotent=True)
REMOVE = Hints(read_only=False, destructive=True, idempotent=False)


class _NullNotAdvertised:
    """Advertise an optional argument without its null: null is refused there ("cannot be null")
    or means the same as leaving it out, so the schema names one type, the one to send."""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        branches = schema.get("anyOf")
        if isinstance(branches, list):
            rest = [branch for branch in branches if branch != {"type": "null"}]
            if len(rest) == 1:
                return {**rest[0], **{key: value for key, value in schema.items() if key != "anyOf"}}
        return schema


NOT_NULL = _NullNotAdvertised()
"""`Annotated[str | None, NOT_NULL]`: an argument that may be left out but not sent as null."""


_NOT_TEXT = frozenset({"object", "array", "integer", "number", "boolean"})


@functools.cache
def _text_fields(model: type[BaseModel]) -> frozenset[str]:
    """The fields whose only JSON type is a string (null aside)."""
    names: set[str] = set()
    for name, prop in model.model_json_schema().get("properties", {}).items():
        kinds = {prop.get("type")} | {branch.get("type") for branch in prop.get("anyOf", [])}
        if "string" in kinds and not kinds & _NOT_TEXT:
            names.add(name)
    return frozenset(names)


class Arguments(BaseModel):
    """A command's input. Which fields the caller sent is `model_fields_set`: an update tells a
    field left out (unchanged) from one sent as null (cleared) by it.

    Each input's validator is built when the command is first parsed or listed, not when its module
    is imported: a CLI command imports a module of a dozen commands to run one (issue 13), and
    `with_fields_of` builds a second model on top of the one it extends."""

    model_config = ConfigDict(defer_build=True)

    def to(self, model: type[M], **values: Any) -> M:
        """`model` built from this input's fields that `model` has (a create), `values` overriding."""
        fields = model.model_fields
        return model(
            **{name: getattr(self, name) for name in type(self).model_fields if name in fields} | values
        )

    def sent(self, model: type[M]) -> M:
        """`model` built from the fields the caller sent that `model` has (a partial update)."""
        fields = model.model_fields
        return model(**{name: getattr(self, name) for name in self.model_fields_set if name in fields})

    def explicit_actor(self) -> str | None:
        # Only where the model has the field: a missing attribute goes through pydantic's
        # __getattr__, which builds an AttributeError (microseconds on every tool call).
        if "actor" not in type(self).model_fields:
            return None
        value = getattr(self, "actor", None)
        return value if isinstance(value, str) else None


def with_fields_of(contract: type[BaseModel]) -> Callable[[type[A]], type[A]]:
    """Give the decorated input model every field of the domain `contract` it does not declare,
    as the contract declares it (after its own fields): a field added to the contract is an
    argument of the command without a change here. The model declares a field itself where its
    argument is spelt more loosely than the contract (the contract checks it in the handler)."""

    def extend(arguments: type[A]) -> type[A]:
        extra: dict[str, Any] = {
            name: (info.annotation, info)
            for name, info in contract.model_fields.items()
            if name not in arguments.model_fields
        }
        if not extra:
            return arguments
        return pydantic.create_model(
            arguments.__name__, __base__=arguments, __module__=arguments.__module__, **extra
        )

    return extend


class Call(typing.Protocol):
    """Who runs a command and on what: the acting actor and the tracker, made ready on demand
    (a handler checks its input first, so bad input is reported even while the database is down)."""

    @property
    def actor(self) -> str: ...

    async def tracker(self) -> Tracker: ...


@dataclass(frozen=True)
class CallOn:
    """A `Call` on a given tracker as a given actor (a journaled command replayed as its author)."""

    actor: str
    on: Tracker

    async def tracker(self) -> Tracker:
        return self.on


@dataclass(frozen=True)
class Command(Generic[A, R]):
    name: str
    description: str
    hints: Hints
    arguments: type[A]
    answer: type[R]
    handler: Callable[[A, Call], Awaitable[R]]
    listed: bool = True
    """False for an older name kept callable (clients and journals that use it) but not listed."""
    new_row: bool = False
    """It adds a row whose id is made from the operation: on a journal's replay, that row already
    there means this very command reached the database once before (its answer was lost)."""

    def parse(self, raw: Mapping[str, Any]) -> A:
        """Validate a caller's arguments (raises pydantic's ValidationError).

        Some clients send object and array arguments as JSON text: a string given for a field
        that is not text is parsed first when it holds JSON other than a scalar. A text field keeps
        its string as sent (a title "null" is that title, not a null that clears it).
        """
        text = _text_fields(self.arguments)
        data = dict(raw)
        for key, value in raw.items():
            if key not in self.arguments.model_fields or key in text or not isinstance(value, str):
                continue
            try:
                parsed = json.loads(value)
            except (ValueError, RecursionError):
                continue
            if not isinstance(parsed, str | int | float):
                data[key] = parsed
        return self.arguments.model_validate(data)

    async def run(self, arguments: A, call: Call) -> R:
        return await self.handler(arguments, call)


class Registry:
    """The commands by name, listed in the order of `modules` and, within one, of registration
    (the order tools are listed in).

    A module's commands are registered when it is imported. Iterating, or asking for a name not
    registered yet, imports every module first; a caller that needs a few commands imports their
    modules itself (the CLI: a command imports nothing it does not run, issue 13).
    """

    def __init__(self, package: str, modules: tuple[str, ...]) -> None:
        self._package = package
        self._modules = modules
        self._commands: dict[str, Command[Any, Any]] = {}
        self._every: list[Command[Any, Any]] | None = None

    def command(
        self, name: str, hints: Hints, *, listed: bool = True, new_row: bool = False
    ) -> Callable[[Callable[[A, Call], Awaitable[R]]], Callable[[A, Call], Awaitable[R]]]:
        """Register the decorated handler: its first parameter's type is the input model, its
        return type the answer model, its docstring the description (lines joined by a space)."""

        def register(handler: Callable[[A, Call], Awaitable[R]]) -> Callable[[A, Call], Awaitable[R]]:
            if name in self._commands:
                raise ValueError(f"command {name!r} is registered twice")
            if not handler.__doc__:
                raise ValueError(f"command {name!r} needs a docstring: it is the tool's description")
            if handler.__module__.rpartition(".")[2] not in self._modules:
                raise ValueError(f"command {name!r}: {handler.__module__} is not in the registry's modules")
            hints_of = typing.get_type_hints(handler)
            first = next(iter(hints_of))
            self._commands[name] = Command(
                name=name,
                description=" ".join(inspect.cleandoc(handler.__doc__).split("\n")),
                hints=hints,
                arguments=hints_of[first],
                answer=hints_of["return"],
                handler=handler,
                listed=listed,
                new_row=new_row,
            )
            self._every = None
            return handler

        return register

    def _every_command(self) -> list[Command[Any, Any]]:
        if self._every is None:
            for module in self._modules:
                importlib.import_module(f"{self._package}.{module}")
            order = {module: index for index, module in enumerate(self._modules)}
            self._every = [
                found
                for _, _, found in sorted(
                    (order[found.handler.__module__.rpartition(".")[2]], index, found)
                    for index, found in enumerate(self._commands.values())
                )
            ]
        return self._every

    def get(self, name: str) -> Command[Any, Any] | None:
        found = self._commands.get(name)
        if found is None and self._every is None:
            self._every_command()
            found = self._commands.get(name)
        return found

    def __iter__(self) -> Iterator[Command[Any, Any]]:
        return iter(self._every_command())

    def __len__(self) -> int:
        return len(self._every_command())


COMMANDS = Registry(
    "project_status.services.commands",
    # The order tools are listed in.
    ("work_items", "agents", "archive", "project", "report", "sync"),
)
command = COMMANDS.command

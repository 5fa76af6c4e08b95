"""A service method's arguments as JSON and back, for the journal: built from its signature."""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model


class _Arguments(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=False)


@functools.cache
def _model(fn: Callable[..., Any]) -> type[BaseModel]:
    hints = typing.get_type_hints(fn)
    fields: dict[str, Any] = {}
    for name, param in inspect.signature(fn).parameters.items():
        if name == "self":
            continue
        default = param.default if param.default is not inspect.Parameter.empty else ...
        fields[name] = (hints[name], default)
    return create_model(f"{fn.__qualname__.replace('.', '_')}_arguments", __base__=_Arguments, **fields)


def bind(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Every argument by name (the call as the method sees it)."""
    bound = inspect.signature(fn).bind(None, *args, **kwargs)
    return {name: value for name, value in bound.arguments.items() if name != "self"}


def dump(fn: Callable[..., Any], bound: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready arguments (`bind`'s answer); fields a caller left unset stay unset (an update's
    `null` clears)."""
    model = _model(fn).model_validate(bound)
    return model.model_dump(mode="json", exclude_unset=True)


def load(fn: Callable[..., Any], data: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for `fn` from `dump`'s output."""
    model = _model(fn).model_validate(data)
    return {name: getattr(model, name) for name in model.model_fields_set | set(data)}

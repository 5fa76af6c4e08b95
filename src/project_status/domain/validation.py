"""Turn Pydantic's errors into the tracker's field-level ValidationError."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

import pydantic

from project_status.domain.errors import ValidationError

T = TypeVar("T")

_MAX_VALUE_CHARS = 120
_LIMIT_KEYS = ("limit", "max_length", "le", "lt")


def _short(value: Any) -> Any:
    """Echo the offending value back, but never a wall of text."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and len(value) > _MAX_VALUE_CHARS:
        return value[:_MAX_VALUE_CHARS] + f"... ({len(value)} characters)"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"an integer of {value.bit_length()} bits"
    if isinstance(value, dict | list):
        try:
            text = repr(value)
        except (RecursionError, ValueError):  # nested too deep, or an integer too long to print
            return f"a {type(value).__name__} too deep or large to show"
        if len(text) > _MAX_VALUE_CHARS:
            return text[:_MAX_VALUE_CHARS] + "..."
    return value


def field_errors(exc: pydantic.ValidationError, prefix: str = "") -> list[dict[str, Any]]:
    """One entry per bad field: dotted field path, the broken constraint and the value given."""
    errors: list[dict[str, Any]] = []
    for err in exc.errors(include_url=False):
        loc = [str(part) for part in err["loc"] if not str(part).startswith("function-")]
        field = ".".join([prefix, *loc] if prefix else loc) or prefix or "input"
        message = err["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        entry = {"field": field, "message": message, "type": err["type"], "value": _short(err.get("input"))}
        context = err.get("ctx", {})
        for key in _LIMIT_KEYS:
            if key in context:
                entry["limit"] = context[key]  # a size or range limit, so a client can fit under it
                break
        errors.append(entry)
    return errors


def to_tracker_error(exc: pydantic.ValidationError, prefix: str = "") -> ValidationError:
    errors = field_errors(exc, prefix)
    summary = "; ".join(f"{e['field']}: {e['message']} (got {e['value']!r})" for e in errors[:5])
    if len(errors) > 5:
        summary += f"; and {len(errors) - 5} more"
    return ValidationError(f"Invalid input: {summary}", {"errors": errors})


_ADAPTERS: dict[Any, pydantic.TypeAdapter[Any]] = {}


def _adapter(model: Any) -> pydantic.TypeAdapter[Any]:
    """Building an adapter costs about half a millisecond; the types validated are few, and
    written in the code, so each is built once."""
    try:
        return _ADAPTERS[model]
    except KeyError:
        adapter = _ADAPTERS[model] = pydantic.TypeAdapter(model)
        return adapter
    except TypeError:  # an unhashable type: built each time
        return pydantic.TypeAdapter(model)


def validate(model: type[T], data: Any, prefix: str = "") -> T:
    """Validate `data` with a Pydantic model, raising the tracker's ValidationError."""
    adapter: pydantic.TypeAdapter[T] = _adapter(model)
    try:
        return adapter.validate_python(data)
    except pydantic.ValidationError as exc:
        raise to_tracker_error(exc, prefix) from None

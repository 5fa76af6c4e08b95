"""Audit change sets: {field: {old, new}} of JSON-ready values."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any


def json_value(value: Any) -> Any:
    """A JSON-ready copy of a column value, for audit events and cursors."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {old, new}} for the fields whose value changed."""
    changed: dict[str, dict[str, Any]] = {}
    for key, value in after.items():
        old = before.get(key)
        if old == value:  # equal values have equal JSON copies: most fields of a change are equal
            continue
        old, new = json_value(old), json_value(value)
        if old != new:
            changed[key] = {"old": old, "new": new}
    return changed


def created(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {old: None, new}} for a new row's set fields."""
    return {
        key: {"old": None, "new": json_value(value)} for key, value in values.items() if value is not None
    }

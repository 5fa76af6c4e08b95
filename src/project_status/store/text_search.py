"""The free-text filter of the lists: a case-insensitive substring of any of some columns."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, or_


def mentions(text: str, *columns: Any) -> ColumnElement[bool]:
    """Rows where `text` is in one of `columns`, whatever the case. A % or _ in the text is matched
    literally (autoescape), not as a LIKE wildcard."""
    needle = text.lower()
    return or_(*(func.lower(column).contains(needle, autoescape=True) for column in columns))

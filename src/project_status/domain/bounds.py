"""What a client may send: text, numbers, datetimes and JSON that both stores can hold.

SQLite stores almost anything; PostgreSQL refuses NUL bytes in text and JSONB, integers beyond
its column types and datetimes its driver cannot convert. Each check here runs before any store
is touched, so both backends give the same answer for the same input. Each is a plain function
raising `PydanticCustomError` (so an error carries its limit) and an annotated type built on it,
for the contracts in `domain/` and the interfaces' argument models alike.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any, LiteralString

from pydantic import AfterValidator, AwareDatetime, BeforeValidator
from pydantic_core import PydanticCustomError

KIB = 1024
MAX_DESCRIPTION_BYTES = 64 * KIB
"""A description or any other multi-line text a client writes."""
MAX_METADATA_BYTES = 64 * KIB
"""One metadata object, serialized as compact JSON."""
MAX_METADATA_DEPTH = 16
"""Nesting levels of objects and arrays inside one metadata object (the object itself is 1)."""
MAX_FILTER_BYTES = 1 * KIB
"""A free-text search or a name used as a filter, a cursor, a path."""
INT4_MIN, INT4_MAX = -(2**31), 2**31 - 1
"""An INTEGER column on PostgreSQL."""
INT8_MIN, INT8_MAX = -(2**63), 2**63 - 1
"""An integer inside metadata: what every JSON reader of the stored row can take exactly."""
MIN_DATETIME = datetime(1900, 1, 1, tzinfo=UTC)
MAX_DATETIME = datetime(9999, 1, 1, tzinfo=UTC)
"""Datetimes lie in [MIN_DATETIME, MAX_DATETIME) once in UTC: the conversion to UTC that both
stores make then never leaves the years Python can represent."""

_LOW, _HIGH = MIN_DATETIME.isoformat(), MAX_DATETIME.isoformat()
_INTEGER_TEXT = re.compile(r"^[+-]?[0-9]{1,20}$")
_TRUE, _FALSE = "true", "false"


_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f"
_SURROGATES = "\ud800-\udfff"
_NOT_IN_MULTI_LINE = re.compile(f"[{_CONTROL}{_SURROGATES}]")
"""Control characters other than \\n and \\t, and lone surrogates (which no store can encode)."""
_NOT_IN_ONE_LINE = re.compile(f"[{_CONTROL}{_SURROGATES}\t\n\u2028\u2029]")


def _bad_character(value: str, pattern: re.Pattern[str]) -> str | None:
    """The first character a field of this kind may not hold, described for the message (a
    compiled pattern, so a long text is scanned at C speed)."""
    found = pattern.search(value)
    if found is None:
        return None
    char = found.group()
    if char in "\n\r\u2028\u2029":
        what = "a line break"
    elif "\ud800" <= char <= "\udfff":
        what = "a lone surrogate (not valid Unicode)"
    else:
        what = "a control character"
    return f"{what} (U+{ord(char):04X}) at position {found.start()}"


def _check_characters(value: str, disallowed: re.Pattern[str], code: str, rule: LiteralString) -> str:
    """The value, or pydantic's error `code`: the rule broken and the first character breaking it."""
    found = _bad_character(value, disallowed)
    if found is not None:
        raise PydanticCustomError(code, rule + "; found {found}", {"found": found})
    return value


def check_one_line(value: str) -> str:
    """Titles, names, branches: one line each in the report, which its importer reads by line."""
    return _check_characters(
        value, _NOT_IN_ONE_LINE, "one_line", "must be a single line of text without control characters"
    )


def check_multi_line(value: str) -> str:
    """Descriptions and notes: line breaks (\\n) and tabs are fine, other control characters not."""
    return _check_characters(
        value,
        _NOT_IN_MULTI_LINE,
        "text_characters",
        "may hold line breaks (\\n) and tabs but no other control character",
    )


def utf8_size(limit: int) -> AfterValidator:
    """At most `limit` bytes once encoded as UTF-8 (what the stores and the wire carry)."""

    def check(value: str) -> str:
        if len(value) * 4 <= limit:  # no character takes more than 4 bytes: no need to encode
            return value
        size = len(value) if len(value) > limit else len(value.encode("utf-8", "surrogatepass"))
        if size > limit:
            raise PydanticCustomError(
                "too_large",
                "must be at most {limit} bytes as UTF-8; it has at least {size}",
                {"limit": limit, "size": size},
            )
        return value

    return AfterValidator(check)


def to_integer(value: Any) -> Any:
    """Integers, and strings holding one (some clients send every scalar as a string).

    `true` is not 1 and `2.0` is not 2: a boolean or a float where an integer belongs is a
    client's mistake, better reported than guessed at.
    """
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "must be an integer, not a boolean")
    if isinstance(value, float):
        raise PydanticCustomError("int_type", "must be an integer, not a decimal number (send 2, not 2.0)")
    if isinstance(value, str):
        text = value.strip()
        if not _INTEGER_TEXT.match(text):
            raise PydanticCustomError("int_parsing", "must be an integer (digits only)")
        return int(text)
    return value


def to_boolean(value: Any) -> Any:
    """true/false, and the strings "true"/"false" in any case; numbers and other words are refused."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in (_TRUE, _FALSE):
        return value.strip().lower() == _TRUE
    raise PydanticCustomError("bool_type", 'must be true or false (or the string "true" or "false")')


def int_range(low: int, high: int) -> AfterValidator:
    """Within a column's range; an AfterValidator so the published JSON schema stays as it was."""

    def check(value: int) -> int:
        if not low <= value <= high:
            raise PydanticCustomError(
                "int_range", "must be between {low} and {high}", {"low": low, "high": high, "limit": high}
            )
        return value

    return AfterValidator(check)


def check_datetime(value: datetime) -> datetime:
    """An aware datetime inside the years both stores (and their drivers) can convert to UTC."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    try:
        utc = aware.astimezone(UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not MIN_DATETIME <= utc < MAX_DATETIME:
        raise PydanticCustomError(
            "datetime_range",
            "must lie from {low} to before {high} (UTC)",
            {
                "low": MIN_DATETIME.isoformat(),
                "high": MAX_DATETIME.isoformat(),
                "limit": MAX_DATETIME.isoformat(),
            },
        )
    return value


def _too_deep() -> PydanticCustomError:
    return PydanticCustomError(
        "too_deep", "must be at most {limit} levels deep", {"limit": MAX_METADATA_DEPTH}
    )


def _check_json_value(value: Any, depth: int, where: str) -> None:
    if isinstance(value, dict):
        if depth > MAX_METADATA_DEPTH:
            raise _too_deep()
        for key, item in value.items():
            if not isinstance(key, str):
                raise PydanticCustomError("json_key", "keys must be strings; got {key!r}", {"key": key})
            _check_json_text(key, f"{where}.{key}" if where else key, key=True)
            _check_json_value(item, depth + 1, f"{where}.{key}" if where else key)
    elif isinstance(value, list):
        if depth > MAX_METADATA_DEPTH:
            raise _too_deep()
        for index, item in enumerate(value):
            _check_json_value(item, depth + 1, f"{where}[{index}]")
    elif isinstance(value, str):
        _check_json_text(value, where, key=False)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not INT8_MIN <= value <= INT8_MAX:
            raise PydanticCustomError(
                "int_range",
                "{where}: integers must be between {low} and {high}",
                {"where": where, "low": INT8_MIN, "high": INT8_MAX, "limit": INT8_MAX},
            )
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise PydanticCustomError("finite_number", "{where}: numbers must be finite", {"where": where})
    else:
        raise PydanticCustomError("json_type", "{where}: not a JSON value", {"where": where})


def _check_json_text(value: str, where: str, *, key: bool) -> None:
    found = _bad_character(value, _NOT_IN_MULTI_LINE)
    if found is not None:
        what = "key" if key else "text"
        raise PydanticCustomError(
            "text_characters",
            "{where}: {what} may hold line breaks (\\n) and tabs but no other control character; "
            "found {found}",
            {"where": where, "what": what, "found": found},
        )


def check_json_object(value: dict[str, Any]) -> dict[str, Any]:
    """Metadata: JSON both stores keep as given (PostgreSQL's JSONB refuses NUL in text, and
    non-finite numbers), small and shallow enough to read back whole."""
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    except RecursionError:
        raise _too_deep() from None
    except ValueError:  # an integer too long to print; the walk below names it
        text = ""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_METADATA_BYTES:
        raise PydanticCustomError(
            "too_large",
            "must be at most {limit} bytes as JSON, got {size}",
            {"limit": MAX_METADATA_BYTES, "size": size},
        )
    _check_json_value(value, 1, "")  # after the size: the walk is then over 64 KiB at most
    return value


OneLine = AfterValidator(check_one_line)
MultiLine = AfterValidator(check_multi_line)
Integer = Annotated[int, BeforeValidator(to_integer)]
"""An integer argument: digits in a string accepted, booleans and floats refused."""
Int4 = Annotated[Integer, int_range(INT4_MIN, INT4_MAX)]
"""An integer stored in an INTEGER column."""
Boolean = Annotated[bool, BeforeValidator(to_boolean)]
Description = Annotated[str, utf8_size(MAX_DESCRIPTION_BYTES), MultiLine]
FilterText = Annotated[str, utf8_size(MAX_FILTER_BYTES), OneLine]
"""Free text a list is filtered by (also names and cursors used as filters)."""
StoredDatetime = Annotated[AwareDatetime, AfterValidator(check_datetime)]
FilterDatetime = Annotated[datetime, AfterValidator(check_datetime)]
"""A datetime to compare with stored ones; a naive one is taken as UTC by the services."""
JsonObject = Annotated[dict[str, Any], AfterValidator(check_json_object)]
"""A metadata object as a client sends it, before its entity's schema is applied."""


DEFAULT_ARCHIVE_AFTER_DAYS = 365
"""Completed or deleted items untouched this long are archived (settings, here so that reading
the settings imports no archive models)."""
MAX_ARCHIVE_AFTER_DAYS = 36_500
"""A hundred years: any longer threshold archives nothing anyway."""

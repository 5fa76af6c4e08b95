"""Column types that hide the dialect differences (JSON vs JSONB, naive SQLite datetimes), and
the SQL each dialect is compiled to where SQLAlchemy leaves something out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, TypeAdapter
from sqlalchemy import JSON, DateTime, Dialect, String, Table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine


def json_for(dialect: Dialect) -> TypeEngine[Any]:
    """JSONB on PostgreSQL, JSON elsewhere, as the dialect's own type.

    Chosen per dialect at run time rather than with `JSON().with_variant(JSONB(), ...)`:
    naming JSONB imports SQLAlchemy's PostgreSQL dialect package with every driver's module
    in it, about 20 ms of each SQLite CLI command (issue 13)."""
    if dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB

        return dialect.type_descriptor(JSONB())
    return dialect.type_descriptor(JSON())


class JSONDocumentType(TypeDecorator[Any]):
    """A JSON document as it is: JSONB on PostgreSQL, JSON on SQLite."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return json_for(dialect)


JSONDocument: TypeEngine[Any] = JSONDocumentType()


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, also on SQLite which stores naive text."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class PydanticJSON(TypeDecorator[Any]):
    """JSON(B) column validated by a Pydantic model on the way in: the last line of defence.

    Services validate with field-level errors first; this type makes sure no code path can
    store a document that breaks the schema. Reads return the plain JSON document.
    """

    impl = JSON
    cache_ok = True

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model
        self._adapter: TypeAdapter[Any] = TypeAdapter(model)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return json_for(dialect)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, BaseModel):
            value = self._adapter.validate_python(value)
        assert isinstance(value, BaseModel)
        return value.model_dump(mode="json", exclude_none=True)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return value

    def coerce_compared_value(self, op: Any, value: Any) -> TypeEngine[Any]:
        return self.impl_instance


class uuid_text(FunctionElement[str]):
    """A UUID column as its canonical text (`0a1b2c3d-...`, lowercase), computed in SQL.

    For set-wise writes that put ids into text columns (audit events). PostgreSQL casts its
    `uuid`; SQLite stores UUIDs as 32 hex digits, so the dashes are put in by hand.
    """

    type = String()
    inherit_cache = True


@compiles(uuid_text, "sqlite")
def _uuid_text_sqlite(element: uuid_text, compiler: Any, **kw: Any) -> str:
    hex_digits = compiler.process(element.clauses, **kw)
    parts = [
        f"substr({hex_digits}, {start}, {size})"
        for start, size in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
    ]
    return "lower(" + " || '-' || ".join(parts) + ")"


class id_key(FunctionElement[str]):
    """A UUID column as the driver gives it most cheaply as text, for keys and tie-breaks in
    Python: SQLite's stored 32 hex digits as they are, PostgreSQL's `uuid` cast to its canonical
    text (no UUID objects made). Both sort the same way as the UUIDs' text."""

    type = String()
    inherit_cache = True


@compiles(uuid_text, "postgresql")
@compiles(id_key, "postgresql")
def _uuid_as_varchar(element: uuid_text | id_key, compiler: Any, **kw: Any) -> str:
    """PostgreSQL's canonical text of a `uuid` is what both constructs want."""
    return f"CAST({compiler.process(element.clauses, **kw)} AS VARCHAR)"


@compiles(id_key, "sqlite")
def _id_key_sqlite(element: id_key, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


class utc_second_text(FunctionElement[str]):
    """A UTC timestamp column as `YYYY-MM-DD HH:MM:SS` text, fractions cut off (not rounded),
    computed in SQL: what the report shows, without a datetime object per row.

    SQLite stores naive UTC text (`YYYY-MM-DD HH:MM:SS.ffffff`), so the first 19 characters are
    it; SQLite's own date functions would round the milliseconds instead.
    """

    type = String()
    inherit_cache = True


@compiles(utc_second_text, "postgresql")
def _utc_second_text_postgresql(element: utc_second_text, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"


@compiles(utc_second_text, "sqlite")
def _utc_second_text_sqlite(element: utc_second_text, compiler: Any, **kw: Any) -> str:
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 19)"


@compiles(Table, "sqlite")
def _sqlite_table(element: Table, compiler: Any, **kw: Any) -> str:
    """A table with its SQLite hint (`with_hint(table, "INDEXED BY ...", "sqlite")`), which
    SQLAlchemy's SQLite compiler leaves out: SQLite does take `INDEXED BY` after a table name."""
    text: str = compiler.visit_table(element, **kw)
    hint = (kw.get("fromhints") or {}).get(element)
    return f"{text} {hint}" if hint and kw.get("asfrom") and not kw.get("ashint") else text

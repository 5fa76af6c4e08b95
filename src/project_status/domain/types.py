"""Constrained scalar types shared by several entities."""

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from project_status.domain.bounds import INT4_MAX, Integer, OneLine, int_range

SingleLine = OneLine
"""Names and titles are one line each in the status report (and its importer reads lines)."""

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), SingleLine]
"""Surrounding blanks are dropped, so a title of spaces only is empty and rejected."""
BranchName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), SingleLine
]
Priority = Annotated[Integer, Field(ge=1, le=5, description="1 (highest) to 5")]
CommitHash = Annotated[
    str, StringConstraints(pattern=r"^[0-9a-f]{40}$"), Field(description="40 lowercase hex characters")
]
Quarter = Annotated[str, StringConstraints(pattern=r"^\d{4}-Q[1-4]$"), Field(description="YYYY-Qn")]
TokenBudget = Annotated[Integer, Field(ge=1_000, le=1_000_000)]
PositiveInt = Annotated[Integer, Field(gt=0)]
NonNegativeInt = Annotated[Integer, Field(ge=0)]
PositiveInt4 = Annotated[PositiveInt, int_range(1, INT4_MAX)]
"""A positive number kept in an INTEGER column (a PR number)."""


def _to_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("float_type", "must be a number, not a boolean")
    return value


Number = Annotated[float, BeforeValidator(_to_number)]
Hours = Annotated[Number, Field(ge=0, le=1000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), SingleLine]
"""A label inside a list or a map key (a principle, a test category): one line, short."""
ItemRef = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    SingleLine,
    Field(description="a UUID or a unique prefix of 8+ hex characters"),
]
"""An id argument; empty text is not "no id" (leave the field out or send null for that)."""

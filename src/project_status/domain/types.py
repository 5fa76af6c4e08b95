"""Constrained scalar types shared by several entities."""

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints


def _single_line(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError("must be a single line (no line breaks)")
    return value


SingleLine = AfterValidator(_single_line)
"""Names and titles are one line each in the status report (and its importer reads lines)."""

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), SingleLine]
"""Surrounding blanks are dropped, so a title of spaces only is empty and rejected."""
BranchName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), SingleLine
]
Priority = Annotated[int, Field(ge=1, le=5, description="1 (highest) to 5")]
CommitHash = Annotated[
    str, StringConstraints(pattern=r"^[0-9a-f]{40}$"), Field(description="40 lowercase hex characters")
]
Quarter = Annotated[str, StringConstraints(pattern=r"^\d{4}-Q[1-4]$"), Field(description="YYYY-Qn")]
TokenBudget = Annotated[int, Field(ge=1_000, le=1_000_000)]
PositiveInt = Annotated[int, Field(gt=0)]
NonNegativeInt = Annotated[int, Field(ge=0)]
Hours = Annotated[float, Field(ge=0, le=1000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), SingleLine]
"""A label inside a list or a map key (a principle, a test category): one line, short."""

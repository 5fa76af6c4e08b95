"""Per-entity metadata schemas (DESIGN.md section 3).

They reject unknown keys so that a typo (`estimated_hour`) is an error rather than data
silently ignored by every reader.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from project_status.domain.enums import ItemType
from project_status.domain.types import (
    Hours,
    NonNegativeInt,
    PositiveInt4,
    Quarter,
    ShortText,
    Title,
    TokenBudget,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProjectMetadata(_Strict):
    description: Annotated[str, StringConstraints(max_length=1000)] | None = None
    target_quarter: Quarter | None = None
    constitutional_principles: list[str] | None = None


class SessionMetadata(_Strict):
    token_budget: TokenBudget | None = None
    prompts_count: NonNegativeInt | None = None
    yaml_frontmatter: dict[str, Any] | None = None

    @field_validator("yaml_frontmatter")
    @classmethod
    def _needs_schema_version(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and "schema_version" not in value:
            raise ValueError("yaml_frontmatter must hold schema_version")
        return value


class TaskMetadata(_Strict):
    estimated_hours: Hours | None = None
    actual_hours: Hours | None = None
    blocked_reason: Annotated[str, StringConstraints(max_length=500)] | None = None


class ResearchMetadata(_Strict):
    research_questions: list[str] | None = None
    references: list[str] | None = None
    findings_summary: Annotated[str, StringConstraints(max_length=2000)] | None = None


WORK_ITEM_METADATA: dict[ItemType, type[_Strict]] = {
    ItemType.PROJECT: ProjectMetadata,
    ItemType.SESSION: SessionMetadata,
    ItemType.TASK: TaskMetadata,
    ItemType.RESEARCH: ResearchMetadata,
}

WorkItemMetadata = ProjectMetadata | SessionMetadata | TaskMetadata | ResearchMetadata


class FormatSupport(_Strict):
    excel: bool = False
    csv: bool = False
    pdf: bool = False
    ocr: bool = False


class TestResults(_Strict):
    __test__ = False  # not a pytest class

    passing: NonNegativeInt
    total: NonNegativeInt
    skipped: NonNegativeInt = 0

    @model_validator(mode="after")
    def _counts_add_up(self) -> TestResults:
        if self.passing + self.skipped > self.total:
            raise ValueError(
                f"passing ({self.passing}) + skipped ({self.skipped}) must not exceed total ({self.total})"
            )
        return self


class VendorMetadata(_Strict):
    format_support: FormatSupport = Field(default_factory=FormatSupport)
    test_results: TestResults = Field(default_factory=lambda: TestResults(passing=0, total=0))
    manifest_compliant: bool = False


class DeploymentMetadata(_Strict):
    pr_number: PositiveInt4 | None = None
    pr_title: Title | None = None
    test_summary: dict[ShortText, NonNegativeInt] = Field(default_factory=dict)
    constitutional_compliance: bool = False


def dump_metadata(model: BaseModel) -> dict[str, Any]:
    """JSON-ready dict without unset optional keys, so stored rows stay small."""
    return model.model_dump(mode="json", exclude_none=True)

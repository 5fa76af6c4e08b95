"""What the status report shows, already ordered: the template only lays it out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ReportConfiguration:
    active_context_type: str | None
    current_session: str | None
    git_branch: str | None
    git_head_commit: str | None
    default_token_budget: int


@dataclass(frozen=True, slots=True)
class ReportVendor:
    id: str
    name: str
    status: str
    extractor_version: str
    passing: int
    total: int
    skipped: int
    formats: list[str]
    manifest_compliant: bool


@dataclass(slots=True)
class ReportItem:
    id: str
    """The full id (canonical UUID text): the report carries it, so an import keeps it."""
    title: str
    item_type: str
    status: str
    priority: int
    depth: int
    created: str
    """When it was created, in UTC to the second (`YYYY-MM-DD HH:MM:SS`), as the report shows it."""
    parent: str | None
    parent_id: str | None = None
    updated: str = ""
    """When it last changed, as `created` is shown: the newest completed items come first."""
    description: str | None = None
    branch_name: str | None = None
    commit_hash: str | None = None
    pr_number: int | None = None
    blocked_reason: str | None = None
    details: list[tuple[str, str]] = field(default_factory=list)
    """Type-specific metadata lines (label, value), e.g. a session's token budget."""
    blocked_by: list[str] = field(default_factory=list)
    """Ids of the live, unfinished items it waits for."""
    claimed_by: str | None = None
    claim_expires: str | None = None


@dataclass(frozen=True, slots=True)
class ReportNote:
    """The newest note of an open work item, as the report shows it."""

    actor: str
    created: str
    """`YYYY-MM-DD HH:MM:SS`, UTC."""
    text: str
    """The note's beginning, as read (the report folds and cuts it to one line)."""


@dataclass(frozen=True, slots=True)
class ReportDeployment:
    id: str
    deployed_at: datetime
    commit_hash: str
    pr_number: int | None
    pr_title: str | None
    tests: list[tuple[str, int]]
    constitutional_compliance: bool
    vendors: list[str]
    work_items: list[str]


@dataclass(frozen=True, slots=True)
class ReportEnhancement:
    id: str
    title: str
    priority: int
    status: str
    target_quarter: str | None
    description: str
    principles: list[str]
    depends_on: list[str]


@dataclass(frozen=True, slots=True)
class Report:
    as_of: datetime
    configuration: ReportConfiguration
    vendors: list[ReportVendor]
    work_items: list[ReportItem]
    deployments: list[ReportDeployment]
    enhancements: list[ReportEnhancement]
    latest_notes: dict[str, ReportNote] = field(default_factory=dict)
    """By work item id: the newest note of each active or in-progress item that has one."""

    @property
    def operational(self) -> int:
        return sum(1 for vendor in self.vendors if vendor.status == "operational")

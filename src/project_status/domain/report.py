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


@dataclass(frozen=True, slots=True)
class ItemLine:
    """A work item's field the report shows, when set, as a line of its own under the item:
    `- **Label**: value`, the value between `before` and `after`. The importer reads it back by
    its label, so a field declared here goes report -> import -> report."""

    field: str
    label: str
    before: str = ""
    after: str = ""

    def read(self, text: str) -> str:
        """The value a line of this label holds, as written (its marks taken off)."""
        text = text.strip()
        if self.before and text.startswith(self.before):
            text = text[len(self.before) :]
        if self.after and text.endswith(self.after):
            text = text[: -len(self.after)]
        return text.strip()


ITEM_LINES = (
    ItemLine("assignee", "Assignee"),
    ItemLine("branch_name", "Branch"),
    ItemLine("commit_hash", "Commit", "`", "`"),
    ItemLine("pr_number", "PR", "#"),
)
"""The plain lines under a work item in the report's hierarchy, in this order (after its claim,
before its blocked reason, the items it waits for, its session details and its description)."""


@dataclass(slots=True)
class ReportRow:
    """A work item as the report reads it: the one declaration of what the report shows of it.

    The store selects a column per field, labelled with the field's name: the work item column of
    that name (a timestamp as `YYYY-MM-DD HH:MM:SS` UTC text), or for the few that are not a column
    of their own, the expression the store gives (`store.work_items.report_columns()`). Ids are
    `id_key` text in a live row; session_metadata is the session's metadata as JSON text (None for
    other items); created, updated and claim_expires are `YYYY-MM-DD HH:MM:SS` UTC. The report lays
    out the live rows as they come (a thousand without an object each), or collected items of
    this shape.
    """

    id: str
    parent_id: str | None
    item_type: str
    title: str
    description: str | None
    status: str
    priority: int
    depth: int
    branch_name: str | None
    commit_hash: str | None
    pr_number: int | None
    session_metadata: str | None
    blocked_reason: str | None
    created: str
    updated: str
    """When it last changed, as `created` is shown: the newest completed items come first."""
    claimed_by: str | None
    claim_expires: str | None
    assignee: str | None


@dataclass(slots=True)
class ReportItem(ReportRow):
    """A collected work item: its row, with the full ids (canonical UUID text: the report carries
    them, so an import keeps them), its level in the hierarchy as `depth`, and what the report
    derives from other rows."""

    parent: str | None = None
    """The parent's title (None at the top, or when the parent is not live)."""
    details: list[tuple[str, str]] = field(default_factory=list)
    """Type-specific metadata lines (label, value), e.g. a session's token budget."""
    blocked_by: list[str] = field(default_factory=list)
    """Ids of the live, unfinished items it waits for."""


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

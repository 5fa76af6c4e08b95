"""The closed vocabularies of the tracker (DESIGN.md section 3)."""

from enum import StrEnum


class ItemType(StrEnum):
    PROJECT = "project"
    SESSION = "session"
    TASK = "task"
    RESEARCH = "research"


class WorkItemStatus(StrEnum):
    ACTIVE = "active"
    IN_PROGRESS = "in_progress"
    """Claimed by an actor under a lease (`claimed_by`, `claim_expires_at`)."""
    COMPLETED = "completed"
    BLOCKED = "blocked"


class DependencyType(StrEnum):
    BLOCKS = "blocks"
    DEPENDS_ON = "depends_on"


class VendorStatus(StrEnum):
    OPERATIONAL = "operational"
    BROKEN = "broken"


class EnhancementStatus(StrEnum):
    PLANNED = "planned"
    APPROVED = "approved"
    IMPLEMENTING = "implementing"
    COMPLETED = "completed"


class ContextType(StrEnum):
    FEATURE = "feature"
    MAINTENANCE = "maintenance"
    RESEARCH = "research"


class EntityKind(StrEnum):
    """What an audit event is about."""

    WORK_ITEM = "work_item"
    DEPENDENCY = "dependency"
    VENDOR = "vendor"
    DEPLOYMENT = "deployment"
    CONFIGURATION = "configuration"
    ENHANCEMENT = "enhancement"


ACTIONABLE_TYPES = (ItemType.TASK, ItemType.RESEARCH)
"""What an agent works on: ready work and claims default to these, not to containers."""

MAX_DEPTH = 5
"""Deepest level below a root (a root is depth 0), so a tree has at most six levels of rows."""

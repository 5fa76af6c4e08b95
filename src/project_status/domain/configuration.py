"""The project configuration singleton."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from project_status.domain.enums import ContextType
from project_status.domain.types import BranchName, CommitHash, ItemRef, TokenBudget

DEFAULT_TOKEN_BUDGET = 200_000


class ConfigurationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active_context_type: ContextType | None = None
    current_session_id: ItemRef | None = None
    git_branch: BranchName | None = None
    git_head_commit: CommitHash | None = None
    default_token_budget: TokenBudget | None = None


class ConfigurationRead(BaseModel):
    version: int
    active_context_type: ContextType | None = None
    current_session_id: str | None = None
    git_branch: str | None = None
    git_head_commit: str | None = None
    default_token_budget: int
    database_healthy: bool
    last_health_check_at: datetime | None = None
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str

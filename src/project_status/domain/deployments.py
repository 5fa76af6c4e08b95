"""Deployment contracts (deployments are append-only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from project_status.domain.types import CommitHash


class DeploymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deployed_at: AwareDatetime
    commit_hash: CommitHash
    metadata: dict[str, Any]
    vendor_names: list[str] = []
    work_item_ids: list[str] = []


class DeploymentRead(BaseModel):
    id: str
    deployed_at: datetime
    commit_hash: str
    metadata: dict[str, Any]
    vendor_names: list[str]
    work_item_ids: list[str]
    created_at: datetime
    created_by: str


class DeploymentBrief(BaseModel):
    id: str
    deployed_at: datetime
    commit_hash: str
    pr_number: int | None = None
    pr_title: str | None = None
    vendor_count: int

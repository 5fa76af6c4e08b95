"""Deployment contracts (deployments are append-only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from project_status.domain.bounds import JsonObject, StoredDatetime
from project_status.domain.types import CommitHash, ItemRef
from project_status.domain.vendors import VendorName


class DeploymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deployed_at: StoredDatetime
    commit_hash: CommitHash
    metadata: JsonObject
    vendor_names: list[VendorName] = []
    work_item_ids: list[ItemRef] = []


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

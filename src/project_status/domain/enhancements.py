"""Planned enhancement contracts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from project_status.domain.bounds import Description
from project_status.domain.enums import EnhancementStatus
from project_status.domain.types import ItemRef, Priority, Quarter, ShortText, Title


class EnhancementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description
    priority: Priority
    status: EnhancementStatus = EnhancementStatus.PLANNED
    target_quarter: Quarter | None = None
    requires_constitutional_principles: list[ShortText] = []
    depends_on: list[ItemRef] = []


class EnhancementUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    description: Description | None = None
    priority: Priority | None = None
    status: EnhancementStatus | None = None
    target_quarter: Quarter | None = None
    requires_constitutional_principles: list[ShortText] | None = None
    depends_on: list[ItemRef] | None = None


class EnhancementRead(BaseModel):
    id: str
    version: int
    title: str
    description: str
    priority: int
    status: EnhancementStatus
    target_quarter: str | None = None
    requires_constitutional_principles: list[str] = []
    depends_on: list[str] = []
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class EnhancementBrief(BaseModel):
    id: str
    title: str
    priority: int
    status: EnhancementStatus
    target_quarter: str | None = None

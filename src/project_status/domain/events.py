"""Audit events: who changed what, when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class EventRead(BaseModel):
    id: int
    entity_type: str
    entity_id: str
    action: str
    actor: str
    occurred_at: datetime
    changes: dict[str, Any]


class EventList(BaseModel):
    items: list[EventRead]

"""Vendor extractor contracts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints

from project_status.domain.bounds import JsonObject
from project_status.domain.enums import VendorStatus
from project_status.domain.types import SingleLine

VendorName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), SingleLine
]
ExtractorVersion = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), SingleLine
]


class VendorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: VendorName
    status: VendorStatus
    extractor_version: ExtractorVersion
    metadata: JsonObject


class VendorUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: VendorStatus | None = None
    extractor_version: ExtractorVersion | None = None
    metadata: JsonObject | None = None


class VendorRead(BaseModel):
    id: str
    version: int
    name: str
    status: VendorStatus
    extractor_version: str
    metadata: dict[str, Any]
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class VendorList(BaseModel):
    items: list[VendorRead]
    total: int
    operational: int

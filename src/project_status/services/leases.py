"""Claim leases on work items: whether one is live, and recording one that ran out.

A lease that ran out blocks nobody at once (readers compare its end with the clock); the row
keeps its holder until the next write of the item, which records the expiry as an event of its
own (`claim_expired`, by the writer) before its own change, and clears it. A note is no write
of the item (its version stays, so holders of that version are not made to re-read) and reads
never write, so neither records it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from project_status.services.change_sets import json_value
from project_status.store import events
from project_status.store.tables import WorkItem


def live(row: WorkItem, moment: datetime) -> bool:
    return row.claimed_by is not None and row.claim_expires_at is not None and row.claim_expires_at > moment


def ran_out(row: WorkItem, moment: datetime) -> bool:
    """The item has a holder whose lease ended by `moment`."""
    return row.claimed_by is not None and not live(row, moment)


def record_expiry(
    session: AsyncSession,
    item_id: uuid.UUID,
    holder: str,
    expired_at: datetime | None,
    actor: str,
    moment: datetime,
) -> None:
    events.record_work_item(session, item_id, "claim_expired", actor, moment, expiry(holder, expired_at))


def expiry(holder: str, expired_at: datetime | None) -> dict[str, Any]:
    """The changes of a `claim_expired` event: the holder and the lease's end, cleared."""
    return {
        "claimed_by": {"old": holder, "new": None},
        "claim_expires_at": {"old": json_value(expired_at), "new": None},
    }


def expire_if_due(session: AsyncSession, row: WorkItem, actor: str, moment: datetime) -> None:
    """Record that the lease ran out (by `actor`, who touches the item next), and clear it."""
    if row.claimed_by is None or live(row, moment):
        return
    record_expiry(session, row.id, row.claimed_by, row.claim_expires_at, actor, moment)
    row.claimed_by = None
    row.claim_expires_at = None

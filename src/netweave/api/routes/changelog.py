"""The changelog: who created, changed, deleted or ran what, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from netweave.api.deps import DbSession, Viewer
from netweave.api.params import Limit, Offset
from netweave.api.text_params import ContainsText, ExactText
from netweave.core import audit
from netweave.core.inventory.schemas import Page

router = APIRouter(prefix="/api/v1/changelog", tags=["changelog"])


class ChangeRead(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    object_name: str
    changes: dict[str, Any]


@router.get("", response_model=Page[ChangeRead])
def changelog(
    _: Viewer,
    db: DbSession,
    actor: ExactText = None,
    object_type: ExactText = None,
    action: str | None = None,
    name: ContainsText = None,
    since: datetime | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ChangeRead]:
    rows, total = audit.query(
        db,
        actor=actor,
        object_type=object_type,
        action=action,
        name=name,
        since=since,
        limit=limit,
        offset=offset,
    )
    items = [
        ChangeRead(
            id=r.id,
            at=r.at,
            actor=r.actor,
            action=r.action,
            object_type=r.object_type,
            object_id=r.object_id,
            object_name=r.object_name,
            changes=r.changes,
        )
        for r in rows
    ]
    return Page(items=items, total=total, limit=limit, offset=offset)

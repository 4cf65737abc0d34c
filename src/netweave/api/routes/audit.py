"""The audit of refused authentication and authorization (admins only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from netweave.api.deps import Admin, DbSession
from netweave.api.params import Limit, Offset
from netweave.core.access import failures
from netweave.core.access.schemas import AuthFailureRead
from netweave.core.inventory.schemas import Page

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("/auth-failures", response_model=Page[AuthFailureRead])
def auth_failures(
    _: Admin,
    db: DbSession,
    kind: failures.Kind | None = None,
    username: Annotated[str | None, Query(max_length=64)] = None,
    client_ip: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[datetime | None, Query(description="Last seen at or after")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AuthFailureRead]:
    """Failed logins, rate-limited logins, bad/expired/revoked API keys, bad login sessions,
    CSRF failures and 403s: newest first; identical repeats coalesced (``count``)."""
    rows, total = failures.query(
        db,
        kind=kind,
        username=username,
        client_ip=client_ip,
        since=since,
        limit=limit,
        offset=offset,
    )
    items = [AuthFailureRead.model_validate(row) for row in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)

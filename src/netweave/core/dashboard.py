"""The dashboard's numbers in one call: inventory by platform/vendor/site, runs by status
per day, recent failures, and the engine's health."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from netweave.db.models import Device, Run

DAYS = 14


class RecentFailure(BaseModel):
    id: str
    name: str
    status: str
    started_at: datetime | None
    failed: int


class Dashboard(BaseModel):
    devices: int
    by_platform: dict[str, int]
    by_vendor: dict[str, int]
    by_site: dict[str, int]
    runs_by_status: dict[str, int]
    runs_per_day: list[dict[str, Any]]  # {day, success, failure, other}
    recent_failures: list[RecentFailure]
    engine: dict[str, Any]


def _grouped(session: Session, column: Any) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).group_by(column)).all()
    return {str(key or "(none)"): int(count) for key, count in sorted(rows, key=lambda r: -r[1])}


def build(session: Session, engine: dict[str, Any], now: datetime | None = None) -> Dashboard:
    now = now or datetime.now(UTC)
    since = (now - timedelta(days=DAYS - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    days: dict[str, dict[str, int]] = defaultdict(lambda: {"success": 0, "failure": 0, "other": 0})
    for created, status in session.execute(
        select(Run.created_at, Run.status).where(Run.created_at >= since)
    ):
        bucket = status if status in ("success", "failure") else "other"
        days[created.date().isoformat()][bucket] += 1
    per_day = []
    for offset in range(DAYS):
        day = (since + timedelta(days=offset)).date().isoformat()
        per_day.append({"day": day, **days[day]})
    failures = session.scalars(
        select(Run)
        .where(Run.status.in_(("failure", "error", "interrupted")))
        .order_by(Run.created_at.desc())
        .limit(10)
    )
    return Dashboard(
        devices=session.scalar(select(func.count()).select_from(Device)) or 0,
        by_platform=_grouped(session, Device.platform),
        by_vendor=_grouped(session, Device.vendor),
        by_site=_grouped(session, Device.site),
        runs_by_status=_grouped(session, Run.status),
        runs_per_day=per_day,
        recent_failures=[
            RecentFailure(
                id=run.id,
                name=run.name,
                status=run.status,
                started_at=run.started_at,
                failed=int((run.summary or {}).get("counts", {}).get("failure", 0)),
            )
            for run in failures
        ],
        engine=engine,
    )

"""The dashboard's numbers in one call: inventory by platform/vendor/site, runs by status
per day, device jobs per day by outcome and where they came from, recent failures, and the
engine's health."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from netweave.core.access import object_rights
from netweave.db.models import Automation, Device, Job, Run, TerminalSession

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
    # device jobs sent directly (API/NetPulse, the CLI), not as a run's steps (the run counts)
    jobs_per_day: list[dict[str, Any]]  # {day, success, failure, other}
    jobs_by_source: dict[str, int]  # api | cli | run (steps of runs), within the window
    recent_failures: list[RecentFailure]
    terminal_sessions: int  # web terminals open now (engine.sessions: cached device sessions)
    engine: dict[str, Any]


def _grouped(session: Session, column: Any) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).group_by(column)).all()
    return {str(key or "(none)"): int(count) for key, count in sorted(rows, key=lambda r: -r[1])}


def build(
    session: Session,
    engine: dict[str, Any],
    now: datetime | None = None,
    actor: str | None = None,
) -> Dashboard:
    """``actor``: the recent failures listed are runs of what they may read (the counts
    are totals)."""
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
    jobs_per_day, jobs_by_source = _jobs(session, since)
    failed = select(Run).where(Run.status.in_(("failure", "error", "interrupted")))
    visible = object_rights.readable_clause(session, actor, "service")
    if visible is not None:
        readable = select(Automation.id).where(visible)
        failed = failed.where(or_(Run.automation_id.is_(None), Run.automation_id.in_(readable)))
    failures = session.scalars(failed.order_by(Run.created_at.desc()).limit(10))
    return Dashboard(
        devices=session.scalar(select(func.count()).select_from(Device)) or 0,
        by_platform=_grouped(session, Device.platform),
        by_vendor=_grouped(session, Device.vendor),
        by_site=_grouped(session, Device.site),
        runs_by_status=_grouped(session, Run.status),
        runs_per_day=per_day,
        jobs_per_day=jobs_per_day,
        jobs_by_source=jobs_by_source,
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
        terminal_sessions=session.scalar(
            select(func.count())
            .select_from(TerminalSession)
            .where(TerminalSession.ended_at.is_(None))
        )
        or 0,
        engine=engine,
    )


JOB_OUTCOME = {"finished": "success", "failed": "failure"}


def job_source(run_id: str | None, owner_id: int | None) -> str:
    """Where a job came from: a run's step, the CLI (no user row), or the API (a user)."""
    if run_id is not None:
        return "run"
    return "cli" if owner_id is None else "api"


def _jobs(session: Session, since: datetime) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Device jobs still held (each is kept for its ``result_ttl``) since ``since``: per day
    by outcome, those sent directly only; and how many came from each source."""
    days: dict[str, dict[str, int]] = defaultdict(lambda: {"success": 0, "failure": 0, "other": 0})
    sources = {"api": 0, "cli": 0, "run": 0}
    rows = session.execute(
        select(Job.created_at, Job.status, Job.run_id, Job.owner_id).where(Job.created_at >= since)
    )
    for created, status, run_id, owner_id in rows:
        source = job_source(run_id, owner_id)
        sources[source] += 1
        if source != "run":
            days[created.date().isoformat()][JOB_OUTCOME.get(status, "other")] += 1
    per_day = []
    for offset in range(DAYS):
        day = (since + timedelta(days=offset)).date().isoformat()
        per_day.append({"day": day, **days[day]})
    return per_day, sources

"""The dashboard: counts and series for the UI's home page."""

from __future__ import annotations

from fastapi import APIRouter

from netweave.api.deps import DbSession, RuntimeDep, Viewer
from netweave.core import dashboard

router = APIRouter(prefix="/api/v1/dashboard", tags=["dashboard"])


@router.get("", response_model=dashboard.Dashboard)
def get_dashboard(principal: Viewer, db: DbSession, runtime: RuntimeDep) -> dashboard.Dashboard:
    stats = runtime.jobs.stats()
    engine = {
        "executor": stats["executor"],
        "workers": stats["workers"],
        "nodes": len(stats["nodes"]) if stats["nodes"] is not None else None,
        "queue_depth": stats["queue_depth"],
        "sessions": stats["sessions"].get("sessions", 0),
        "jobs": stats["jobs"],
    }
    return dashboard.build(db, engine, actor=principal.username)

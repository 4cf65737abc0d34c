"""Tasks (scheduled runs) and the calendar of past runs and future firings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from netweave.api.deps import DbSession, Operator, RuntimeDep, Viewer
from netweave.api.params import Id, Limit, Offset
from netweave.api.responses import LOOKUP_CONFLICT, NOT_FOUND
from netweave.api.text_params import ContainsText
from netweave.core.bulk import BulkIds, BulkResult
from netweave.core.inventory.schemas import Page
from netweave.core.schedules import tasks
from netweave.core.schedules.schemas import (
    CalendarEvent,
    FiringRead,
    TaskCreate,
    TaskRead,
    TaskUpdate,
    TimingPreview,
    TimingPreviewRead,
)

router = APIRouter(prefix="/api/v1", tags=["scheduling"])


@router.get("/tasks", response_model=Page[TaskRead])
def list_tasks(
    principal: Viewer,
    db: DbSession,
    name: ContainsText = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[TaskRead]:
    """The tasks the caller may read."""
    rows, total = tasks.list_tasks(
        db, name=name, limit=limit, offset=offset, actor=principal.username
    )
    return Page(items=[tasks.read(t) for t in rows], total=total, limit=limit, offset=offset)


@router.post("/tasks", response_model=TaskRead, status_code=201, responses=LOOKUP_CONFLICT)
def create_task(body: TaskCreate, principal: Operator, db: DbSession) -> TaskRead:
    task = tasks.create(db, body, principal.username)
    db.commit()
    return tasks.read(task)


@router.post("/tasks/preview", response_model=TimingPreviewRead)
def preview_timing(body: TimingPreview, _: Viewer) -> TimingPreviewRead:
    """The next firings of a timing, before saving it (errors name the field, as on create)."""
    return tasks.preview(body)


@router.post("/tasks/bulk-delete", response_model=BulkResult, responses=NOT_FOUND)
def bulk_delete_tasks(body: BulkIds, principal: Operator, db: DbSession) -> BulkResult:
    """Delete every listed task: all or nothing."""
    result = tasks.delete_many(db, body.ids, principal.username)
    db.commit()
    return result


@router.get("/tasks/{task_id}", response_model=TaskRead, responses=NOT_FOUND)
def get_task(task_id: Id, principal: Viewer, db: DbSession) -> TaskRead:
    return tasks.read(tasks.get(db, task_id, principal.username))


@router.patch("/tasks/{task_id}", response_model=TaskRead, responses=NOT_FOUND)
def update_task(task_id: Id, body: TaskUpdate, principal: Operator, db: DbSession) -> TaskRead:
    task = tasks.update(db, task_id, body, principal.username)
    db.commit()
    return tasks.read(task)


@router.delete("/tasks/{task_id}", status_code=204, responses=NOT_FOUND)
def delete_task(task_id: Id, principal: Operator, db: DbSession) -> None:
    tasks.delete(db, task_id, principal.username)
    db.commit()


@router.post("/tasks/{task_id}/pause", response_model=TaskRead, responses=NOT_FOUND)
def pause_task(task_id: Id, principal: Operator, db: DbSession) -> TaskRead:
    task = tasks.set_paused(db, task_id, True, principal.username)
    db.commit()
    return tasks.read(task)


@router.post("/tasks/{task_id}/resume", response_model=TaskRead, responses=NOT_FOUND)
def resume_task(task_id: Id, principal: Operator, db: DbSession) -> TaskRead:
    """Firings missed while paused are not owed: the schedule restarts from now."""
    task = tasks.set_paused(db, task_id, False, principal.username)
    db.commit()
    return tasks.read(task)


@router.post("/tasks/{task_id}/run", status_code=201, responses=LOOKUP_CONFLICT)
def run_task_now(task_id: Id, principal: Operator, runtime: RuntimeDep) -> dict[str, str]:
    """Runs with the caller's rights and fence (not the task owner's)."""
    return {"run_id": runtime.firer.run_now(task_id, acting_user=principal.username)}


@router.get("/tasks/{task_id}/firings", response_model=list[FiringRead], responses=NOT_FOUND)
def task_firings(
    task_id: Id,
    principal: Viewer,
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[FiringRead]:
    return tasks.firings(db, task_id, limit, principal.username)


@router.get("/calendar", response_model=list[CalendarEvent])
def calendar(
    principal: Viewer,
    db: DbSession,
    start: Annotated[datetime, Query(alias="from", description="ISO 8601 with offset")],
    end: Annotated[datetime, Query(alias="to", description="ISO 8601 with offset")],
) -> list[CalendarEvent]:
    """Runs that started in [from, to) and the firings tasks will make in it."""
    return tasks.calendar(db, start, end, principal.username)

"""Detached tasks (NetPulse v0.4's ``/detached-tasks``, as ``netpulse-sdk`` calls it): a
command started with ``detach: true`` on ``/device/exec`` or ``/device/bulk``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from netweave.api.deps import Operator, RuntimeDep, Viewer
from netweave.api.params import MAX_ID, Limit
from netweave.api.responses import NOT_FOUND, errors
from netweave.core.jobs import detached
from netweave.core.jobs.detached import (
    DetachedTaskEnd,
    DetachedTaskLog,
    DetachedTaskRead,
    DiscoverRequest,
)

router = APIRouter(tags=["device operations (NetPulse v0.4)"])
TaskId = Annotated[str, Path(max_length=64, description="The task id (its job's id)")]


@router.get("/detached-tasks", response_model=list[DetachedTaskRead])
def list_detached_tasks(
    _: Viewer,
    runtime: RuntimeDep,
    status: Annotated[
        str | None, Query(description="launching, running, completed, failed or killed")
    ] = None,
    limit: Limit = 1000,
) -> list[DetachedTaskRead]:
    """Detached tasks not cleared yet, newest first."""
    return detached.list_tasks(runtime.jobs, status, limit)


@router.post("/detached-tasks/discover", response_model=list[DetachedTaskRead], responses=NOT_FOUND)
def discover_detached_tasks(
    body: DiscoverRequest, principal: Operator, runtime: RuntimeDep
) -> list[DetachedTaskRead]:
    """The tasks waiting or running on one device (NetWeave's registry holds them all)."""
    return detached.discover(runtime.jobs, body, principal)


@router.get("/detached-tasks/{task_id}", response_model=DetachedTaskLog, responses=NOT_FOUND)
def read_detached_task(
    task_id: TaskId,
    _: Viewer,
    runtime: RuntimeDep,
    offset: Annotated[
        int, Query(ge=0, le=MAX_ID, description="Characters already read (next_offset)")
    ] = 0,
) -> DetachedTaskLog:
    """The task's output after ``offset`` and the offset to read from next time."""
    return detached.read_log(runtime.jobs, task_id, offset)


@router.delete(
    "/detached-tasks/{task_id}", response_model=DetachedTaskEnd, responses=errors(403, 404)
)
def end_detached_task(task_id: TaskId, principal: Operator, runtime: RuntimeDep) -> DetachedTaskEnd:
    """Kill a running task (its device command is interrupted: the session is cut; the task
    ends ``killed`` with the output it had) or clear one that has ended."""
    return detached.end_task(runtime.jobs, task_id, principal)

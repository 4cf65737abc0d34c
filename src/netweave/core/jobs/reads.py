"""What a job reads as (NetPulse's job shape): from a stored row, a Core row of its
columns, or a row just queued."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from netweave.core.jobs.detached import OPERATION
from netweave.core.jobs.housekeeping import aware
from netweave.core.jobs.schemas import JobRead
from netweave.db.models import Job

ENDED = ("finished", "failed", "canceled", "stopped")
# what job_read and _expired read: a Core row of these reads like the ORM object
READ_COLUMNS = (
    Job.id,
    Job.status,
    Job.queue,
    Job.worker,
    Job.created_at,
    Job.enqueued_at,
    Job.started_at,
    Job.ended_at,
    Job.result,
    Job.device_host,
    Job.device_port,
    Job.driver,
    Job.operation,
    Job.expires_at,
)


def job_read(job: Job) -> JobRead:
    created, enqueued = aware(job.created_at), aware(job.enqueued_at)
    started, ended = aware(job.started_at), aware(job.ended_at)
    assert created is not None
    return JobRead(
        id=job.id,
        status=job.status,
        queue=job.queue,
        worker=job.worker,
        created_at=created,
        enqueued_at=enqueued,
        started_at=started,
        ended_at=ended,
        duration=(ended - started).total_seconds() if ended and started else None,
        queue_time=(started - (enqueued or created)).total_seconds() if started else None,
        result=netpulse_result(job.result),
        device=f"{job.device_host}:{job.device_port}",
        driver=job.driver,
        task_id=job.id if job.operation == OPERATION else None,
    )


def netpulse_result(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """A job's result as NetPulse clients read it. A workflow step's job keeps a marker
    (``{"step_result": ..., "success": ...}``) where a device job keeps its output list: its
    output is the run's result (``/api/v1/runs/{run_id}/results``), so ``retval`` is empty."""
    if result is None or isinstance(result.get("retval"), list | None):
        return result
    return {**result, "retval": None}


def queued_read(row: dict[str, Any]) -> JobRead:
    return JobRead(
        id=row["id"],
        status="queued",
        queue=row["queue"],
        worker=None,
        created_at=row["created_at"],
        enqueued_at=row["enqueued_at"],
        started_at=None,
        ended_at=None,
        duration=None,
        queue_time=None,
        result=None,
        device=f"{row['device_host']}:{row['device_port']}",
        driver=row["driver"],
        task_id=row["id"] if row["operation"] == OPERATION else None,
    )


def expired(job: Job) -> bool:
    expires = aware(job.expires_at)
    return expires is not None and expires < datetime.now(UTC)


def ended_read(before: JobRead, values: dict[str, Any] | None) -> JobRead | None:
    """The job as it reads after the result writer committed ``values`` (the columns of its
    end, with its start) over ``before``; None when they do not end it or lack its start
    (the caller then reads the row). The result goes through JSON as the stored one does,
    so the answer is the one a read would give."""
    if not values or values.get("status") not in ENDED or "started_at" not in values:
        return None
    started, ended = aware(values["started_at"]), aware(values.get("ended_at"))
    if started is None or ended is None:
        return None
    result = values.get("result")
    return JobRead.model_validate(
        before.model_dump()
        | {
            "status": values["status"],
            "worker": values.get("worker", before.worker),
            "started_at": started,
            "ended_at": ended,
            "duration": (ended - started).total_seconds(),
            "queue_time": (started - (before.enqueued_at or before.created_at)).total_seconds(),
            "result": netpulse_result(json.loads(json.dumps(result)) if result else None),
        }
    )

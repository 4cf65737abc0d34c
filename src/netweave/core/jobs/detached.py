"""Detached tasks (NetPulse's ``detach: true``): a long command (``ping ... repeat 1000``)
runs on a device session of its own while its output grows in a task log, read by offset,
listed, killed, cleared and discovered through ``/detached-tasks`` as ``netpulse-sdk``
0.4.x calls it.

A detached task is a job row (SQL is the source of truth, so it works on the local and
the rq executor alike) whose ``operation`` is ``detached``; its id is the task id. While it
runs its output so far is the job's ``result.retval[0].stdout`` (written about twice a
second by the worker running it, see ``detached_run``), which ``GET /detached-tasks/{id}``
slices by character offset. Killing it is canceling the job: the device session is cut
wherever it runs, and the log keeps what the command printed until then."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from netweave.core.access.principal import Principal
from netweave.core.access.scopes import ensure_allowed
from netweave.core.jobs.credential_refs import credential_key, inventory_index
from netweave.core.jobs.housekeeping import aware
from netweave.core.jobs.schemas import CredentialRef
from netweave.core.jobs.targets import resolve_target
from netweave.db.models import Job
from netweave.drivers.base import Driver, registry
from netweave.foundation.bounded import BoundedJson
from netweave.foundation.errors import InvalidInput, NetWeaveError, NotFound

if TYPE_CHECKING:
    from netweave.core.jobs.schemas import _Common
    from netweave.core.jobs.service import JobService

OPERATION = "detached"
# the job's status → the task's status as NetPulse names it (plus failed / killed)
STATUS = {
    "queued": "launching",
    "started": "running",
    "finished": "completed",
    "failed": "failed",
    "canceled": "killed",
    "stopped": "killed",
}
RUNNING = ("queued", "started")
KILLED_MESSAGE = "killed by request"
KILL_WAIT_S = 10.0  # a kill answers once the task's log is final, or after this
SAFE_CONNECTION_ARGS = ("host", "port", "username", "device_type", "name")


class TooManyDetached(NetWeaveError):
    status_code = 429


@dataclass(frozen=True)
class DetachedLimits:
    max_tasks: int = 16  # waiting or running at once
    max_log_chars: int = 1_048_576  # output kept per task


class DetachedTaskRead(BaseModel):
    """A task as ``netpulse-sdk`` reads it (``DetachedTaskInfo``), plus NetWeave's fields."""

    task_id: str
    command: list[str]
    host: str
    port: int
    device: str
    driver: str
    status: str = Field(description="launching, running, completed, failed or killed")
    job_status: str
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    last_sync: datetime | None = Field(description="When its output was last stored")
    push_interval: int | None
    last_offset: int = Field(description="Characters of output stored so far")
    truncated: bool
    connection_args: dict[str, Any] = Field(description="Address and user only, no secret")
    error: dict[str, Any] | None


class DetachedTaskLog(BaseModel):
    """``GET /detached-tasks/{id}?offset=N``: the output after ``offset`` and where to
    continue (``netpulse-sdk``'s ``DetachedTaskLog``)."""

    task_id: str
    output: str
    next_offset: int
    is_running: bool
    completed: bool
    status: str
    truncated: bool
    pid: int | None = None
    error: dict[str, Any] | None = None


class DetachedTaskEnd(BaseModel):
    task_id: str
    status: str = Field(description="killed (it was running) or cleared (it had ended)")


class DiscoverRequest(BaseModel):
    """``POST /detached-tasks/discover``: the device whose tasks to find."""

    model_config = ConfigDict(extra="forbid")

    driver: str = "paramiko"
    connection_args: BoundedJson
    credential: CredentialRef | None = None


# -- submission (called by JobService) ------------------------------------------------------
def check_request(request: _Common, driver: type[Driver], limits: DetachedLimits) -> None:
    """A request with ``detach`` (or ``push_interval``) that cannot run detached: a 422
    naming the field. Nothing of a detached request is silently ignored."""
    if request.push_interval is not None and not request.detach:
        raise InvalidInput("push_interval needs detach: true", field="push_interval")
    if not request.detach:
        return
    if request.push_interval is not None and request.webhook is None:
        raise InvalidInput(
            "push_interval pushes output to the request's webhook: give a webhook",
            field="push_interval",
        )
    if request.command is None:
        raise InvalidInput("only commands run detached", field="detach")
    if request.parsing is not None:
        raise InvalidInput("a detached task's output is a log: it is not parsed", field="parsing")
    if not driver.streams:
        able = [name for name in registry.names() if registry.get(name).streams]
        raise InvalidInput(
            f"the {driver.name} driver cannot run a detached command (drivers that can: "
            f"{', '.join(able)})",
            field="detach",
        )
    if limits.max_tasks == 0:
        raise InvalidInput("detached tasks are turned off on this server", field="detach")


def admit(session: Session, new: int, limits: DetachedLimits) -> None:
    """Refuse (429 naming ``detach``) tasks beyond ``limits.max_tasks`` waiting or running."""
    if new == 0:
        return
    busy = session.scalar(
        select(func.count())
        .select_from(Job)
        .where(Job.operation == OPERATION, Job.status.in_(RUNNING))
    )
    if (busy or 0) + new > limits.max_tasks:
        raise TooManyDetached(
            f"{busy} detached task(s) already waiting or running; this server runs at most "
            f"{limits.max_tasks} at once (kill or wait for one)",
            field="detach",
        )


# -- queries ---------------------------------------------------------------------------------
def log_of(job: Job) -> tuple[str, bool]:
    """The task's output so far and whether it was cut at the size limit."""
    retval = (job.result or {}).get("retval")
    if not isinstance(retval, list) or not retval:
        return "", False
    item = retval[0]
    return str(item.get("stdout") or ""), bool((item.get("metadata") or {}).get("truncated"))


def task_read(job: Job) -> DetachedTaskRead:
    text, truncated = log_of(job)
    request = job.request or {}
    args = request.get("connection_args") or {}
    created = aware(job.created_at)
    assert created is not None
    started, ended = aware(job.started_at), aware(job.ended_at)
    return DetachedTaskRead(
        task_id=job.id,
        command=[str(c) for c in request.get("command") or []],
        host=job.device_host,
        port=job.device_port,
        device=str(args.get("name") or job.device_host),
        driver=job.driver,
        status=STATUS.get(job.status, job.status),
        job_status=job.status,
        created_at=created,
        started_at=started,
        ended_at=ended,
        last_sync=_synced(job) or ended or started,
        push_interval=request.get("push_interval"),
        last_offset=len(text),
        truncated=truncated,
        connection_args={k: args[k] for k in SAFE_CONNECTION_ARGS if k in args},
        error=job.error,
    )


def _synced(job: Job) -> datetime | None:
    """When the worker last stored the task's output (``metadata.synced_at``)."""
    retval = (job.result or {}).get("retval")
    value = (retval[0].get("metadata") or {}).get("synced_at") if retval else None
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _statuses(status: str | None) -> list[str] | None:
    if status is None:
        return None
    wanted = [job for job, task in STATUS.items() if task == status]
    if not wanted:
        names = ", ".join(sorted(set(STATUS.values())))
        raise InvalidInput(f"unknown status {status!r} (one of {names})", field="status")
    return wanted


def _live(query: Any) -> Any:
    now = datetime.now(UTC)
    return query.where(Job.operation == OPERATION).where(
        (Job.expires_at.is_(None)) | (Job.expires_at > now)
    )


def list_tasks(
    jobs: JobService, status: str | None = None, limit: int = 1000
) -> list[DetachedTaskRead]:
    """Tasks not cleared yet, newest first; ``status`` as ``DetachedTaskRead.status``."""
    query = _live(select(Job)).order_by(Job.created_at.desc()).limit(limit)
    wanted = _statuses(status)
    if wanted is not None:
        query = query.where(Job.status.in_(wanted))
    with jobs.sessions() as session:
        return [task_read(job) for job in session.scalars(query)]


def _task(session: Session, task_id: str) -> Job:
    job = session.scalars(_live(select(Job)).where(Job.id == task_id.removeprefix("task_"))).first()
    if job is None:
        raise NotFound(f"no detached task with id {task_id}", field="task_id")
    return job


def read_log(jobs: JobService, task_id: str, offset: int = 0) -> DetachedTaskLog:
    """The output after character ``offset`` (an offset past the end reads nothing)."""
    with jobs.sessions() as session:
        job = _task(session, task_id)
        text, truncated = log_of(job)
        start = min(offset, len(text))
        return DetachedTaskLog(
            task_id=job.id,
            output=text[start:],
            next_offset=len(text),
            is_running=job.status in RUNNING,
            completed=job.status == "finished",
            status=STATUS.get(job.status, job.status),
            truncated=truncated,
            error=job.error,
        )


def end_task(jobs: JobService, task_id: str, principal: Principal) -> DetachedTaskEnd:
    """Kill a waiting or running task (its device session is cut, wherever it runs; the
    answer comes once its log is final), or clear one that has ended (it is gone)."""
    with jobs.sessions() as session, session.begin():
        job = _task(session, task_id)
        _ensure_fences(session, principal, job, "task_id")
        job_id, status = job.id, job.status
        if status not in RUNNING:
            session.execute(
                update(Job).where(Job.id == job_id).values(expires_at=datetime.now(UTC))
            )
    if status not in RUNNING:
        return DetachedTaskEnd(task_id=job_id, status="cleared")
    jobs.cancel_jobs([job_id], KILLED_MESSAGE)
    deadline = time.monotonic() + KILL_WAIT_S
    while time.monotonic() < deadline:  # the worker writes the log it had, then it is final
        with jobs.sessions() as session:
            row = session.get(Job, job_id)
            if row is None or (row.status not in RUNNING and _settled(row)):
                break
        time.sleep(0.05)
    return DetachedTaskEnd(task_id=job_id, status="killed")


def _settled(job: Job) -> bool:
    """A killed task's worker has stored its log (or it never started: nothing to store)."""
    return job.started_at is None or (job.result or {}).get("retval") is not None


def discover(
    jobs: JobService, request: DiscoverRequest, principal: Principal
) -> list[DetachedTaskRead]:
    """The tasks waiting or running on one device (an inventory name or an address). Every
    detached task NetWeave runs is in its registry (SQL), so nothing is read from the
    device: the request's credentials are checked like any job's, then the registry is."""
    driver = registry.get(request.driver, field="driver")
    with jobs.sessions() as session:
        names = {str(request.connection_args.get("host", ""))}
        index = inventory_index(session, names, request.credential, jobs.box)  # vault_kv too
        target = resolve_target(
            request.connection_args,
            credential_key(request.credential),
            index,
            "connection_args",
            driver,
        )
        ensure_allowed(
            session,
            principal.username,
            device_ids=[target.device_id] if target.device_id is not None else [],
            addresses=[] if target.device_id is not None else [(target.host, target.port)],
            field="connection_args.host",
        )
        query = _live(select(Job)).where(
            Job.device_host == target.host,
            Job.device_port == target.port,
            Job.status.in_(RUNNING),
        )
        return [task_read(job) for job in session.scalars(query.order_by(Job.created_at))]


def _ensure_fences(session: Session, principal: Principal, job: Job, field: str) -> None:
    """A user restricted to pools ends only the tasks of their devices."""
    ensure_allowed(
        session,
        principal.username,
        device_ids=[job.device_id] if job.device_id is not None else [],
        addresses=[] if job.device_id is not None else [(job.device_host, job.device_port)],
        field=field,
    )

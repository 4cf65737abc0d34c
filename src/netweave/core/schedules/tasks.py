"""Task use cases: create/update/delete, pause/resume, the firing history, the calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from netweave.core import bulk
from netweave.core.access import object_rights
from netweave.core.access.scopes import fence
from netweave.core.automation import definitions
from netweave.core.automation.catalog import ensure_may_give_inputs
from netweave.core.automation.schemas import TargetSpec
from netweave.core.automation.targets import ensure_may_manage, ensure_targets_allowed
from netweave.core.schedules.schemas import (
    CalendarEvent,
    FiringRead,
    TaskCreate,
    TaskRead,
    TaskUpdate,
    TimingPreview,
    TimingPreviewRead,
    _Timing,
)
from netweave.core.schedules.timing import Timing, describe
from netweave.core.text_filter import match_text
from netweave.db.models import Automation, Run, Task, TaskFiring
from netweave.foundation.errors import Conflict, InvalidInput, NotFound

MAX_CALENDAR_DAYS = 400
MAX_FUTURE_PER_TASK = 500


def timing_of(task: Task) -> Timing:
    return Timing(
        kind=task.kind,
        start_at=task.start_at,
        end_at=task.end_at,
        interval_seconds=task.interval_seconds,
        cron=task.cron,
        timezone=task.timezone,
    )


def read(task: Task) -> TaskRead:
    return TaskRead(
        id=task.id,
        name=task.name,
        description=task.description,
        automation=task.automation,
        targets=task.targets,
        variables=task.variables,
        inputs=task.inputs,
        kind=task.kind,
        start_at=task.start_at,
        end_at=task.end_at,
        interval_seconds=task.interval_seconds,
        cron=task.cron,
        timezone=task.timezone,
        misfire=task.misfire,
        misfire_grace=task.misfire_grace,
        paused=task.paused,
        summary=describe(timing_of(task)),
        next_fire_at=task.next_fire_at,
        last_fire_at=task.last_fire_at,
        created_by=task.created_by,
        created_at=task.created_at,
    )


def get(session: Session, task_id: int, actor: str | None = None) -> Task:
    """``actor``: one it may not read (per-object permissions) is a 404 too."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}", field="id")
    object_rights.ensure(session, actor, "task", task, "read", ref=str(task_id))
    return task


def _apply_timing(task: Task, timing: _Timing, now: datetime) -> None:
    task.kind = timing.kind
    task.start_at = timing.start_at
    task.end_at = timing.end_at
    task.interval_seconds = timing.interval_seconds
    task.cron = timing.cron
    task.timezone = timing.timezone
    task.misfire = timing.misfire
    task.misfire_grace = timing.misfire_grace
    if task.kind == "interval" and task.start_at is None:
        task.start_at = now
    task.checked_until = now  # nothing before its creation is "missed"
    task.next_fire_at = timing_of(task).next_after(now)


def _automation(session: Session, name: str, actor: str | None) -> None:
    """The service or workflow exists and ``actor`` may run it (a 404 or 403 naming the
    task's field): the task's firings run it with its owner's rights."""
    try:
        row = definitions.by_name(session, name)
    except NotFound as exc:
        raise NotFound(exc.message, field="automation") from exc
    object_rights.ensure(
        session, actor, row.kind, row, "run", ref=f"named {name!r}", field="automation"
    )


def create(session: Session, data: TaskCreate, creator: str) -> Task:
    _automation(session, data.automation, creator)
    ensure_may_give_inputs(session, data.automation, data.inputs, creator)
    ensure_targets_allowed(session, creator, data.targets)
    if session.scalar(select(Task.id).where(Task.name == data.name)) is not None:
        raise Conflict(f"a task named {data.name!r} exists", field="name")
    now = datetime.now(UTC)
    task = Task(
        name=data.name,
        description=data.description,
        automation=data.automation,
        targets=data.targets.model_dump(mode="json", exclude_defaults=True)
        if data.targets
        else None,
        variables=data.variables,
        inputs=data.inputs,
        paused=data.paused,
        created_by=creator,
    )
    _apply_timing(task, data, now)
    if task.kind == "once" and task.next_fire_at is None:
        raise InvalidInput("the date is in the past", field="start_at")
    session.add(task)
    session.flush()
    return task


def update(session: Session, task_id: int, data: TaskUpdate, actor: str | None = None) -> Task:
    """The editor becomes the task's owner: its firings act with the editor's rights and fence
    (an operator cannot borrow an admin's rights by editing the admin's task)."""
    task = get(session, task_id, actor)
    object_rights.ensure(session, actor, "task", task, "edit")
    if data.description is not None:
        task.description = data.description
    if data.automation is not None:
        task.automation = data.automation
    if data.automation is not None or actor is not None:
        _automation(session, task.automation, actor)
    if data.targets is not None:
        task.targets = data.targets.model_dump(mode="json", exclude_defaults=True)
    if data.variables is not None:
        task.variables = data.variables
    if data.inputs is not None:
        task.inputs = data.inputs
    if data.timing is not None:
        _apply_timing(task, data.timing, datetime.now(UTC))
        if task.kind == "once" and task.next_fire_at is None:
            raise InvalidInput("the date is in the past", field="timing.start_at")
    if fence(session, actor) is not None:
        saved = TargetSpec.model_validate(task.targets) if task.targets else None
        ensure_targets_allowed(session, actor, saved)
    if actor is not None:  # the last editor owns it: its firings act with its rights
        ensure_may_give_inputs(session, task.automation, task.inputs, actor)
        task.created_by = actor
    session.flush()
    return task


def _ensure_may_manage(session: Session, task: Task, actor: str | None) -> None:
    object_rights.ensure(session, actor, "task", task, "edit")
    ensure_may_manage(
        session, actor, noun="task", name=task.name, owner=task.created_by, targets=task.targets
    )


def set_paused(session: Session, task_id: int, paused: bool, actor: str | None = None) -> Task:
    task = get(session, task_id, actor)
    _ensure_may_manage(session, task, actor)
    task.paused = paused
    if not paused:  # firings missed while paused are not owed
        now = datetime.now(UTC)
        task.checked_until = now
        task.next_fire_at = timing_of(task).next_after(now)
    session.flush()
    return task


def delete(session: Session, task_id: int, actor: str | None = None) -> None:
    task = get(session, task_id, actor)
    _ensure_may_manage(session, task, actor)
    session.delete(task)
    session.flush()


def delete_many(session: Session, ids: list[int], actor: str | None = None) -> bulk.BulkResult:
    """Each through :func:`delete`, all or nothing."""
    return bulk.each(
        ids,
        noun="task",
        name_of=lambda i: get(session, i, actor).name,
        act=lambda i: delete(session, i, actor),
        field="ids",
    )


def list_tasks(
    session: Session, *, name: str | None, limit: int, offset: int, actor: str | None = None
) -> tuple[list[Task], int]:
    """Only what ``actor`` may read (None: everything)."""
    query = select(Task)
    visible = object_rights.readable_clause(session, actor, "task")
    if visible is not None:
        query = query.where(visible)
    if name:
        query = query.where(match_text(Task.name, name, contains=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(session.scalars(query.order_by(Task.name).limit(limit).offset(offset))), total


def firings(
    session: Session, task_id: int, limit: int, actor: str | None = None
) -> list[FiringRead]:
    task = get(session, task_id, actor)
    rows = session.scalars(
        select(TaskFiring)
        .where(TaskFiring.task_id == task.id)
        .order_by(TaskFiring.due_at.desc())
        .limit(limit)
    )
    return [
        FiringRead(
            id=row.id,
            task=task.name,
            due_at=row.due_at,
            fired_at=row.fired_at,
            status=row.status,
            run_id=row.run_id,
            scheduler=row.scheduler,
            error=row.error,
        )
        for row in rows
    ]


def preview(data: TimingPreview, now: datetime | None = None) -> TimingPreviewRead:
    """The next ``count`` firings a timing would make from now, and the timing in words."""
    now = now or datetime.now(UTC)
    timing = Timing(
        kind=data.kind,
        start_at=data.start_at or (now if data.kind == "interval" else None),
        end_at=data.end_at,
        interval_seconds=data.interval_seconds,
        cron=data.cron,
        timezone=data.timezone,
    )
    upcoming: list[datetime] = []
    for moment in timing.slots(now, now + timedelta(days=3660)):
        upcoming.append(moment)
        if len(upcoming) >= data.count:
            break
    return TimingPreviewRead(next=upcoming, summary=describe(timing))


def calendar(
    session: Session, start: datetime, end: datetime, actor: str | None = None
) -> list[CalendarEvent]:
    """Past runs (every trigger), the firings that started no run (skipped, failed), and the
    future firings of unpaused tasks, in [start, end); for ``actor``, only runs of what they
    may read and firings of tasks they may read."""
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("needs a time zone offset (e.g. 2026-12-01T00:00:00Z)", field="from")
    if end <= start:
        raise InvalidInput("must be after from", field="to")
    if end - start > timedelta(days=MAX_CALENDAR_DAYS):
        raise InvalidInput(f"at most {MAX_CALENDAR_DAYS} days at a time", field="to")
    task_ids = dict(session.execute(select(Task.name, Task.id)).all())
    events: list[CalendarEvent] = []
    run_query = select(Run).where(Run.created_at >= start, Run.created_at < end)
    task_query = select(Task)
    readable_tasks = object_rights.readable_clause(session, actor, "task")
    readable_automations = object_rights.readable_clause(session, actor, "service")
    if readable_automations is not None:
        readable = select(Automation.id).where(readable_automations)
        run_query = run_query.where(
            or_(Run.automation_id.is_(None), Run.automation_id.in_(readable))
        )
    if readable_tasks is not None:
        task_query = task_query.where(readable_tasks)
    runs = session.scalars(run_query.order_by(Run.created_at).limit(5000))
    for run in runs:
        task = run.creator.removeprefix("task:") if run.creator.startswith("task:") else None
        events.append(
            CalendarEvent(
                kind="run",
                title=run.name,
                start=run.started_at or run.created_at,
                end=run.ended_at,
                status=run.status,
                run_id=run.id,
                trigger=run.trigger,
                task=task,
                task_id=task_ids.get(task) if task else None,
            )
        )
    missed = session.execute(
        select(TaskFiring, Task.name, Task.automation)
        .join(Task, Task.id == TaskFiring.task_id)
        .where(
            TaskFiring.due_at >= start,
            TaskFiring.due_at < end,
            TaskFiring.run_id.is_(None),
            TaskFiring.status.in_(("skipped", "error")),
            Task.id.in_(task_query.with_only_columns(Task.id)),
        )
        .order_by(TaskFiring.due_at)
        .limit(5000)
    )
    for firing, name, automation in missed:
        events.append(
            CalendarEvent(
                kind="firing",
                title=automation,
                start=firing.due_at,
                status=firing.status,
                task=name,
                task_id=firing.task_id,
                error=firing.error,
            )
        )
    now = datetime.now(UTC)
    after = max(start, now) - timedelta(microseconds=1)
    for row in session.scalars(task_query.where(Task.paused.is_(False))):
        for count, moment in enumerate(timing_of(row).slots(after, end)):
            if count >= MAX_FUTURE_PER_TASK or moment >= end:
                break
            events.append(
                CalendarEvent(
                    kind="firing",
                    title=row.automation,
                    start=moment,
                    status="scheduled",
                    task=row.name,
                    task_id=row.id,
                )
            )
    events.sort(key=lambda event: event.start)
    return events

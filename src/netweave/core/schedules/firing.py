"""The scheduler's one step: for every due task, the due times since it was last checked,
the misfire policy for the late ones, and a firing row per due time — inserted under a
unique key, so with several schedulers exactly one of them fires each due time."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from netweave.core.access import object_rights
from netweave.core.automation.runs import RunService
from netweave.core.automation.schemas import RunRequest, TargetSpec
from netweave.core.schedules.tasks import timing_of
from netweave.db.models import Task, TaskFiring
from netweave.foundation.errors import NetWeaveError, NotFound

log = logging.getLogger(__name__)
MAX_CATCH_UP = 100


@dataclass
class TickReport:
    fired: int = 0
    skipped: int = 0
    lost_races: int = 0  # due times another scheduler fired first
    errors: int = 0


def run_request(task: Task) -> RunRequest:
    """What a firing of ``task`` asks for: its targets (or the automation's), variables
    and inputs."""
    return RunRequest(
        targets=TargetSpec.model_validate(task.targets) if task.targets else None,
        variables=task.variables,
        inputs=task.inputs,
    )


class TaskFirer:
    def __init__(self, sessions: sessionmaker[Session], runs: RunService, name: str) -> None:
        self.sessions = sessions
        self.runs = runs
        self.name = name
        self.totals = TickReport()

    def tick(self, now: datetime | None = None) -> TickReport:
        now = now or datetime.now(UTC)
        report = TickReport()
        with self.sessions() as session:
            due = list(
                session.scalars(
                    select(Task.id).where(Task.paused.is_(False), Task.next_fire_at <= now)
                )
            )
        for task_id in due:
            try:
                self._task(task_id, now, report)
            except Exception:  # one broken task must not stop the others
                log.exception("task %s", task_id)
                report.errors += 1
        for field in ("fired", "skipped", "lost_races", "errors"):
            setattr(self.totals, field, getattr(self.totals, field) + getattr(report, field))
        return report

    def _task(self, task_id: int, now: datetime, report: TickReport) -> None:
        with self.sessions() as session:
            task = session.get(Task, task_id)
            if task is None or task.paused:
                return
            timing = timing_of(task)
            since = task.checked_until or task.created_at
            slots = list(timing.slots(since, now))[-MAX_CATCH_UP:]
            grace = timedelta(seconds=task.misfire_grace)
            late = [s for s in slots if now - s > grace]
            on_time = [s for s in slots if now - s <= grace]
            fire = list(on_time)
            skip: list[datetime] = []
            if task.misfire == "run_all":
                fire = late + on_time
            elif task.misfire == "run_once" and late and not on_time:
                fire, skip = [late[-1]], late[:-1]
            else:
                skip = late
            name, automation, owner = task.name, task.automation, task.created_by
            request = run_request(task)
        for moment in skip:
            if self._claim(task_id, moment, "skipped"):
                report.skipped += 1
        for moment in fire:
            firing_id = self._claim(task_id, moment, "fired")
            if firing_id is None:
                report.lost_races += 1
                continue
            self._launch(firing_id, name, automation, request, moment, report, owner)
        with self.sessions() as session, session.begin():
            following = timing.next_after(now)
            session.execute(
                update(Task)
                .where(Task.id == task_id)
                .values(
                    checked_until=now,
                    next_fire_at=following,
                    **({"last_fire_at": fire[-1]} if fire else {}),
                )
            )

    def _claim(self, task_id: int, due: datetime, status: str) -> int | None:
        """Insert the firing row; None when another scheduler already has this due time."""
        try:
            with self.sessions() as session, session.begin():
                row = TaskFiring(task_id=task_id, due_at=due, status=status, scheduler=self.name)
                session.add(row)
                session.flush()
                return row.id
        except IntegrityError:
            return None

    def _launch(
        self,
        firing_id: int,
        task: str,
        automation: str,
        request: RunRequest,
        due: datetime,
        report: TickReport,
        owner: str | None = None,
    ) -> None:
        """``owner``: the task's creator, whose pool restriction applies to its runs."""
        values: dict[str, object]
        try:
            run = self.runs.launch(
                automation, request, f"task:{task}", trigger="schedule", acting_user=owner
            )
            values = {"run_id": run.id}
            report.fired += 1
        except NetWeaveError as exc:
            values = {"status": "error", "error": exc.to_detail()}
            report.errors += 1
            log.warning("task %s (due %s): %s", task, due.isoformat(), exc.to_detail())
        with self.sessions() as session, session.begin():
            session.execute(update(TaskFiring).where(TaskFiring.id == firing_id).values(**values))

    def run_now(self, task_id: int, acting_user: str | None = None) -> str:
        """Fire a task at once, outside its schedule (recorded as a manual firing);
        ``acting_user``'s pool restriction applies."""
        with self.sessions() as session:
            task = session.get(Task, task_id)
            if task is None:
                raise NotFound(f"no task {task_id}", field="id")
            object_rights.ensure(session, acting_user, "task", task, "run", ref=str(task_id))
            request = run_request(task)
            name, automation = task.name, task.automation
        run = self.runs.launch(
            automation, request, f"task:{name}", trigger="schedule", acting_user=acting_user
        )
        with self.sessions() as session, session.begin():
            session.add(
                TaskFiring(
                    task_id=task_id,
                    due_at=datetime.now(UTC),
                    status="manual",
                    run_id=run.id,
                    scheduler=self.name,
                )
            )
        return run.id

"""eNMS tasks as NetWeave tasks.

``scheduling_mode`` crontab: ``crontab_expression`` → cron (UTC). Standard: ``frequency``
times ``frequency_unit`` (seconds, minutes, hours, days) → interval_seconds from
``start_date``; no frequency → once at ``start_date`` (one in the past is skipped).
``end_date`` → end_at; ``devices``/``pools`` → targets; ``service`` → the automation
(skipped when that service or workflow was); ``is_active`` false → paused. eNMS dates are
``DD/MM/YYYY HH:MM:SS`` (or ISO), read as UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from netweave.core.migration.enms.automation import automation_name
from netweave.core.migration.enms.report import KindReport
from netweave.core.schedules import tasks
from netweave.core.schedules.schemas import TaskCreate, TaskUpdate, _Timing
from netweave.db.models import Automation, Task

UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
DATE_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
TIMING_FIELDS = ("kind", "interval_seconds", "cron", "timezone", "end_at")


@dataclass
class TaskPlan:
    create: TaskCreate
    existing: Task | None


class Unreadable(Exception):
    pass


def parse_date(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise Unreadable(f"not a date: {text!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _timing(record: dict[str, Any]) -> dict[str, Any]:
    start, end = parse_date(record.get("start_date")), parse_date(record.get("end_date"))
    timing: dict[str, Any] = {"start_at": start, "end_at": end}
    if str(record.get("scheduling_mode") or "standard") == "crontab":
        timing.update(kind="cron", cron=str(record.get("crontab_expression") or ""))
        return timing
    frequency = record.get("frequency")
    if frequency not in (None, "", 0):
        unit = str(record.get("frequency_unit") or "seconds")
        if unit not in UNITS:
            raise Unreadable(f"frequency_unit {unit!r}: one of {', '.join(UNITS)}")
        try:
            seconds = int(frequency) * UNITS[unit]
        except (TypeError, ValueError) as exc:
            raise Unreadable(f"frequency {frequency!r} is not a number") from exc
        timing.update(kind="interval", interval_seconds=seconds)
        return timing
    if start is None:
        raise Unreadable("neither a frequency, a crontab expression nor a start date")
    if start <= datetime.now(UTC):
        raise Unreadable(f"a one-off task whose date ({start.isoformat()}) is past")
    timing.update(kind="once")
    return timing


def plan_tasks(
    session: Session,
    records: list[tuple[int, dict[str, Any]]],
    automations: dict[str, str],
    devices: set[str],
    pools: dict[str, str],
    report: KindReport,
) -> list[TaskPlan]:
    """``automations``: eNMS service/workflow name → NetWeave name, for those imported."""
    plans: list[TaskPlan] = []
    for number, record in records:
        source = str(record.get("name") or "")
        if not source:
            report.skip(f"#{number}", "no name")
            continue
        service = str(record.get("service") or "")
        automation = automations.get(service)
        if automation is None:
            known = session.scalar(select(Automation.name).where(Automation.name == service))
            if known is None:
                report.skip(source, f"its service {service!r} was not imported")
                continue
            automation = known
        targets = {
            "devices": sorted({str(d) for d in record.get("devices") or [] if str(d) in devices}),
            "pools": sorted({pools[str(p)] for p in record.get("pools") or [] if str(p) in pools}),
        }
        try:
            create = TaskCreate.model_validate(
                {
                    "name": automation_name(source),
                    "description": str(record.get("description") or ""),
                    "automation": automation,
                    "targets": targets if targets["devices"] or targets["pools"] else None,
                    "paused": record.get("is_active") is False,
                    **_timing(record),
                }
            )
        except Unreadable as exc:
            report.skip(source, str(exc))
            continue
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"])
            message = problem["msg"].removeprefix("Value error, ")
            report.skip(source, f"{where}: {message}" if where else message)
            continue
        existing = session.scalar(select(Task).where(Task.name == create.name))
        if existing is None:
            report.create(create.name)
        elif _same(existing, create):
            report.unchanged += 1
            continue
        else:
            report.change(create.name)
        plans.append(TaskPlan(create, existing))
    return plans


def _targets(create: TaskCreate) -> dict[str, Any] | None:
    return create.targets.model_dump(mode="json", exclude_defaults=True) if create.targets else None


def _same(task: Task, create: TaskCreate) -> bool:
    if (task.automation, task.description, task.paused) != (
        create.automation,
        create.description,
        create.paused,
    ):
        return False
    if task.targets != _targets(create):
        return False
    for name in TIMING_FIELDS:
        if _naive(getattr(task, name)) != _naive(getattr(create, name)):
            return False
    return create.start_at is None or _naive(task.start_at) == _naive(create.start_at)


def _naive(value: Any) -> Any:
    """Datetimes compared in UTC without their zone (SQLite returns them naive)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def apply_tasks(session: Session, plans: list[TaskPlan], creator: str) -> None:
    for plan in plans:
        create = plan.create
        if plan.existing is None:
            tasks.create(session, create, creator)
            continue
        timing = _Timing.model_validate(
            create.model_dump(include=set(_Timing.model_fields), exclude_unset=False)
        )
        update = TaskUpdate(
            description=create.description,
            automation=create.automation,
            targets=create.targets,
            timing=timing,
        )
        tasks.update(session, plan.existing.id, update)
        plan.existing.targets = _targets(create)  # None too: the task's own targets go
        if plan.existing.paused != create.paused:
            tasks.set_paused(session, plan.existing.id, create.paused)

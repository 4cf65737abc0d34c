"""Create/Update/Read schemas of tasks, their firings and the calendar."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from netweave.core.automation.schemas import AutomationName, TargetSpec
from netweave.core.schedules.timing import check_cron, check_zone
from netweave.foundation.bounded import BoundedJson

Cron = Annotated[str, Field(max_length=128), AfterValidator(check_cron)]
Zone = Annotated[str, Field(max_length=64), AfterValidator(check_zone)]
Misfire = Literal["skip", "run_once", "run_all"]


class _Timing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["once", "interval", "cron"]
    start_at: datetime | None = Field(
        default=None, description="once: when; interval: first firing; cron: not before"
    )
    end_at: datetime | None = Field(default=None, description="No firing after this")
    interval_seconds: int | None = Field(default=None, ge=1, le=366 * 86400)
    cron: Cron | None = Field(default=None, description="5 fields: m h dom mon dow")
    timezone: Zone = Field(default="UTC", description="For cron: the clock it follows")
    misfire: Misfire = Field(
        default="run_once",
        description="Firings missed by more than misfire_grace (scheduler down): skip them, "
        "run the latest once, or run them all",
    )
    misfire_grace: int = Field(default=300, ge=0, le=7 * 86400, description="Seconds")

    @model_validator(mode="after")
    def _consistent(self) -> _Timing:
        for name in ("start_at", "end_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} needs a time zone offset (e.g. 2026-12-01T02:00:00Z)")
        if self.kind == "once" and self.start_at is None:
            raise ValueError("start_at: a once task needs its date")
        if self.kind == "interval" and not self.interval_seconds:
            raise ValueError("interval_seconds: an interval task needs it")
        if self.kind == "cron" and not self.cron:
            raise ValueError("cron: a cron task needs an expression")
        if self.start_at and self.end_at and self.end_at <= self.start_at:
            raise ValueError("end_at must be after start_at")
        return self


class TaskCreate(_Timing):
    name: AutomationName
    description: str = ""
    automation: AutomationName = Field(description="The service or workflow to run")
    targets: TargetSpec | None = Field(default=None, description="Default: the automation's")
    variables: BoundedJson = Field(default_factory=dict)
    inputs: BoundedJson = Field(default_factory=dict)
    paused: bool = False


class TaskUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = None
    automation: AutomationName | None = Field(default=None, description="Run another one")
    targets: TargetSpec | None = None
    variables: BoundedJson | None = None
    inputs: BoundedJson | None = None
    timing: _Timing | None = Field(default=None, description="Replace the whole timing")


class TaskRead(BaseModel):
    id: int
    name: str
    description: str
    automation: str
    targets: dict[str, Any] | None
    variables: dict[str, Any]
    inputs: dict[str, Any]
    kind: str
    start_at: datetime | None
    end_at: datetime | None
    interval_seconds: int | None
    cron: str | None
    timezone: str
    misfire: str
    misfire_grace: int
    paused: bool
    summary: str = Field(description="The timing in words")
    next_fire_at: datetime | None
    last_fire_at: datetime | None
    created_by: str
    created_at: datetime


class FiringRead(BaseModel):
    id: int
    task: str
    due_at: datetime
    fired_at: datetime
    status: str
    run_id: str | None
    scheduler: str
    error: str | None


class TimingPreview(_Timing):
    """A timing to try before saving: its next firings."""

    count: int = Field(default=5, ge=1, le=50, description="How many firings to list")


class TimingPreviewRead(BaseModel):
    next: list[datetime] = Field(description="The next firings (UTC), oldest first")
    summary: str = Field(description="The timing in words")


class CalendarEvent(BaseModel):
    kind: Literal["run", "firing"]
    title: str
    start: datetime
    end: datetime | None = None
    status: str = Field(description="A run's status; a firing: scheduled, skipped or error")
    run_id: str | None = None
    task: str | None = None
    task_id: int | None = None
    trigger: str | None = None
    error: str | None = None

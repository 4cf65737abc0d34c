"""Scheduling and events: tasks and their firings, REST triggers, syslog messages, event
rules and their firings, and the changelog."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from netweave.db.base import Base, Timestamped, utcnow


class Task(Timestamped, Base):
    """Runs a service or workflow once at a date, every interval, or on a cron schedule."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    automation: Mapped[str] = mapped_column(String(255), index=True)  # service/workflow name
    targets: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    variables: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    kind: Mapped[str] = mapped_column(String(16))  # once | interval | cron
    start_at: Mapped[datetime | None] = mapped_column(default=None)
    end_at: Mapped[datetime | None] = mapped_column(default=None)
    interval_seconds: Mapped[int | None] = mapped_column(default=None)
    cron: Mapped[str | None] = mapped_column(String(128), default=None)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    misfire: Mapped[str] = mapped_column(String(16), default="run_once")
    misfire_grace: Mapped[int] = mapped_column(default=300)
    paused: Mapped[bool] = mapped_column(default=False)
    next_fire_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    last_fire_at: Mapped[datetime | None] = mapped_column(default=None)
    checked_until: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[str] = mapped_column(String(128), default="")


class TaskFiring(Base):
    """One due time of one task: the unique key makes it fire exactly once, whatever the
    number of schedulers."""

    __tablename__ = "task_firings"
    __table_args__ = (UniqueConstraint("task_id", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    due_at: Mapped[datetime] = mapped_column(index=True)
    fired_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="fired")  # fired|skipped|error|manual
    run_id: Mapped[str | None] = mapped_column(String(36), default=None)
    scheduler: Mapped[str] = mapped_column(String(128), default="")
    error: Mapped[str | None] = mapped_column(Text, default=None)


class Trigger(Timestamped, Base):
    """An endpoint an external system calls to start a service or workflow."""

    __tablename__ = "triggers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    automation: Mapped[str] = mapped_column(String(255))
    variables: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # payload mappings
    device_path: Mapped[str | None] = mapped_column(String(255), default=None)
    targets: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    enabled: Mapped[bool] = mapped_column(default=True)
    fired: Mapped[int] = mapped_column(default=0)
    last_fired_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[str] = mapped_column(String(128), default="")  # whose fence applies


class SyslogEntry(Base):
    __tablename__ = "syslog_messages"
    __table_args__ = (Index("ix_syslog_device_time", "device_id", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    source: Mapped[str] = mapped_column(String(64), default="")
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("devices.id", ondelete="SET NULL"), default=None
    )
    device_name: Mapped[str] = mapped_column(String(255), default="")
    facility: Mapped[int] = mapped_column(default=1)
    severity: Mapped[int] = mapped_column(default=5, index=True)
    hostname: Mapped[str] = mapped_column(String(255), default="")
    program: Mapped[str] = mapped_column(String(128), default="", index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # pid, msgid, sd, rfc


class EventRule(Timestamped, Base):
    __tablename__ = "event_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    automation: Mapped[str] = mapped_column(String(255))
    match: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # devices/pool/...
    dedup_window: Mapped[int] = mapped_column(default=60)
    rate_limit: Mapped[int] = mapped_column(default=10)  # firings per minute
    fired: Mapped[int] = mapped_column(default=0)
    last_fired_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[str] = mapped_column(String(128), default="")  # whose fence applies


class RuleFiring(Base):
    __tablename__ = "rule_firings"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(
        ForeignKey("event_rules.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(16))  # fired | deduplicated | rate_limited | error
    device_name: Mapped[str] = mapped_column(String(255), default="")
    groups: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[int | None] = mapped_column(default=None)
    run_id: Mapped[str | None] = mapped_column(String(36), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class ChangeRecord(Base):
    """Who did what, when: every create, update and delete, and every run start."""

    __tablename__ = "changelog"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(128), default="", index=True)
    action: Mapped[str] = mapped_column(String(16), index=True)  # create|update|delete|run
    object_type: Mapped[str] = mapped_column(String(64), index=True)
    object_id: Mapped[str] = mapped_column(String(64), default="")
    object_name: Mapped[str] = mapped_column(String(255), default="")
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

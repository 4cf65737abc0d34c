"""Automation: service types, services and workflows, runs, per-device results, and the
versioned configuration store. Everything is JSON, nothing pickled."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from netweave.db.base import Base, Timestamped, utcnow


class ServiceType(Base):
    """A discovered service class. Built-ins are enabled; custom ones wait for an admin."""

    __tablename__ = "service_types"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # builtin | entry_point | folder
    title: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    module: Mapped[str] = mapped_column(String(1024), default="")
    digest: Mapped[str] = mapped_column(String(64), default="")
    input_schema: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    per_device: Mapped[bool] = mapped_column(default=True)
    driver: Mapped[str | None] = mapped_column(String(32), default=None)
    enabled: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    discovered_at: Mapped[datetime] = mapped_column(default=utcnow)


class Automation(Timestamped, Base):
    """A service (``kind='service'``: a type + inputs + options) or a workflow
    (``kind='workflow'``: a graph of services). One name space for both."""

    __tablename__ = "automations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)  # service | workflow
    type: Mapped[str] = mapped_column(String(128))  # service type, or "workflow"
    description: Mapped[str] = mapped_column(Text, default="")
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    graph: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_by: Mapped[str] = mapped_column(String(128), default="")


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    automation_id: Mapped[int | None] = mapped_column(
        ForeignKey("automations.id", ondelete="SET NULL"), default=None, index=True
    )
    name: Mapped[str] = mapped_column(String(255), index=True)  # at run time
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True, default="queued")
    mode: Mapped[str] = mapped_column(String(16), default="per_device")  # | per_run
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)  # flattened graph + steps
    targets: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # id, name
    variables: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    trigger: Mapped[str] = mapped_column(String(32), default="api")
    creator: Mapped[str] = mapped_column(String(128), default="")
    parent_id: Mapped[str | None] = mapped_column(String(36), default=None)
    start_at: Mapped[str | None] = mapped_column(String(255), default=None)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    process: Mapped[str | None] = mapped_column(String(128), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)


class Result(Base):
    """One step on one device (or once for all targets) in one run."""

    __tablename__ = "results"
    __table_args__ = (Index("ix_results_run_step", "run_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(255), default="")
    service: Mapped[str] = mapped_column(String(255), index=True)
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("devices.id", ondelete="SET NULL"), default=None, index=True
    )
    device_name: Mapped[str] = mapped_column(String(255), default="")
    success: Mapped[bool] = mapped_column(default=False)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    variables: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    logs: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(default=1)
    job_id: Mapped[str | None] = mapped_column(String(36), default=None)
    copied: Mapped[bool] = mapped_column(default=False)  # carried over by a restart
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConfigVersion(Base):
    """One stored version of a device's running configuration (``command`` empty) or of a
    show command's output (operational data, ``command`` the show command), numbered per
    device and command. ``commit`` is the git commit holding it (NULL until the
    configuration repository has taken it: SQL is the source of truth, git is derived)."""

    __tablename__ = "config_versions"
    __table_args__ = (UniqueConstraint("device_id", "command", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    command: Mapped[str] = mapped_column(String(255), default="", server_default="")
    version: Mapped[int] = mapped_column()
    content: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(default=0)
    source: Mapped[str] = mapped_column(String(32), default="backup")
    run_id: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    commit: Mapped[str | None] = mapped_column(String(40), default=None, index=True)


class Lease(Base):
    """A named duty held by one process until ``until`` (scheduled work fires once even
    with several servers): taken with one conditional UPDATE, atomic on every backend."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128), default="")
    until: Mapped[datetime] = mapped_column(default=utcnow)

"""Device-operation jobs: SQL is the source of truth; queues only carry the id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from netweave.db.base import Base, utcnow


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_device", "device_host", "device_port"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True, default="queued")
    queue: Mapped[str] = mapped_column(String(128), default="fifo")
    worker: Mapped[str | None] = mapped_column(String(128), default=None)
    driver: Mapped[str] = mapped_column(String(32))
    operation: Mapped[str] = mapped_column(String(16))  # command | config
    device_host: Mapped[str] = mapped_column(String(255))
    device_port: Mapped[int] = mapped_column(default=22)
    device_user: Mapped[str] = mapped_column(String(128), default="")
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("devices.id", ondelete="SET NULL"), default=None, index=True
    )
    credential_id: Mapped[int | None] = mapped_column(
        ForeignKey("credentials.id", ondelete="SET NULL"), default=None
    )
    run_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)  # secrets removed
    secret_enc: Mapped[str | None] = mapped_column(Text, default=None)  # Fernet, inline creds
    webhook: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    ttl: Mapped[int] = mapped_column(default=300)
    retries: Mapped[int] = mapped_column(default=0)  # re-runs allowed after a lost worker
    attempts: Mapped[int] = mapped_column(default=0)  # runs started so far
    execution_timeout: Mapped[int | None] = mapped_column(default=None)
    result_ttl: Mapped[int] = mapped_column(default=1800)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    enqueued_at: Mapped[datetime | None] = mapped_column(default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)

"""Web SSH terminal sessions: who opened a shell on which device, when, for how long, how
many bytes each way, why it closed, and what the user typed (never what they typed at a
password prompt)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from netweave.db.base import Base, utcnow


class TerminalSession(Base):
    __tablename__ = "terminal_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, index=True
    )
    username: Mapped[str] = mapped_column(String(64), index=True)  # kept if the user goes
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("devices.id", ondelete="SET NULL"), default=None, index=True
    )
    device_name: Mapped[str] = mapped_column(String(255), index=True)
    host: Mapped[str] = mapped_column(String(255), default="")
    port: Mapped[int] = mapped_column(default=22)
    client: Mapped[str] = mapped_column(String(64), default="")  # the browser's address
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    bytes_in: Mapped[int] = mapped_column(BigInteger, default=0)  # user → device
    bytes_out: Mapped[int] = mapped_column(BigInteger, default=0)  # device → user
    close_reason: Mapped[str] = mapped_column(String(255), default="")
    transcript: Mapped[str] = mapped_column(Text, default="")
    transcript_truncated: Mapped[bool] = mapped_column(default=False)

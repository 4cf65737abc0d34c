"""What the API shows of terminal sessions (the transcript only one at a time)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class TerminalSessionRead(BaseModel):
    id: int
    user_id: int | None
    username: str
    device_id: int | None = Field(description="None once the device was deleted")
    device_name: str
    host: str
    port: int
    client: str = Field(description="The address the browser connected from")
    started_at: datetime
    ended_at: datetime | None = Field(description="None while the session is open")
    duration_seconds: float | None
    bytes_in: int = Field(description="Bytes the user sent to the device")
    bytes_out: int = Field(description="Bytes the device sent to the user")
    close_reason: str
    transcript_chars: int
    transcript_truncated: bool


class TerminalSessionDetail(TerminalSessionRead):
    transcript: str = Field(
        description="What the user typed, line by line; input at password prompts is hidden"
    )

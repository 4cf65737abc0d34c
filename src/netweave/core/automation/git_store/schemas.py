"""API shapes of the configuration repository and of operational data."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from netweave.core.automation.schemas import ConfigVersionRead


class GitCommitRead(BaseModel):
    commit: str = Field(description="The commit's sha")
    version: int = Field(description="The stored version it holds")
    command: str = Field(description="Empty: the running configuration; else the show command")
    time: datetime = Field(description="When the version was stored (the commit time)")
    message: str
    path: str | None = Field(description="The file in the repository")


class GitFileRead(BaseModel):
    device: str
    command: str
    commit: str
    path: str
    version: int | None = Field(description="The stored version this text is (None: unknown)")
    time: datetime = Field(description="The commit's time")
    content: str


class GitBlameLine(BaseModel):
    line_number: int
    line: str
    commit: str = Field(description="The commit where the line first appeared")
    version: int | None
    time: datetime


class GitBlameRead(BaseModel):
    device: str
    command: str
    commit: str = Field(description="The commit blamed")
    path: str
    version: int | None
    truncated: bool = Field(
        description="The walk stopped at its bound: the remaining lines are attributed to "
        "the oldest version walked"
    )
    lines: list[GitBlameLine]


class GitStatusRead(BaseModel):
    enabled: bool
    path: str | None = None
    head: str | None = None
    pending: int = Field(default=0, description="Stored versions not committed yet")
    remote: str | None = Field(default=None, description="Without its credentials")
    push: bool = False
    pushed_head: str | None = None
    last_sync_at: str | None = None
    last_sync_error: str | None = None
    last_push_at: str | None = None
    last_push_error: str | None = None
    committed: int | None = Field(default=None, description="Commits made by this sync")


class OperationalRead(ConfigVersionRead):
    slug: str = Field(description="The command in API paths and file names")

"""Schemas of per-object permissions (see :mod:`object_rights`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Right = Literal["read", "run", "edit"]
Kind = Literal["service", "workflow", "task", "event_rule", "credential", "pool"]
RIGHTS: tuple[Right, ...] = ("read", "run", "edit")


class GrantEntry(BaseModel):
    """A group's rights on one object; run and edit imply read."""

    model_config = ConfigDict(extra="forbid")

    group: str = Field(min_length=1, max_length=64)
    read: bool = True
    run: bool = False
    edit: bool = False

    @model_validator(mode="after")
    def _implied(self) -> GrantEntry:
        if self.run or self.edit:
            self.read = True
        return self


class ObjectAccessUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    restricted: bool = Field(
        description="true: only admins, the owner and the groups granted below reach it; "
        "false: open to every role as usual (then grants must be empty)"
    )
    grants: list[GrantEntry] = Field(default_factory=list, max_length=200)
    owner: str | None = Field(
        default=None, description="Hand the object to another user (admins only)"
    )


class ObjectAccessRead(BaseModel):
    kind: Kind
    object_id: int
    name: str
    owner: str = Field(description="Its creator, empty for the system's")
    restricted: bool
    grants: list[GrantEntry]
    mine: list[Right] = Field(description="What the caller may do with it (role included)")
    manage: bool = Field(description="Whether the caller may change these permissions")


class MatrixCell(BaseModel):
    group: str
    rights: list[Right]


class MatrixRow(BaseModel):
    kind: Kind
    object_id: int
    name: str
    owner: str
    restricted: bool
    cells: list[MatrixCell] = Field(
        description="Every group with what its members may do (role and grants)"
    )


class AccessMatrix(BaseModel):
    groups: list[str]
    rows: list[MatrixRow]

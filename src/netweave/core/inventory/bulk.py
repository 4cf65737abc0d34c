"""Changes to many devices at once (the UI's bulk edit and delete): all or nothing.

Each device goes through the same pool fences, credential scopes and changelog as a
single change; the first refusal names the device and the whole request is rolled back
(the caller does not commit)."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from netweave.core.access import fences
from netweave.core.inventory.schemas import DeviceUpdate, Driver, Platform, ShortText, Tag
from netweave.db.models import Device
from netweave.foundation.errors import InvalidInput, NetWeaveError, NotFound

MAX_BULK = 1000

DeviceIds = Field(
    min_length=1, max_length=MAX_BULK, description="The devices' ids (at most 1000, no repeats)"
)


def _unique(ids: list[int]) -> list[int]:
    if len(set(ids)) != len(ids):
        raise ValueError("an id is listed twice")
    return ids


class DeviceBulkChanges(BaseModel):
    """The fields set on every selected device (names and addresses are per device)."""

    model_config = ConfigDict(extra="forbid")

    platform: Platform | None = None
    driver: Driver | None = None
    vendor: ShortText | None = None
    model: ShortText | None = None
    os_version: ShortText | None = None
    site: ShortText | None = None
    tags: list[Tag] | None = Field(default=None, max_length=64)
    credential: str | None = Field(default=None, description="A credential's name; '' clears")
    bastion: str | None = Field(default=None, description="A bastion's name; '' clears")


class DeviceBulkUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[int] = DeviceIds
    changes: DeviceBulkChanges

    _ids = field_validator("ids")(_unique)


class DeviceBulkDelete(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[int] = DeviceIds

    _ids = field_validator("ids")(_unique)


class BulkResult(BaseModel):
    count: int
    names: list[str]


def _each(session: Session, ids: list[int], act: Callable[[Device], object]) -> BulkResult:
    rows = {d.id: d for d in session.scalars(select(Device).where(Device.id.in_(ids)))}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise NotFound(f"no device with id {', '.join(map(str, missing))}", field="ids")
    names: list[str] = []
    for ident in ids:
        name = rows[ident].name
        try:
            act(rows[ident])
        except NetWeaveError as exc:
            exc.message = f"device {name!r}: {exc.message}"
            raise
        names.append(name)
    return BulkResult(count=len(names), names=names)


def update_devices(session: Session, data: DeviceBulkUpdate, actor: str | None) -> BulkResult:
    if not data.changes.model_fields_set:
        raise InvalidInput("set at least one field", field="changes")
    update = DeviceUpdate(**data.changes.model_dump(exclude_unset=True))
    return _each(session, data.ids, lambda d: fences.update_device(session, d.id, update, actor))


def delete_devices(session: Session, data: DeviceBulkDelete, actor: str | None) -> BulkResult:
    return _each(session, data.ids, lambda d: fences.delete_device(session, d.id, actor))

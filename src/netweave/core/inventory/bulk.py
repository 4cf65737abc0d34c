"""Inventory changes to many objects at once (the tables' bulk edit and delete): all or
nothing (:func:`netweave.core.bulk.each`).

Each object goes through its single change — the same pool fences, credential scopes,
in-use refusals and changelog; the first refusal names the object and the whole request is
rolled back (the caller does not commit)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from netweave.core import bulk
from netweave.core.access import fences
from netweave.core.bulk import BulkIds, BulkResult
from netweave.core.inventory import bastions, credentials, devices, links, pools
from netweave.core.inventory.schemas import DeviceUpdate, Driver, Platform, ShortText, Tag
from netweave.foundation.errors import InvalidInput


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


class DeviceBulkUpdate(BulkIds):
    changes: DeviceBulkChanges


def update_devices(session: Session, data: DeviceBulkUpdate, actor: str | None) -> BulkResult:
    if not data.changes.model_fields_set:
        raise InvalidInput("set at least one field", field="changes")
    update = DeviceUpdate(**data.changes.model_dump(exclude_unset=True))
    return bulk.each(
        data.ids,
        noun="device",
        name_of=lambda i: devices.get_device(session, i).name,
        act=lambda i: fences.update_device(session, i, update, actor),
        field="ids",
        keep_field=True,
    )


# -- deletes: each object through its single delete (and its checks) -----------------------


def delete_devices(session: Session, data: BulkIds, actor: str | None) -> BulkResult:
    return bulk.each(
        data.ids,
        noun="device",
        name_of=lambda i: devices.get_device(session, i).name,
        act=lambda i: fences.delete_device(session, i, actor),
        field="ids",
    )


def delete_links(session: Session, data: BulkIds, actor: str | None) -> BulkResult:
    return bulk.each(
        data.ids,
        noun="link",
        name_of=lambda i: links.get_link(session, i).name,
        act=lambda i: fences.delete_link(session, i, actor),
        field="ids",
    )


def delete_pools(session: Session, data: BulkIds, actor: str | None) -> BulkResult:
    return bulk.each(
        data.ids,
        noun="pool",
        name_of=lambda i: pools.get_pool(session, i).name,
        act=lambda i: fences.delete_pool(session, i, actor),
        field="ids",
    )


def delete_credentials(session: Session, data: BulkIds) -> BulkResult:
    """Admins only (the route's role, as for a single delete)."""
    return bulk.each(
        data.ids,
        noun="credential",
        name_of=lambda i: credentials.get_credential(session, i).name,
        act=lambda i: credentials.delete_credential(session, i),
        field="ids",
    )


def delete_bastions(session: Session, data: BulkIds) -> BulkResult:
    """Admins only (the route's role); a bastion and the one behind it go in any order."""
    return bulk.each(
        data.ids,
        noun="bastion",
        name_of=lambda i: bastions.get_bastion(session, i).name,
        act=lambda i: bastions.delete_bastion(session, i),
        field="ids",
        defer_conflicts=True,
    )

"""Devices: paged, sorted and filtered server-side."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from netweave.api.deps import DbSession, Operator, Viewer
from netweave.api.params import MAX_ID, Id
from netweave.api.responses import LOOKUP_CONFLICT, NOT_FOUND
from netweave.core.access import fences
from netweave.core.bulk import BulkIds, BulkResult
from netweave.core.inventory import bulk, devices
from netweave.core.inventory.bulk import DeviceBulkUpdate
from netweave.core.inventory.schemas import (
    DeviceCreate,
    DeviceFilter,
    DeviceRead,
    DeviceUpdate,
    Page,
)

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])


class DeviceListQuery(DeviceFilter):
    """Filters plus paging; an unknown query parameter is a 422, not silently ignored."""

    sort: str | None = Field(default=None, description="Fields, '-' for descending: -site,name")
    limit: int = Field(default=50, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=MAX_ID)

    def device_filter(self) -> DeviceFilter:
        return DeviceFilter(**self.model_dump(exclude={"sort", "limit", "offset"}))


@router.get("", response_model=Page[DeviceRead])
def list_devices(
    _: Viewer,
    db: DbSession,
    query: Annotated[DeviceListQuery, Query()],
) -> Page[DeviceRead]:
    rows, total = devices.list_devices(
        db, query.device_filter(), sort=query.sort, limit=query.limit, offset=query.offset
    )
    items = [devices.to_read(d) for d in rows]
    return Page(items=items, total=total, limit=query.limit, offset=query.offset)


@router.post("", response_model=DeviceRead, status_code=201, responses=LOOKUP_CONFLICT)
def create_device(body: DeviceCreate, principal: Operator, db: DbSession) -> DeviceRead:
    device = fences.create_device(db, body, principal.username)
    db.commit()
    return devices.to_read(device)


@router.patch("/bulk", response_model=BulkResult, responses=LOOKUP_CONFLICT)
def bulk_update_devices(body: DeviceBulkUpdate, principal: Operator, db: DbSession) -> BulkResult:
    """Set the same fields on every listed device: all or nothing (pool fences and
    credential scopes apply to each; the first refusal names the device)."""
    result = bulk.update_devices(db, body, principal.username)
    db.commit()
    return result


@router.post("/bulk-delete", response_model=BulkResult, responses=NOT_FOUND)
def bulk_delete_devices(body: BulkIds, principal: Operator, db: DbSession) -> BulkResult:
    """Delete every listed device: all or nothing (pool fences apply to each)."""
    result = bulk.delete_devices(db, body, principal.username)
    db.commit()
    return result


@router.get("/{device_id}", response_model=DeviceRead, responses=NOT_FOUND)
def get_device(device_id: Id, _: Viewer, db: DbSession) -> DeviceRead:
    return devices.to_read(devices.get_device(db, device_id))


@router.patch("/{device_id}", response_model=DeviceRead, responses=LOOKUP_CONFLICT)
def update_device(
    device_id: Id, body: DeviceUpdate, principal: Operator, db: DbSession
) -> DeviceRead:
    device = fences.update_device(db, device_id, body, principal.username)
    db.commit()
    return devices.to_read(device)


@router.delete("/{device_id}", status_code=204, responses=NOT_FOUND)
def delete_device(device_id: Id, principal: Operator, db: DbSession) -> None:
    fences.delete_device(db, device_id, principal.username)
    db.commit()

"""Device use cases."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from netweave.core.inventory.credential_scope import Destination, ensure_in_scope
from netweave.core.inventory.credentials import credential_by_name
from netweave.core.inventory.query import (
    DEVICE_SORT_FIELDS,
    device_filter_clause,
    paged,
    parse_sort,
)
from netweave.core.inventory.schemas import DeviceCreate, DeviceFilter, DeviceRead, DeviceUpdate
from netweave.db.models import Bastion, Device, DeviceTag
from netweave.foundation.errors import Conflict, NotFound


def to_read(device: Device) -> DeviceRead:
    return DeviceRead(
        id=device.id,
        name=device.name,
        host=device.host,
        port=device.port,
        platform=device.platform,
        driver=device.driver,
        vendor=device.vendor,
        model=device.model,
        os_version=device.os_version,
        site=device.site,
        latitude=device.latitude,
        longitude=device.longitude,
        tags=device.tags,
        custom_fields=dict(device.custom_fields or {}),
        credential=device.credential.name if device.credential else None,
        bastion=device.bastion.name if device.bastion else None,
        created_at=device.created_at,
        updated_at=device.updated_at,
    )


def list_devices(
    session: Session,
    filt: DeviceFilter,
    *,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Device], int]:
    query = (
        select(Device)
        .options(joinedload(Device.credential), joinedload(Device.bastion))
        .where(device_filter_clause(filt))
    )
    return paged(session, query, parse_sort(sort, DEVICE_SORT_FIELDS), limit, offset)


def get_device(session: Session, device_id: int) -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound(f"no device with id {device_id}", field="device_id")
    return device


def device_by_name(session: Session, name: str, field: str = "device") -> Device:
    device = session.scalar(select(Device).where(Device.name == name))
    if device is None:
        raise NotFound(f"no device named {name!r}", field=field)
    return device


def _set_tags(device: Device, tags: list[str]) -> None:
    wanted = sorted(set(tags))
    current = {row.tag: row for row in device.tag_rows}
    device.tag_rows = [current.get(tag) or DeviceTag(tag=tag) for tag in wanted]


def create_device(session: Session, data: DeviceCreate) -> Device:
    if session.scalar(select(Device.id).where(Device.name == data.name)) is not None:
        raise Conflict(f"device {data.name!r} already exists", field="name")
    fields = data.model_dump(exclude={"tags", "credential", "bastion"})
    device = Device(**fields)
    if data.credential is not None:
        device.credential = credential_by_name(session, data.credential)
    if data.bastion is not None:
        device.bastion = _bastion_by_name(session, data.bastion)
    _set_tags(device, data.tags)
    session.add(device)
    session.flush()
    _ensure_credential_scope(session, device, "credential")
    return device


def update_device(session: Session, device_id: int, data: DeviceUpdate) -> Device:
    device = get_device(session, device_id)
    changes = data.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] != device.name:
        if session.scalar(select(Device.id).where(Device.name == changes["name"])) is not None:
            raise Conflict(f"device {changes['name']!r} already exists", field="name")
    if "tags" in changes:
        _set_tags(device, changes.pop("tags") or [])
    moved = (changes.get("host"), changes.get("port")) != (None, None)
    if "credential" in changes:
        name = changes.pop("credential")
        device.credential = credential_by_name(session, name) if name else None
    if "bastion" in changes:
        name = changes.pop("bastion")
        device.bastion = _bastion_by_name(session, name) if name else None
    for key, value in changes.items():
        if value is None and key not in ("latitude", "longitude"):
            continue
        setattr(device, key, value)
    session.flush()
    if device.credential is not None and ("credential" in data.model_fields_set or moved):
        field = (
            "credential"
            if "credential" in data.model_fields_set
            else ("host" if changes.get("host") is not None else "port")
        )
        _ensure_credential_scope(session, device, field)
    return device


def _bastion_by_name(session: Session, name: str) -> Bastion:
    row = session.scalar(select(Bastion).where(Bastion.name == name))
    if row is None:
        raise NotFound(f"no bastion named {name!r}", field="bastion")
    return row


def _ensure_credential_scope(session: Session, device: Device, field: str) -> None:
    """A device's credential must be allowed at its address (credential scopes): set on a
    device, or kept while the device moves, it is refused (403) outside its scope."""
    if device.credential is not None:
        destination = Destination(device.host, device.port, device.id, field)
        ensure_in_scope(session, device.credential, destination)


def delete_device(session: Session, device_id: int) -> None:
    device = get_device(session, device_id)
    session.delete(device)
    session.flush()

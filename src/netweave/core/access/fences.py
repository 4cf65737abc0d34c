"""Inventory changes under a pool fence. A user fenced to pools (see :mod:`scopes`) may not
change what a fence holds: no pool definitions at all, and only devices (and links between
devices) inside its pools — before the change (edit, delete) and after it (create, edit).
Pool filters are live queries, so membership after a change is evaluated on the flushed
change inside the transaction, which is rolled back when refused. ``actor`` None is the
system (CLI, demo); admins and unfenced users pass through."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from netweave.core.access import object_rights
from netweave.core.access.scopes import ensure_allowed, ensure_unfenced, fence
from netweave.core.access.users import is_admin
from netweave.core.inventory import devices, links, pools, transfer
from netweave.core.inventory.credential_scope import (
    ensure_no_address_joined,
    scope_pool_members,
    scoping_pools,
)
from netweave.core.inventory.schemas import (
    DeviceCreate,
    DeviceUpdate,
    LinkCreate,
    LinkUpdate,
    PoolCreate,
    PoolUpdate,
)
from netweave.db.models import Device, Link, Pool
from netweave.foundation.errors import PermissionDenied
from netweave.foundation.secrets import SecretBox

T = TypeVar("T")


def guard_scope_pools(
    session: Session, actor: str | None, field: str, change: Callable[[], T]
) -> T:
    """Run ``change``; when it brought a new address into a pool that scopes a credential
    and ``actor`` is not an admin, roll back and refuse (403)."""
    if is_admin(session, actor):
        return change()
    held = scoping_pools(session)
    if not held:
        return change()
    before = scope_pool_members(session, held)
    result = change()
    session.flush()
    try:
        ensure_no_address_joined(session, held, before, field)
    except PermissionDenied:
        session.rollback()
        raise
    return result


def create_pool(session: Session, data: PoolCreate, actor: str | None) -> Pool:
    """The creator owns it (per-object permissions)."""
    ensure_unfenced(session, actor, "create pools", field="name")
    pool = pools.create_pool(session, data)
    pool.created_by = actor or ""
    return pool


def _ensure_edit(session: Session, actor: str | None, pool_id: int) -> None:
    pool = pools.get_pool(session, pool_id)
    object_rights.ensure(session, actor, "pool", pool, "edit", ref=str(pool_id), field="pool_id")


def update_pool(session: Session, pool_id: int, data: PoolUpdate, actor: str | None) -> Pool:
    ensure_unfenced(session, actor, "change pools", field="pool_id")
    _ensure_edit(session, actor, pool_id)
    return guard_scope_pools(
        session, actor, "pool_id", lambda: pools.update_pool(session, pool_id, data)
    )


def delete_pool(session: Session, pool_id: int, actor: str | None) -> None:
    ensure_unfenced(session, actor, "delete pools", field="pool_id")
    _ensure_edit(session, actor, pool_id)
    pools.delete_pool(session, pool_id)


def ensure_inside_after(
    session: Session, actor: str | None, device_ids: list[int], field: str
) -> None:
    """After a flushed change: refuse (403) and roll the transaction back when a device is
    outside ``actor``'s pools."""
    if fence(session, actor) is None:
        return
    session.flush()
    try:
        ensure_allowed(session, actor, device_ids=device_ids, field=field)
    except PermissionDenied:
        session.rollback()
        raise


def create_device(session: Session, data: DeviceCreate, actor: str | None) -> Device:
    device = guard_scope_pools(session, actor, "name", lambda: devices.create_device(session, data))
    ensure_inside_after(session, actor, [device.id], field="name")
    return device


def update_device(
    session: Session, device_id: int, data: DeviceUpdate, actor: str | None
) -> Device:
    before = devices.get_device(session, device_id)
    ensure_allowed(session, actor, device_ids=[before.id], field="device_id")
    device = guard_scope_pools(
        session, actor, "device_id", lambda: devices.update_device(session, device_id, data)
    )
    ensure_inside_after(session, actor, [device.id], field="device_id")
    return device


def delete_device(session: Session, device_id: int, actor: str | None) -> None:
    device = devices.get_device(session, device_id)
    ensure_allowed(session, actor, device_ids=[device.id], field="device_id")
    devices.delete_device(session, device_id)


def _ends(link: Link) -> list[int]:
    return [link.source_id, link.destination_id]


def create_link(session: Session, data: LinkCreate, actor: str | None) -> Link:
    link = links.create_link(session, data)
    ensure_inside_after(session, actor, _ends(link), field="source")
    return link


def update_link(session: Session, link_id: int, data: LinkUpdate, actor: str | None) -> Link:
    before = _ends(links.get_link(session, link_id))
    ensure_allowed(session, actor, device_ids=before, field="link_id")
    link = links.update_link(session, link_id, data)
    ensure_inside_after(session, actor, _ends(link), field="link_id")
    return link


def delete_link(session: Session, link_id: int, actor: str | None) -> None:
    link = links.get_link(session, link_id)
    ensure_allowed(session, actor, device_ids=_ends(link), field="link_id")
    links.delete_link(session, link_id)


def import_file(
    session: Session, box: SecretBox, content: bytes, actor: str | None, **options: Any
) -> transfer.ImportSummary:
    """An import may write pools, links and devices anywhere: refused to a fenced user."""
    ensure_unfenced(session, actor, "import inventory", field="file")
    return guard_scope_pools(
        session, actor, "file", lambda: transfer.import_file(session, box, content, **options)
    )

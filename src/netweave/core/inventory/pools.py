"""Pools: static members plus a live device filter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, joinedload

from netweave.core.inventory.devices import device_by_name
from netweave.core.inventory.query import (
    DEVICE_SORT_FIELDS,
    device_conditions,
    paged,
    parse_sort,
)
from netweave.core.inventory.schemas import DeviceFilter, PoolCreate, PoolRead, PoolUpdate
from netweave.core.text_filter import match_text
from netweave.db.models import Device, Pool, PoolMember
from netweave.foundation.errors import Conflict, NotFound

POOL_SORT_FIELDS: Mapping[str, InstrumentedAttribute[Any]] = {
    "id": Pool.id,
    "name": Pool.name,
    "created_at": Pool.created_at,
}


def pool_filter(pool: Pool) -> DeviceFilter | None:
    return DeviceFilter.model_validate(pool.device_filter) if pool.device_filter else None


def membership_clause(pool: Pool) -> ColumnElement[bool]:
    static = Device.id.in_(select(PoolMember.device_id).where(PoolMember.pool_id == pool.id))
    filt = pool_filter(pool)
    if filt is None or filt.is_empty():
        return static
    return or_(static, and_(*device_conditions(filt)))


def count_members(session: Session, pool: Pool) -> int:
    query = select(func.count()).select_from(Device).where(membership_clause(pool))
    return session.scalar(query) or 0


def to_read(session: Session, pool: Pool) -> PoolRead:
    return PoolRead(
        id=pool.id,
        name=pool.name,
        description=pool.description,
        devices=sorted(member.device.name for member in pool.member_rows),
        device_filter=pool_filter(pool),
        device_count=count_members(session, pool),
        created_at=pool.created_at,
        updated_at=pool.updated_at,
    )


def list_pools(
    session: Session,
    *,
    name: str | None = None,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
    visible: ColumnElement[bool] | None = None,
) -> tuple[list[Pool], int]:
    """``visible``: only the pools it keeps (the caller's per-object read right)."""
    query = select(Pool)
    if visible is not None:
        query = query.where(visible)
    if name:
        query = query.where(match_text(Pool.name, name))
    return paged(session, query, parse_sort(sort, POOL_SORT_FIELDS), limit, offset)


def get_pool(session: Session, pool_id: int) -> Pool:
    pool = session.get(Pool, pool_id)
    if pool is None:
        raise NotFound(f"no pool with id {pool_id}", field="pool_id")
    return pool


def pool_by_name(session: Session, name: str, field: str = "pool") -> Pool:
    pool = session.scalar(select(Pool).where(Pool.name == name))
    if pool is None:
        raise NotFound(f"no pool named {name!r}", field=field)
    return pool


def _members(session: Session, names: list[str]) -> list[PoolMember]:
    rows = []
    for index, name in enumerate(dict.fromkeys(names)):
        device = device_by_name(session, name, field=f"devices[{index}]")
        rows.append(PoolMember(device_id=device.id, device=device))
    return rows


def create_pool(session: Session, data: PoolCreate) -> Pool:
    if session.scalar(select(Pool.id).where(Pool.name == data.name)) is not None:
        raise Conflict(f"pool {data.name!r} already exists", field="name")
    pool = Pool(
        name=data.name,
        description=data.description,
        device_filter=data.device_filter.model_dump(exclude_defaults=True)
        if data.device_filter
        else None,
    )
    pool.member_rows = _members(session, data.devices)
    session.add(pool)
    session.flush()
    return pool


def update_pool(session: Session, pool_id: int, data: PoolUpdate) -> Pool:
    pool = get_pool(session, pool_id)
    if data.name is not None and data.name != pool.name:
        if session.scalar(select(Pool.id).where(Pool.name == data.name)) is not None:
            raise Conflict(f"pool {data.name!r} already exists", field="name")
        pool.name = data.name
    if data.description is not None:
        pool.description = data.description
    if data.devices is not None:
        pool.member_rows = _members(session, data.devices)
    if data.clear_filter:
        pool.device_filter = None
    elif data.device_filter is not None:
        pool.device_filter = data.device_filter.model_dump(exclude_defaults=True)
    session.flush()
    return pool


def delete_pool(session: Session, pool_id: int) -> None:
    session.delete(get_pool(session, pool_id))
    session.flush()


def pool_devices(
    session: Session, pool: Pool, *, sort: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Device], int]:
    query = select(Device).options(joinedload(Device.credential)).where(membership_clause(pool))
    return paged(session, query, parse_sort(sort, DEVICE_SORT_FIELDS), limit, offset)

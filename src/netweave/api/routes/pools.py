"""Pools of devices: static members plus a live filter."""

from __future__ import annotations

from fastapi import APIRouter

from netweave.api.deps import DbSession, Operator, Viewer
from netweave.api.params import Id, Limit, Offset, SortParam
from netweave.api.responses import LOOKUP_CONFLICT, NOT_FOUND
from netweave.api.text_params import ExactText
from netweave.core.access import fences, inventory_reads
from netweave.core.bulk import BulkIds, BulkResult
from netweave.core.inventory import bulk, devices, pools
from netweave.core.inventory.schemas import DeviceRead, Page, PoolCreate, PoolRead, PoolUpdate

router = APIRouter(prefix="/api/v1/pools", tags=["pools"])


@router.get("", response_model=Page[PoolRead])
def list_pools(
    principal: Viewer,
    db: DbSession,
    name: ExactText = None,
    sort: SortParam = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[PoolRead]:
    """The pools the caller may read."""
    rows, total = inventory_reads.list_pools(
        db, principal.username, name=name, sort=sort, limit=limit, offset=offset
    )
    items = [pools.to_read(db, p) for p in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("", response_model=PoolRead, status_code=201, responses=LOOKUP_CONFLICT)
def create_pool(body: PoolCreate, principal: Operator, db: DbSession) -> PoolRead:
    pool = fences.create_pool(db, body, principal.username)
    db.commit()
    return pools.to_read(db, pool)


@router.post("/bulk-delete", response_model=BulkResult, responses=LOOKUP_CONFLICT)
def bulk_delete_pools(body: BulkIds, principal: Operator, db: DbSession) -> BulkResult:
    """Delete every listed pool: all or nothing (refused to users fenced to pools)."""
    result = bulk.delete_pools(db, body, principal.username)
    db.commit()
    return result


@router.get("/{pool_id}", response_model=PoolRead, responses=NOT_FOUND)
def get_pool(pool_id: Id, principal: Viewer, db: DbSession) -> PoolRead:
    return pools.to_read(db, inventory_reads.get_pool(db, pool_id, principal.username))


@router.get("/{pool_id}/devices", response_model=Page[DeviceRead], responses=NOT_FOUND)
def pool_devices(
    pool_id: Id,
    principal: Viewer,
    db: DbSession,
    sort: SortParam = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[DeviceRead]:
    pool = inventory_reads.get_pool(db, pool_id, principal.username)
    rows, total = pools.pool_devices(db, pool, sort=sort, limit=limit, offset=offset)
    return Page(items=[devices.to_read(d) for d in rows], total=total, limit=limit, offset=offset)


@router.patch("/{pool_id}", response_model=PoolRead, responses=LOOKUP_CONFLICT)
def update_pool(pool_id: Id, body: PoolUpdate, principal: Operator, db: DbSession) -> PoolRead:
    pool = fences.update_pool(db, pool_id, body, principal.username)
    db.commit()
    return pools.to_read(db, pool)


@router.delete("/{pool_id}", status_code=204, responses=NOT_FOUND)
def delete_pool(pool_id: Id, principal: Operator, db: DbSession) -> None:
    fences.delete_pool(db, pool_id, principal.username)
    db.commit()

"""Bastions (SSH jump hosts): only admins create, change or delete them (a bastion sees
every session it carries); everyone may list them."""

from __future__ import annotations

from fastapi import APIRouter

from netweave.api.deps import Admin, DbSession, Viewer
from netweave.api.params import Id
from netweave.api.responses import LOOKUP_CONFLICT, NOT_FOUND
from netweave.core.bulk import BulkIds, BulkResult
from netweave.core.inventory import bastions, bulk
from netweave.core.inventory.schemas import BastionCreate, BastionRead, BastionUpdate

router = APIRouter(prefix="/api/v1/bastions", tags=["bastions"])


@router.get("", response_model=list[BastionRead])
def list_bastions(_: Viewer, db: DbSession) -> list[BastionRead]:
    return [bastions.to_read(db, row) for row in bastions.list_bastions(db)]


@router.post("", response_model=BastionRead, status_code=201, responses=LOOKUP_CONFLICT)
def create_bastion(body: BastionCreate, _: Admin, db: DbSession) -> BastionRead:
    row = bastions.create_bastion(db, body)
    db.commit()
    return bastions.to_read(db, row)


@router.post("/bulk-delete", response_model=BulkResult, responses=LOOKUP_CONFLICT)
def bulk_delete_bastions(body: BulkIds, _: Admin, db: DbSession) -> BulkResult:
    """Delete every listed bastion: all or nothing (one still in use refuses the batch)."""
    result = bulk.delete_bastions(db, body)
    db.commit()
    return result


@router.get("/{bastion_id}", response_model=BastionRead, responses=NOT_FOUND)
def get_bastion(bastion_id: Id, _: Viewer, db: DbSession) -> BastionRead:
    return bastions.to_read(db, bastions.get_bastion(db, bastion_id))


@router.patch("/{bastion_id}", response_model=BastionRead, responses=LOOKUP_CONFLICT)
def update_bastion(bastion_id: Id, body: BastionUpdate, _: Admin, db: DbSession) -> BastionRead:
    row = bastions.update_bastion(db, bastion_id, body)
    db.commit()
    return bastions.to_read(db, row)


@router.delete("/{bastion_id}", status_code=204, responses=LOOKUP_CONFLICT)
def delete_bastion(bastion_id: Id, _: Admin, db: DbSession) -> None:
    bastions.delete_bastion(db, bastion_id)
    db.commit()

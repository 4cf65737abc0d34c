"""Groups (admins only): a role and pool fences shared by their members, and the directory
groups whose members belong to them. A user's rights: ``GET /api/v1/users/{id}/rights``."""

from __future__ import annotations

from fastapi import APIRouter

from netweave.api.deps import Admin, DbSession
from netweave.api.params import Id
from netweave.api.responses import LOOKUP_CONFLICT, NOT_FOUND
from netweave.core.access import groups
from netweave.core.access.schemas import GroupCreate, GroupRead, GroupUpdate

router = APIRouter(prefix="/api/v1/groups", tags=["groups"])


@router.get("", response_model=list[GroupRead])
def list_groups(_: Admin, db: DbSession) -> list[GroupRead]:
    return [groups.read(db, group) for group in groups.list_groups(db)]


@router.post("", response_model=GroupRead, status_code=201, responses=LOOKUP_CONFLICT)
def create_group(body: GroupCreate, _: Admin, db: DbSession) -> GroupRead:
    group = groups.create(db, body)
    db.commit()
    return groups.read(db, group)


@router.get("/{group_id}", response_model=GroupRead, responses=NOT_FOUND)
def get_group(group_id: Id, _: Admin, db: DbSession) -> GroupRead:
    return groups.read(db, groups.get(db, group_id))


@router.patch("/{group_id}", response_model=GroupRead, responses=LOOKUP_CONFLICT)
def update_group(group_id: Id, body: GroupUpdate, _: Admin, db: DbSession) -> GroupRead:
    """Members' rights change at once (their sessions and API keys included)."""
    group = groups.update(db, group_id, body)
    db.commit()
    return groups.read(db, group)


@router.delete("/{group_id}", status_code=204, responses=NOT_FOUND)
def delete_group(group_id: Id, _: Admin, db: DbSession) -> None:
    groups.delete_group(db, group_id)
    db.commit()

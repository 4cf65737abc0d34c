"""User administration (admins only), including the pools an operator is restricted to."""

from __future__ import annotations

from fastapi import APIRouter

from netweave.api.deps import Admin, DbSession
from netweave.api.params import Id
from netweave.api.responses import CONFLICT, LOOKUP_CONFLICT, NOT_FOUND
from netweave.core.access import scopes, users
from netweave.core.access.schemas import (
    UserCreate,
    UserPoolsRead,
    UserPoolsUpdate,
    UserRead,
    UserUpdate,
)

router = APIRouter(prefix="/api/v1/users", tags=["users"])


@router.get("", response_model=list[UserRead])
def list_users(_: Admin, db: DbSession) -> list[UserRead]:
    return [UserRead.model_validate(u) for u in users.list_users(db)]


@router.post("", response_model=UserRead, status_code=201, responses=CONFLICT)
def create_user(body: UserCreate, _: Admin, db: DbSession) -> UserRead:
    user = users.create_user(db, body)
    db.commit()
    return UserRead.model_validate(user)


@router.get("/{user_id}", response_model=UserRead, responses=NOT_FOUND)
def get_user(user_id: Id, _: Admin, db: DbSession) -> UserRead:
    return UserRead.model_validate(users.get_user(db, user_id))


@router.patch("/{user_id}", response_model=UserRead, responses=LOOKUP_CONFLICT)
def update_user(user_id: Id, body: UserUpdate, _: Admin, db: DbSession) -> UserRead:
    user = users.update_user(db, user_id, body)
    db.commit()
    return UserRead.model_validate(user)


@router.delete("/{user_id}", status_code=204, responses=NOT_FOUND)
def delete_user(user_id: Id, _: Admin, db: DbSession) -> None:
    users.delete_user(db, user_id)
    db.commit()


@router.get("/{user_id}/pools", response_model=UserPoolsRead, responses=NOT_FOUND)
def get_user_pools(user_id: Id, _: Admin, db: DbSession) -> UserPoolsRead:
    return scopes.read(db, users.get_user(db, user_id))


@router.put("/{user_id}/pools", response_model=UserPoolsRead, responses=NOT_FOUND)
def set_user_pools(user_id: Id, body: UserPoolsUpdate, _: Admin, db: DbSession) -> UserPoolsRead:
    """Restrict the user to these pools when running jobs, services and terminals on
    devices (an empty list: no restriction; admins are never restricted)."""
    user = scopes.set_pools(db, user_id, body.pools)
    db.commit()
    return scopes.read(db, user)

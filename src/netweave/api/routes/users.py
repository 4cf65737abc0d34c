"""User administration (admins only)."""

from __future__ import annotations

from fastapi import APIRouter

from netweave.api.deps import Admin, DbSession
from netweave.core.access import users
from netweave.core.access.schemas import UserCreate, UserRead, UserUpdate

router = APIRouter(prefix="/api/v1/users", tags=["users"])


@router.get("", response_model=list[UserRead])
def list_users(_: Admin, db: DbSession) -> list[UserRead]:
    return [UserRead.model_validate(u) for u in users.list_users(db)]


@router.post("", response_model=UserRead, status_code=201)
def create_user(body: UserCreate, _: Admin, db: DbSession) -> UserRead:
    user = users.create_user(db, body)
    db.commit()
    return UserRead.model_validate(user)


@router.get("/{user_id}", response_model=UserRead)
def get_user(user_id: int, _: Admin, db: DbSession) -> UserRead:
    return UserRead.model_validate(users.get_user(db, user_id))


@router.patch("/{user_id}", response_model=UserRead)
def update_user(user_id: int, body: UserUpdate, _: Admin, db: DbSession) -> UserRead:
    user = users.update_user(db, user_id, body)
    db.commit()
    return UserRead.model_validate(user)


@router.delete("/{user_id}", status_code=204)
def delete_user(user_id: int, _: Admin, db: DbSession) -> None:
    users.delete_user(db, user_id)
    db.commit()

"""User administration (admins only), including the pools an operator is restricted to."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from netweave.api.deps import Admin, DbSession, RuntimeDep
from netweave.api.params import Id
from netweave.api.responses import CONFLICT, LOOKUP_CONFLICT, NOT_FOUND
from netweave.core.access import handover, scopes, users
from netweave.core.access.password_policy import PasswordPolicy
from netweave.core.access.schemas import (
    USERNAME_PATTERN,
    PasswordReset,
    Rights,
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
def create_user(body: UserCreate, _: Admin, db: DbSession, runtime: RuntimeDep) -> UserRead:
    """The password must meet the password policy (settings ``password_*``): a 422 naming
    ``password`` and the rule broken."""
    user = users.create_user(db, body, PasswordPolicy.from_settings(runtime.settings))
    db.commit()
    return UserRead.model_validate(user)


@router.get("/{user_id}", response_model=UserRead, responses=NOT_FOUND)
def get_user(user_id: Id, _: Admin, db: DbSession) -> UserRead:
    return UserRead.model_validate(users.get_user(db, user_id))


@router.get("/{user_id}/rights", response_model=Rights, responses=NOT_FOUND)
def get_rights(user_id: Id, _: Admin, db: DbSession) -> Rights:
    """What the user may do: the union of their own role and fence and their groups'."""
    return scopes.rights(db, users.get_user(db, user_id))


@router.patch("/{user_id}", response_model=UserRead, responses=LOOKUP_CONFLICT)
def update_user(
    user_id: Id, body: UserUpdate, caller: Admin, db: DbSession, runtime: RuntimeDep
) -> UserRead:
    """A disabled user's login sessions and API keys stop working at once.
    ``must_change_password: true``: the current password signs in once more, into a session
    that may only choose a new one (open login sessions are held to that at once; API keys
    are not affected). A ``password`` must meet the password policy (422). 409: disabling
    yourself, demoting or disabling the last active admin, a directory user's password."""
    policy = PasswordPolicy.from_settings(runtime.settings)
    user = users.update_user(db, user_id, body, actor_id=caller.user_id, policy=policy)
    db.commit()
    return UserRead.model_validate(user)


@router.post("/{user_id}/password-reset", response_model=PasswordReset, responses=LOOKUP_CONFLICT)
def reset_password(user_id: Id, caller: Admin, db: DbSession) -> PasswordReset:
    """A one-time password, shown once: it signs in once, and that session may only choose a
    new password. The user's open login sessions end; their API keys are not affected."""
    user, password = users.reset_password(db, user_id, actor_id=caller.user_id)
    db.commit()
    return PasswordReset(user=UserRead.model_validate(user), password=password)


@router.delete("/{user_id}", status_code=204, responses=LOOKUP_CONFLICT)
def delete_user(
    user_id: Id,
    caller: Admin,
    db: DbSession,
    transfer_to: Annotated[
        str | None,
        Query(
            pattern=USERNAME_PATTERN,
            description="The user who takes over what this one owns (services, workflows, "
            "tasks, triggers, event rules), in the same transaction",
        ),
    ] = None,
) -> None:
    """Deletes the user's API keys and login sessions too. 409: yourself, the last active
    admin; a user who owns something and no ``transfer_to``; a ``transfer_to`` who could not
    own one of those things (disabled, a viewer, an operator for a privileged service, a
    fence not holding its targets). 404: no user named ``transfer_to``."""
    handover.delete_user(db, user_id, caller.user_id, transfer_to)
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

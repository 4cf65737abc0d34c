"""Per-user API keys: create (shown once), list, revoke. Any signed-in user manages their own;
admins manage everyone's."""

from __future__ import annotations

from fastapi import APIRouter

from netweave.api.deps import DbSession, RuntimeDep, Viewer
from netweave.api.params import Id
from netweave.api.responses import NOT_FOUND
from netweave.core.access import tokens
from netweave.core.access.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead

router = APIRouter(prefix="/api/v1/api-keys", tags=["api-keys"])


@router.get("", response_model=list[ApiKeyRead])
def list_keys(principal: Viewer, db: DbSession, all_users: bool = False) -> list[ApiKeyRead]:
    return [ApiKeyRead.model_validate(k) for k in tokens.list_api_keys(db, principal, all_users)]


@router.post("", response_model=ApiKeyCreated, status_code=201, responses=NOT_FOUND)
def create_key(
    body: ApiKeyCreate, principal: Viewer, db: DbSession, runtime: RuntimeDep
) -> ApiKeyCreated:
    """``expires_at`` is capped by the ``api_key_max_days`` setting when it is set."""
    row, key = tokens.create_api_key(db, principal, body, runtime.settings.api_key_max_days)
    db.commit()
    return ApiKeyCreated(**ApiKeyRead.model_validate(row).model_dump(), key=key)


@router.delete("/{key_id}", response_model=ApiKeyRead, responses=NOT_FOUND)
def revoke_key(key_id: Id, principal: Viewer, db: DbSession) -> ApiKeyRead:
    row = tokens.revoke_api_key(db, principal, key_id)
    db.commit()
    return ApiKeyRead.model_validate(row)

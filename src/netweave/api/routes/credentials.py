"""Credentials: secrets go in, never come out. Only admins create, change or delete them
(and set their scope); everyone may list them (names, flags, scope)."""

from __future__ import annotations

from fastapi import APIRouter

from netweave.api.deps import Admin, DbSession, RuntimeDep, Viewer
from netweave.api.params import Id
from netweave.api.responses import LOOKUP_CONFLICT
from netweave.core.access import inventory_reads
from netweave.core.bulk import BulkIds, BulkResult
from netweave.core.inventory import bulk, credentials
from netweave.core.inventory.schemas import CredentialCreate, CredentialRead, CredentialUpdate

router = APIRouter(prefix="/api/v1/credentials", tags=["credentials"])


@router.get("", response_model=list[CredentialRead])
def list_credentials(principal: Viewer, db: DbSession) -> list[CredentialRead]:
    """The credentials the caller may read."""
    rows = inventory_reads.list_credentials(db, principal.username)
    return [credentials.to_read(c) for c in rows]


@router.post("", response_model=CredentialRead, status_code=201)
def create_credential(
    body: CredentialCreate, principal: Admin, db: DbSession, runtime: RuntimeDep
) -> CredentialRead:
    row = inventory_reads.create_credential(db, runtime.box, body, principal.username)
    db.commit()
    return credentials.to_read(row)


@router.post("/bulk-delete", response_model=BulkResult, responses=LOOKUP_CONFLICT)
def bulk_delete_credentials(body: BulkIds, _: Admin, db: DbSession) -> BulkResult:
    """Delete every listed credential: all or nothing (one in use refuses the batch)."""
    result = bulk.delete_credentials(db, body)
    db.commit()
    return result


@router.get("/{credential_id}", response_model=CredentialRead)
def get_credential(credential_id: Id, principal: Viewer, db: DbSession) -> CredentialRead:
    row = inventory_reads.get_credential(db, credential_id, principal.username)
    return credentials.to_read(row)


@router.patch("/{credential_id}", response_model=CredentialRead)
def update_credential(
    credential_id: Id, body: CredentialUpdate, _: Admin, db: DbSession, runtime: RuntimeDep
) -> CredentialRead:
    row = credentials.update_credential(db, runtime.box, credential_id, body)
    db.commit()
    return credentials.to_read(row)


@router.delete("/{credential_id}", status_code=204)
def delete_credential(credential_id: Id, _: Admin, db: DbSession) -> None:
    credentials.delete_credential(db, credential_id)
    db.commit()

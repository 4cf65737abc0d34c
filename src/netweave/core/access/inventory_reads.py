"""Pools and credentials as a caller sees them: lists keep only what they may read, and one
they may not read is a 404 (per-object permissions, :mod:`object_rights`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from netweave.core.access import object_rights
from netweave.core.inventory import credentials, pools
from netweave.core.inventory.schemas import CredentialCreate
from netweave.db.models import Credential, Pool
from netweave.foundation.secrets import SecretBox


def list_pools(
    session: Session,
    actor: str | None,
    *,
    name: str | None,
    sort: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Pool], int]:
    visible = object_rights.readable_clause(session, actor, "pool")
    return pools.list_pools(
        session, name=name, sort=sort, limit=limit, offset=offset, visible=visible
    )


def get_pool(session: Session, pool_id: int, actor: str | None) -> Pool:
    pool = pools.get_pool(session, pool_id)
    object_rights.ensure(session, actor, "pool", pool, "read", ref=str(pool_id), field="pool_id")
    return pool


def list_credentials(session: Session, actor: str | None) -> list[Credential]:
    return credentials.list_credentials(
        session, object_rights.readable_clause(session, actor, "credential")
    )


def get_credential(session: Session, credential_id: int, actor: str | None) -> Credential:
    row = credentials.get_credential(session, credential_id)
    object_rights.ensure(
        session,
        actor,
        "credential",
        row,
        "read",
        ref=f"with id {credential_id}",
        field="credential_id",
    )
    return row


def create_credential(
    session: Session, box: SecretBox, data: CredentialCreate, actor: str
) -> Credential:
    """The creator owns it."""
    return credentials.create_credential(session, box, data, creator=actor)

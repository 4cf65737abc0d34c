"""Per-object permissions: who may read, run and edit one service, workflow, task, event
rule, credential or pool (core/access/object_rights.py), and the groups x objects matrix."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from netweave.api.deps import Admin, DbSession, Operator, Viewer
from netweave.api.params import Id
from netweave.api.responses import LOOKUP_CONFLICT, NOT_FOUND
from netweave.core.access import object_rights
from netweave.core.access.object_schemas import (
    AccessMatrix,
    Kind,
    ObjectAccessRead,
    ObjectAccessUpdate,
)

router = APIRouter(prefix="/api/v1/access", tags=["permissions"])
KINDS: list[Kind] = ["service", "workflow", "task", "event_rule", "credential", "pool"]


@router.get("/matrix", response_model=AccessMatrix)
def access_matrix(
    _: Admin,
    db: DbSession,
    kind: Annotated[list[Kind] | None, Query(description="Kinds to list (default: all)")] = None,
) -> AccessMatrix:
    """Every object with what each group's members may do through that group."""
    return object_rights.matrix(db, kind or KINDS)


@router.get("/groups", response_model=list[str])
def group_names(_: Operator, db: DbSession) -> list[str]:
    """The names of the groups an owner may grant rights to."""
    return object_rights.group_names(db)


@router.get("/{kind}/{object_id}", response_model=ObjectAccessRead, responses=NOT_FOUND)
def get_access(kind: Kind, object_id: Id, principal: Viewer, db: DbSession) -> ObjectAccessRead:
    """The object's owner, whether it is restricted, its grants and the caller's rights."""
    return object_rights.get_access(db, principal.username, kind, object_id)


@router.put("/{kind}/{object_id}", response_model=ObjectAccessRead, responses=LOOKUP_CONFLICT)
def set_access(
    kind: Kind, object_id: Id, body: ObjectAccessUpdate, principal: Operator, db: DbSession
) -> ObjectAccessRead:
    """Admins and the object's owner: restrict it to groups (read / run / edit) or open it."""
    read = object_rights.set_access(db, principal.username, kind, object_id, body)
    db.commit()
    return read

"""Per-object permissions: owners and per-group read / run / edit on services, workflows,
tasks, event rules, credentials and pools.

An object is *open* (no access list) or *restricted*. Open: every role reaches it as it
always did. Restricted: admins, its owner (``created_by``) and the members of the groups
granted a right on it; everyone else does not see it at all (a 404, absent from lists).
Grants narrow, they never widen: running and editing still need the operator role (and
credentials stay admin-only to edit), and runs still need the device fences. Run and edit
imply read. A credential's run right is the right to use it: a run or job whose steps or
devices use a restricted credential needs it. A pool's run right is the right to target it.

Who may change an object's permissions: admins, and its owner while they may edit it;
only admins hand an object to another owner."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, or_, select
from sqlalchemy.orm import Session

from netweave.core.access import groups, key_cache
from netweave.core.access.object_schemas import (
    RIGHTS,
    AccessMatrix,
    GrantEntry,
    Kind,
    MatrixCell,
    MatrixRow,
    ObjectAccessRead,
    ObjectAccessUpdate,
    Right,
)
from netweave.db.models import (
    PERMISSION_MODELS,
    Automation,
    Credential,
    Group,
    GroupMember,
    ObjectAcl,
    ObjectGrant,
    Role,
    User,
)
from netweave.foundation.errors import InvalidInput, NotFound, PermissionDenied

NOUNS: dict[str, str] = {
    "service": "service",
    "workflow": "workflow",
    "task": "task",
    "event_rule": "event rule",
    "credential": "credential",
    "pool": "pool",
}
ALL: frozenset[Right] = frozenset(RIGHTS)


@dataclass(frozen=True)
class Caller:
    username: str | None  # None: the system (scheduler, CLI), which reaches everything
    role: Role
    group_ids: frozenset[int]

    @property
    def admin(self) -> bool:
        return self.role is Role.admin


def caller(session: Session, username: str | None) -> Caller:
    if username is None:
        return Caller(None, Role.admin, frozenset())
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:  # a removed or disabled user reaches nothing open
        return Caller(username, Role.viewer, frozenset())
    ids = frozenset(
        session.scalars(select(GroupMember.group_id).where(GroupMember.user_id == user.id))
    )
    return Caller(username, groups.effective_role(session, user), ids)


def acl_kind(kind: str) -> str:
    return "automation" if kind in ("service", "workflow") else kind


def _model(kind: str) -> Any:
    if kind not in PERMISSION_MODELS:
        raise InvalidInput(f"unknown kind {kind!r}: one of {', '.join(NOUNS)}", field="kind")
    return PERMISSION_MODELS[kind]


def readable_clause(
    session: Session, username: str | None, kind: Kind
) -> ColumnElement[bool] | None:
    """A WHERE clause keeping the ``kind`` rows ``username`` may read; None: all of them."""
    who = caller(session, username)
    if who.admin:
        return None
    model = _model(kind)
    listed = exists(
        select(ObjectAcl.id).where(
            ObjectAcl.kind == acl_kind(kind), ObjectAcl.object_id == model.id
        )
    )
    granted = exists(
        select(ObjectGrant.acl_id)
        .join(ObjectAcl, ObjectAcl.id == ObjectGrant.acl_id)
        .where(
            ObjectAcl.kind == acl_kind(kind),
            ObjectAcl.object_id == model.id,
            ObjectGrant.group_id.in_(sorted(who.group_ids)),
            ObjectGrant.can_read,
        )
    )
    return or_(~listed, model.created_by == who.username, granted)


def _acl(session: Session, kind: str, object_id: int) -> ObjectAcl | None:
    return session.scalar(
        select(ObjectAcl).where(ObjectAcl.kind == acl_kind(kind), ObjectAcl.object_id == object_id)
    )


def object_rights(session: Session, who: Caller, kind: str, obj: Any) -> frozenset[Right]:
    """What the object's permissions let ``who`` do (roles not counted)."""
    if who.admin:
        return ALL
    acl = _acl(session, kind, obj.id)
    if acl is None or (obj.created_by and obj.created_by == who.username):
        return ALL
    found: set[Right] = set()
    for grant in session.scalars(
        select(ObjectGrant).where(
            ObjectGrant.acl_id == acl.id, ObjectGrant.group_id.in_(sorted(who.group_ids))
        )
    ):
        found.update(_granted(grant))
    return frozenset(found)


def _granted(grant: ObjectGrant) -> set[Right]:
    rights: set[Right] = set()
    if grant.can_read or grant.can_run or grant.can_edit:
        rights.add("read")
    if grant.can_run:
        rights.add("run")
    if grant.can_edit:
        rights.add("edit")
    return rights


def _role_cap(role: Role, kind: str) -> frozenset[Right]:
    if role is Role.admin:
        return ALL
    if role is Role.viewer:
        return frozenset({"read"})
    return frozenset({"read", "run"}) if kind == "credential" else ALL


def ensure(
    session: Session,
    username: str | None,
    kind: str,
    obj: Any,
    right: Right,
    *,
    ref: str | None = None,
    field: str = "id",
) -> None:
    """Refuse unless ``username`` has ``right`` on ``obj``: one it may not read is a 404 as
    if it did not exist (``ref`` names it as the caller did: "7", "named 'x'"), one it
    reads but may not run or edit a 403 naming the right."""
    if username is None:
        return
    who = caller(session, username)
    have = object_rights(session, who, kind, obj)
    noun = NOUNS.get(kind, kind)
    if "read" not in have:
        raise NotFound(f"no {noun} {ref or obj.id}", field=field)
    if right not in have:
        owner = obj.created_by or "an admin"
        raise PermissionDenied(
            f"{noun} {obj.name!r} is restricted and no group of {username}'s is granted "
            f"{right} on it (ask {owner} or an admin)",
            field=field,
        )


def allows(session: Session, username: str | None, kind: str, obj: Any, right: Right) -> bool:
    """Whether the object's permissions give ``username`` ``right`` (roles not counted)."""
    return username is None or right in object_rights(session, caller(session, username), kind, obj)


def ensure_credentials(
    session: Session, username: str | None, credential_ids: Iterable[int | None], field: str
) -> None:
    """A run or job may use a restricted credential only with its run (use) right."""
    if username is None:
        return
    ids = sorted({i for i in credential_ids if i is not None})
    if not ids:
        return
    restricted = set(
        session.scalars(
            select(ObjectAcl.object_id).where(
                ObjectAcl.kind == "credential", ObjectAcl.object_id.in_(ids)
            )
        )
    )
    if not restricted:  # the usual case: no second query, no caller lookup
        return
    who = caller(session, username)
    for credential in session.scalars(
        select(Credential).where(Credential.id.in_(sorted(restricted)))
    ):
        if "run" not in object_rights(session, who, "credential", credential):
            raise PermissionDenied(
                f"credential {credential.name!r} is restricted and no group of {username}'s "
                "is granted use (run) of it",
                field=field,
            )


# -- reading and changing an object's permissions -----------------------------------------
def _object(session: Session, kind: str, object_id: int) -> Any:
    model = _model(kind)
    row = session.get(model, object_id)
    if row is None or (model is Automation and row.kind != kind):
        raise NotFound(f"no {NOUNS[kind]} {object_id}", field="object_id")
    return row


def _may_manage(session: Session, who: Caller, kind: str, obj: Any) -> bool:
    if who.admin:
        return True
    return bool(obj.created_by) and obj.created_by == who.username and who.role is not Role.viewer


def _entries(session: Session, acl: ObjectAcl | None) -> list[GrantEntry]:
    if acl is None:
        return []
    rows = session.execute(
        select(Group.name, ObjectGrant)
        .join(ObjectGrant, ObjectGrant.group_id == Group.id)
        .where(ObjectGrant.acl_id == acl.id)
        .order_by(Group.name)
    ).all()
    return [
        GrantEntry(group=name, read=g.can_read, run=g.can_run, edit=g.can_edit) for name, g in rows
    ]


def _read(session: Session, who: Caller, kind: Kind, obj: Any) -> ObjectAccessRead:
    acl = _acl(session, kind, obj.id)
    have = object_rights(session, who, kind, obj) & _role_cap(who.role, kind)
    return ObjectAccessRead(
        kind=kind,
        object_id=obj.id,
        name=obj.name,
        owner=obj.created_by or "",
        restricted=acl is not None,
        grants=_entries(session, acl),
        mine=[right for right in RIGHTS if right in have],
        manage=_may_manage(session, who, kind, obj),
    )


def get_access(
    session: Session, username: str | None, kind: Kind, object_id: int
) -> ObjectAccessRead:
    obj = _object(session, kind, object_id)
    ensure(session, username, kind, obj, "read", field="object_id")
    return _read(session, caller(session, username), kind, obj)


def set_access(
    session: Session, username: str | None, kind: Kind, object_id: int, data: ObjectAccessUpdate
) -> ObjectAccessRead:
    obj = _object(session, kind, object_id)
    ensure(session, username, kind, obj, "read", field="object_id")
    who = caller(session, username)
    if not _may_manage(session, who, kind, obj):
        raise PermissionDenied(
            f"only admins and its owner ({obj.created_by or 'none'}) change the permissions of "
            f"{NOUNS[kind]} {obj.name!r}",
            field="object_id",
        )
    if data.owner is not None and data.owner != obj.created_by:
        if not who.admin:
            raise PermissionDenied("only admins hand an object to another owner", field="owner")
        if (
            data.owner
            and session.scalar(select(User.id).where(User.username == data.owner)) is None
        ):
            raise NotFound(f"no user named {data.owner!r}", field="owner")
        obj.created_by = data.owner
    if not data.restricted and data.grants:
        raise InvalidInput(
            "grants apply to a restricted object: set restricted true or send no grants",
            field="grants",
        )
    group_ids = _group_ids(session, data.grants)
    acl = _acl(session, kind, obj.id)
    if acl is not None:
        session.execute(delete(ObjectGrant).where(ObjectGrant.acl_id == acl.id))
        if not data.restricted:
            session.delete(acl)
            acl = None
    if data.restricted:
        if acl is None:
            acl = ObjectAcl(kind=acl_kind(kind), object_id=obj.id)
            session.add(acl)
            session.flush()
        for entry, group_id in zip(data.grants, group_ids, strict=True):
            session.add(
                ObjectGrant(
                    acl_id=acl.id,
                    group_id=group_id,
                    can_read=entry.read,
                    can_run=entry.run,
                    can_edit=entry.edit,
                )
            )
    session.flush()
    key_cache.clear()
    return _read(session, who, kind, obj)


def _group_ids(session: Session, grants: list[GrantEntry]) -> list[int]:
    ids: list[int] = []
    for position, entry in enumerate(grants):
        found = session.scalar(select(Group.id).where(Group.name == entry.group))
        if found is None:
            raise NotFound(f"no group named {entry.group!r}", field=f"grants[{position}].group")
        if found in ids:
            raise InvalidInput(
                f"group {entry.group!r} is listed twice", field=f"grants[{position}].group"
            )
        if not (entry.read or entry.run or entry.edit):
            raise InvalidInput(
                f"group {entry.group!r} is granted nothing: give read, run or edit, or leave "
                "it out",
                field=f"grants[{position}]",
            )
        ids.append(found)
    return ids


# -- the groups x objects matrix -------------------------------------------------------------
def matrix(session: Session, kinds: list[Kind]) -> AccessMatrix:
    """Every object of ``kinds`` with what each group's members may do through that group
    (its role, capped by the object's grants when restricted). Owners and admins are not
    in it: they reach everything they own or see."""
    all_groups = list(session.scalars(select(Group).order_by(Group.name)))
    acls = {(a.kind, a.object_id): a for a in session.scalars(select(ObjectAcl))}
    grants: dict[int, dict[int, ObjectGrant]] = {}
    for grant in session.scalars(select(ObjectGrant)):
        grants.setdefault(grant.acl_id, {})[grant.group_id] = grant
    rows: list[MatrixRow] = []
    for kind in kinds:
        model = _model(kind)
        query = select(model).order_by(model.name)
        if model is Automation:
            query = query.where(Automation.kind == kind)
        for obj in session.scalars(query):
            acl = acls.get((acl_kind(kind), obj.id))
            cells = []
            for group in all_groups:
                cap = _role_cap(Role(group.role), kind)
                if acl is not None:
                    granted = grants.get(acl.id, {}).get(group.id)
                    cap = cap & frozenset(_granted(granted) if granted else ())
                cells.append(MatrixCell(group=group.name, rights=[r for r in RIGHTS if r in cap]))
            rows.append(
                MatrixRow(
                    kind=kind,
                    object_id=obj.id,
                    name=obj.name,
                    owner=obj.created_by or "",
                    restricted=acl is not None,
                    cells=cells,
                )
            )
    return AccessMatrix(groups=[g.name for g in all_groups], rows=rows)


def group_names(session: Session) -> list[str]:
    return list(session.scalars(select(Group.name).order_by(Group.name)))

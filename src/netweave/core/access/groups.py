"""Groups: users with the same rights. A group carries a role and pool fences; a user's
rights are the union of their own (``users.role``/``pool_ids``) and their groups': the
highest role, and, for acting on devices, every device that any grant allowing action
reaches (one unfenced acting grant: every device). Memberships come from an admin
(``local``) or from the directory at each sign-in (``directory``, replaced each time)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from netweave.core.access import key_cache
from netweave.core.access.schemas import GroupCreate, GroupRead, GroupUpdate
from netweave.core.inventory.pools import pool_by_name
from netweave.db.models import Group, GroupMember, Pool, Role, User
from netweave.foundation.errors import Conflict, InvalidInput, NotFound


@dataclass(frozen=True)
class Grant:
    role: Role
    pool_ids: tuple[int, ...]  # empty: unfenced


@dataclass(frozen=True)
class Effective:
    role: Role
    pool_ids: tuple[int, ...] | None  # None: unfenced (for acting on devices)
    groups: tuple[str, ...]


def grants(session: Session, user: User) -> tuple[list[Grant], list[str]]:
    own = [Grant(Role(user.role), tuple(user.pool_ids or ()))]
    rows = session.execute(
        select(Group.name, Group.role, Group.pool_ids)
        .join(GroupMember, GroupMember.group_id == Group.id)
        .where(GroupMember.user_id == user.id)
        .order_by(Group.name)
    ).all()
    found = own + [Grant(Role(role), tuple(ids or ())) for _, role, ids in rows]
    return found, list(dict.fromkeys(name for name, _, _ in rows))


def effective(session: Session, user: User) -> Effective:
    found, names = grants(session, user)
    role = max((g.role for g in found), key=lambda r: r.rank)
    if role is Role.admin:
        return Effective(role, None, tuple(names))
    acting = [g for g in found if g.role.rank >= Role.operator.rank] or found
    if any(not g.pool_ids for g in acting):
        return Effective(role, None, tuple(names))
    ids = sorted({pool for g in acting for pool in g.pool_ids})
    return Effective(role, tuple(ids), tuple(names))


def effective_role(session: Session, user: User) -> Role:
    return effective(session, user).role


# -- admin's management -------------------------------------------------------------------
def get(session: Session, group_id: int) -> Group:
    row = session.get(Group, group_id)
    if row is None:
        raise NotFound(f"no group {group_id}", field="group_id")
    return row


def list_groups(session: Session) -> list[Group]:
    return list(session.scalars(select(Group).order_by(Group.name)))


def _pool_ids(session: Session, names: list[str]) -> list[int] | None:
    ids = [
        pool_by_name(session, name, field=f"pools[{position}]").id
        for position, name in enumerate(dict.fromkeys(names))
    ]
    return sorted(ids) or None


def _users(session: Session, usernames: Iterable[str]) -> list[User]:
    wanted = list(dict.fromkeys(usernames))
    found = {u.username: u for u in session.scalars(select(User).where(User.username.in_(wanted)))}
    for position, name in enumerate(wanted):
        if name not in found:
            raise NotFound(f"no user named {name!r}", field=f"members[{position}]")
    return [found[name] for name in wanted]


def _set_local_members(session: Session, group: Group, usernames: list[str]) -> None:
    users = _users(session, usernames)
    session.execute(
        delete(GroupMember).where(GroupMember.group_id == group.id, GroupMember.source == "local")
    )
    directory = set(
        session.scalars(select(GroupMember.user_id).where(GroupMember.group_id == group.id))
    )
    for user in users:
        if user.id in directory:  # also a directory member: the admin's word is kept
            session.execute(
                delete(GroupMember).where(
                    GroupMember.group_id == group.id, GroupMember.user_id == user.id
                )
            )
        session.add(GroupMember(group_id=group.id, user_id=user.id, source="local"))


def _directory_names(names: list[str]) -> list[str]:
    cleaned = [name.strip() for name in names]
    for position, name in enumerate(cleaned):
        if not name:
            raise InvalidInput(
                "a directory group name is empty", field=f"directory_groups[{position}]"
            )
    return list(dict.fromkeys(cleaned))


def create(session: Session, data: GroupCreate) -> Group:
    if session.scalar(select(Group.id).where(Group.name == data.name)) is not None:
        raise Conflict(f"a group named {data.name!r} exists", field="name")
    group = Group(
        name=data.name,
        description=data.description,
        role=data.role.value,
        pool_ids=_pool_ids(session, data.pools),
        directory_groups=_directory_names(data.directory_groups),
    )
    session.add(group)
    session.flush()
    _set_local_members(session, group, data.members)
    session.flush()
    key_cache.clear()
    return group


def update(session: Session, group_id: int, data: GroupUpdate) -> Group:
    group = get(session, group_id)
    if data.description is not None:
        group.description = data.description
    if data.role is not None:
        group.role = data.role.value
    if data.pools is not None:
        group.pool_ids = _pool_ids(session, data.pools)
    if data.directory_groups is not None:
        group.directory_groups = _directory_names(data.directory_groups)
    if data.members is not None:
        _set_local_members(session, group, data.members)
    session.flush()
    key_cache.clear()  # cached API keys carry their owner's role
    return group


def delete_group(session: Session, group_id: int) -> None:
    session.delete(get(session, group_id))
    session.flush()
    key_cache.clear()


def read(session: Session, group: Group) -> GroupRead:
    ids = list(group.pool_ids or [])
    pools = list(session.scalars(select(Pool.name).where(Pool.id.in_(ids)).order_by(Pool.name)))
    members = session.execute(
        select(User.username, GroupMember.source)
        .join(GroupMember, GroupMember.user_id == User.id)
        .where(GroupMember.group_id == group.id)
        .order_by(User.username)
    ).all()
    return GroupRead(
        id=group.id,
        name=group.name,
        description=group.description,
        role=Role(group.role),
        pools=pools,
        missing_pools=len(ids) - len(pools),
        directory_groups=list(group.directory_groups or []),
        members=[name for name, source in members if source == "local"],
        directory_members=[name for name, source in members if source == "directory"],
        created_at=group.created_at,
    )


# -- the directory --------------------------------------------------------------------------
def sync_directory_memberships(
    session: Session, user: User, directory_groups: list[str]
) -> list[str]:
    """Make ``user``'s directory memberships the NetWeave groups mapped to the directory
    groups they are in now (case-insensitive names); an admin's own memberships are kept.
    Returns the names of the groups they are now in through the directory."""
    theirs = {name.casefold() for name in directory_groups}
    mapped = [
        group for group in session.scalars(select(Group).order_by(Group.name))
        if any(name.casefold() in theirs for name in group.directory_groups or [])
    ]  # fmt: skip
    local = set(
        session.scalars(
            select(GroupMember.group_id).where(
                GroupMember.user_id == user.id, GroupMember.source == "local"
            )
        )
    )
    session.execute(
        delete(GroupMember).where(GroupMember.user_id == user.id, GroupMember.source == "directory")
    )
    for group in mapped:
        if group.id not in local:
            session.add(GroupMember(group_id=group.id, user_id=user.id, source="directory"))
    session.flush()
    key_cache.clear()
    return [group.name for group in mapped]

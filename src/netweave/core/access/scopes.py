"""Per-pool access: an admin may restrict a user to a set of pools; such a user may then run
jobs, services and terminals only on devices in those pools (static members or the pools'
live filters, evaluated at the time of the action). An empty set means unrestricted; admins
are never restricted. A restricted set whose pools were all deleted allows nothing (it
fails closed rather than falling back to "unrestricted").

:func:`ensure_allowed` is the one check; job submission, runs and terminals call it."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, false, or_, select, tuple_
from sqlalchemy.orm import Session

from netweave.core.access import groups
from netweave.core.access.schemas import Rights, UserPoolsRead
from netweave.core.access.users import get_user
from netweave.core.inventory.pools import membership_clause, pool_by_name
from netweave.db.models import Device, Pool, Role, User
from netweave.foundation.errors import PermissionDenied

SHOWN = 10


def read(session: Session, user: User) -> UserPoolsRead:
    ids = list(user.pool_ids or [])
    names = list(session.scalars(select(Pool.name).where(Pool.id.in_(ids)).order_by(Pool.name)))
    return UserPoolsRead(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        pools=names,
        restricted=bool(ids) and user.role != Role.admin,
        missing_pools=len(ids) - len(names),
    )


def rights(session: Session, user: User) -> Rights:
    found = groups.effective(session, user)
    pools = None
    if found.pool_ids is not None:
        ids = list(found.pool_ids)
        pools = list(session.scalars(select(Pool.name).where(Pool.id.in_(ids)).order_by(Pool.name)))
    return Rights(role=found.role, pools=pools, groups=list(found.groups))


def set_pools(session: Session, user_id: int, names: list[str]) -> User:
    user = get_user(session, user_id)
    ids = [
        pool_by_name(session, name, field=f"pools[{position}]").id
        for position, name in enumerate(dict.fromkeys(names))
    ]
    user.pool_ids = sorted(ids) or None
    session.flush()
    return user


def _restriction(session: Session, username: str) -> list[Pool] | None:
    """The pools ``username`` is restricted to; None when unrestricted. With groups: the
    union of every grant allowing action (their own and their groups', see groups.py)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        return None
    ids = groups.effective(session, user).pool_ids
    if ids is None:
        return None
    return list(session.scalars(select(Pool).where(Pool.id.in_(ids)).order_by(Pool.name)))


def fence(session: Session, username: str | None) -> list[Pool] | None:
    """The pools ``username`` is fenced to (an empty list when they were all deleted);
    None when unrestricted (admins, unfenced users, the system)."""
    return None if username is None else _restriction(session, username)


def ensure_unfenced(session: Session, username: str | None, action: str, field: str) -> None:
    """Refuse (403) ``action`` to a user fenced to pools: pool definitions, for one, decide
    what a fence holds, so a fenced user may not create, change or delete them."""
    pools = fence(session, username)
    if pools is not None:
        where = ", ".join(p.name for p in pools) or "(pools since deleted)"
        raise PermissionDenied(
            f"{username} is restricted to pool(s) {where} and may not {action}", field=field
        )


def ensure_allowed(
    session: Session,
    username: str | None,
    *,
    device_ids: Collection[int] = (),
    addresses: Collection[tuple[str, int]] = (),
    field: str = "targets",
) -> None:
    """Refuse (403, naming the devices) when ``username`` is restricted to pools and any of
    the inventory devices, or any ``(host, port)`` not matching a device of those pools, is
    outside them. ``username`` None is the system (scheduler, event rules, CLI)."""
    if username is None or not (device_ids or addresses):
        return
    pools = _restriction(session, username)
    if pools is None:
        return
    inside: ColumnElement[bool] = or_(*(membership_clause(p) for p in pools)) if pools else false()
    outside: list[str] = []
    if device_ids:
        wanted = set(device_ids)
        allowed = set(session.scalars(select(Device.id).where(Device.id.in_(wanted), inside)))
        if wanted - allowed:
            refused = select(Device.name).where(Device.id.in_(wanted - allowed))
            outside += sorted(session.scalars(refused))
    if addresses:
        pairs = set(addresses)
        matched = session.execute(
            select(Device.host, Device.port).where(
                tuple_(Device.host, Device.port).in_(pairs), inside
            )
        )
        allowed_pairs = {(host, port) for host, port in matched}
        outside += sorted(f"{host}:{port}" for host, port in pairs - allowed_pairs)
    if outside:
        shown = ", ".join(outside[:SHOWN]) + (
            f" and {len(outside) - SHOWN} more" if len(outside) > SHOWN else ""
        )
        where = ", ".join(p.name for p in pools) or "(pools since deleted)"
        raise PermissionDenied(
            f"{username} may act only on devices in pool(s) {where}; not on {shown}",
            field=field,
        )

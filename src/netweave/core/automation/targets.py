"""Target devices of a run: names, pools and an inventory query, in one union."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from netweave.core.access import object_rights
from netweave.core.access.scopes import ensure_allowed, fence
from netweave.core.automation.schemas import TargetSpec
from netweave.core.inventory.pools import membership_clause, pool_by_name
from netweave.core.inventory.query import device_filter_clause
from netweave.db.models import Device, Pool
from netweave.foundation.errors import NotFound, PermissionDenied

MAX_TARGETS = 100_000


def resolve_targets(
    session: Session, spec: TargetSpec, field: str = "targets", actor: str | None = None
) -> list[Device]:
    """``actor``: a restricted pool is targeted only with its run right (None: the
    system)."""
    clauses: list[ColumnElement[bool]] = []
    if spec.devices:
        names = set(spec.devices)
        found = set(session.scalars(select(Device.name).where(Device.name.in_(names))))
        missing = sorted(names - found)
        if missing:
            shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
            raise NotFound(f"no device(s) named {shown}", field=f"{field}.devices")
        clauses.append(Device.name.in_(names))
    for position, name in enumerate(spec.pools):
        pool = pool_by_name(session, name, field=f"{field}.pools[{position}]")
        object_rights.ensure(
            session,
            actor,
            "pool",
            pool,
            "run",
            ref=f"named {name!r}",
            field=f"{field}.pools[{position}]",
        )
        clauses.append(membership_clause(pool))
    if spec.query is not None:
        clauses.append(device_filter_clause(spec.query))
    if not clauses:
        return []
    query = select(Device).where(or_(*clauses)).order_by(Device.name).limit(MAX_TARGETS)
    return list(session.scalars(query))


def ensure_targets_allowed(
    session: Session, username: str | None, spec: TargetSpec | None, field: str = "targets"
) -> None:
    """On save (tasks, triggers, default targets): refuse (403) targets that select a
    device outside ``username``'s pools, resolved as a run would resolve them now. Runs
    check again when they start (a pool's live filter or the user's fence may change)."""
    if spec is None or spec.empty():
        return
    if fence(session, username) is None:  # a pool named may be made later; a restricted
        for position, name in enumerate(spec.pools):  # one needs the run right
            pool = session.scalar(select(Pool).where(Pool.name == name))
            if pool is not None:
                object_rights.ensure(
                    session,
                    username,
                    "pool",
                    pool,
                    "run",
                    ref=f"named {name!r}",
                    field=f"{field}.pools[{position}]",
                )
        return
    devices = resolve_targets(session, spec, field, username)
    ensure_allowed(session, username, device_ids=[d.id for d in devices], field=field)


def ensure_may_manage(
    session: Session,
    username: str | None,
    *,
    noun: str,
    name: str,
    owner: str | None,
    targets: dict[str, object] | None,
) -> None:
    """A user fenced to pools deletes, pauses or resumes a saved task or trigger only when
    it could have saved it as it is: its targets inside the user's pools; one without
    targets (it runs on the automation's default targets) only when it is the user's own."""
    if username is None or fence(session, username) is None:
        return
    if targets:
        ensure_targets_allowed(session, username, TargetSpec.model_validate(targets))
        return
    if owner != username:
        raise PermissionDenied(
            f"{username} may act only on devices in its pools: {noun} {name!r} (saved by "
            f"{owner or 'nobody'}) runs on its automation's default targets",
            field="targets",
        )

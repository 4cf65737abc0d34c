"""Deleting a user who owns things: what they own (``created_by`` of services and workflows,
tasks, triggers, event rules) is handed over to another user in the same transaction.

An owner is not a label: tasks and event rules fire with their owner's rights and fence,
triggers check their targets against their owner's fence, and an owner may change what it
owns under a fence. So the heir must be able to save each thing as it is: an active
operator or admin; an admin for a service of a privileged type and for a task or trigger
giving inputs to one; their fence holding every target (the thing's own, or its
automation's default ones) and every event rule confined to one of their pools. Otherwise
409 naming the thing, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from netweave.core.access import object_rights, users
from netweave.core.access.groups import effective_role
from netweave.core.access.scopes import fence
from netweave.core.automation.catalog import ensure_may_give_inputs, is_privileged
from netweave.core.automation.schemas import ServiceOptions, TargetSpec
from netweave.core.automation.targets import ensure_targets_allowed
from netweave.db.models import (
    Automation,
    Credential,
    EventRule,
    Pool,
    Role,
    ServiceType,
    Task,
    Trigger,
    User,
)
from netweave.foundation.errors import Conflict, NotFound, PermissionDenied

Owned = Automation | Task | Trigger | EventRule | Credential | Pool
KINDS: tuple[tuple[str, type[Owned]], ...] = (
    ("services and workflows", Automation),
    ("tasks", Task),
    ("triggers", Trigger),
    ("event rules", EventRule),
    ("credentials", Credential),
    ("pools", Pool),
)


def owned(session: Session, username: str) -> dict[str, list[Owned]]:
    """What ``username`` owns, per kind (kinds with nothing left out)."""
    found: dict[str, list[Owned]] = {}
    for kind, model in KINDS:
        query = select(model).where(model.created_by == username)
        rows = [cast(Owned, row) for row in session.scalars(query)]
        if rows:
            found[kind] = rows
    return found


def delete_user(
    session: Session, user_id: int, actor_id: int | None, transfer_to: str | None
) -> dict[str, int]:
    """Delete the user; what they own goes to ``transfer_to`` first. Returns the counts
    handed over per kind. 409 when they own something and no heir is named, or the heir
    could not own one of the things (named); 404 naming ``transfer_to`` when unknown."""
    user = users.get_user(session, user_id)
    users.ensure_deletable(session, user, actor_id)
    heir = _heir(session, user, transfer_to)
    things = owned(session, user.username)
    if things and heir is None:
        counts = ", ".join(f"{len(rows)} {kind}" for kind, rows in things.items())
        raise Conflict(
            f"{user.username} owns {counts}: pass transfer_to=<username> to hand them over "
            "to another user (an operator or admin able to own them)",
            field="transfer_to",
        )
    if heir is not None and things:
        _ensure_may_own(session, heir, things)
        for rows in things.values():
            for row in rows:
                row.created_by = heir.username  # the changelog records each
    users.delete_user(session, user_id, actor_id)
    return {kind: len(rows) for kind, rows in things.items()}


def _heir(session: Session, user: User, transfer_to: str | None) -> User | None:
    if transfer_to is None:
        return None
    heir = users.find_user(session, transfer_to)
    if heir is None:
        raise NotFound(f"no user named {transfer_to!r}", field="transfer_to")
    if heir.id == user.id:
        raise Conflict("the heir must be another user", field="transfer_to")
    return heir


def _ensure_may_own(session: Session, heir: User, things: dict[str, list[Owned]]) -> None:
    name = heir.username
    if not heir.is_active:
        raise Conflict(f"{name} is disabled and cannot own anything", field="transfer_to")
    role = effective_role(session, heir)
    if role.rank < Role.operator.rank:
        raise Conflict(
            f"{name} is a {role.value}: only operators and admins own services, workflows, "
            "tasks, triggers and event rules",
            field="transfer_to",
        )
    checks: dict[type[Owned], tuple[str, Callable[[Session, str, Any], None]]] = {
        Automation: ("", _automation),
        Task: ("task", _task),
        Trigger: ("trigger", _trigger),
        EventRule: ("event rule", _rule),
        Credential: ("credential", _credential),
        Pool: ("pool", _pool),
    }
    for rows in things.values():
        for row in rows:
            noun, check = checks[type(row)]
            noun = noun or getattr(row, "kind", "service")
            try:
                check(session, name, row)
            except (PermissionDenied, NotFound) as exc:
                raise Conflict(
                    f"{noun} {row.name!r} cannot go to {name}: {exc.message}",
                    field="transfer_to",
                ) from exc


def _default_targets(session: Session, automation: str) -> TargetSpec | None:
    row = session.scalar(select(Automation).where(Automation.name == automation))
    if row is None:
        return None
    return ServiceOptions.model_validate(row.options or {}).targets


def _targets(session: Session, heir: str, saved: dict[str, Any] | None, automation: str) -> None:
    """The targets its firings would use now: its own, else its automation's defaults."""
    spec = TargetSpec.model_validate(saved) if saved else _default_targets(session, automation)
    ensure_targets_allowed(session, heir, spec)


def _automation(session: Session, heir: str, row: Automation) -> None:
    if row.kind == "service" and not users.is_admin(session, heir):
        kind = session.get(ServiceType, row.type)
        if kind is None or is_privileged(kind):
            raise PermissionDenied(
                f"it is of the privileged type {row.type!r}: only an admin may own it"
            )
    ensure_targets_allowed(
        session, heir, ServiceOptions.model_validate(row.options or {}).targets, "options.targets"
    )


def _credential(session: Session, heir: str, row: Credential) -> None:
    if not users.is_admin(session, heir):
        raise PermissionDenied("only an admin may own a credential")


def _pool(session: Session, heir: str, row: Pool) -> None:
    if fence(session, heir) is not None:
        raise PermissionDenied("a user fenced to pools may not own pool definitions")


def _runs(session: Session, heir: str, automation: str) -> None:
    """Its firings run ``automation`` with the heir's rights: the heir needs run on it."""
    row = session.scalar(select(Automation).where(Automation.name == automation))
    if row is not None:
        object_rights.ensure(session, heir, row.kind, row, "run", ref=f"named {automation!r}")


def _task(session: Session, heir: str, row: Task) -> None:
    _runs(session, heir, row.automation)
    ensure_may_give_inputs(session, row.automation, row.inputs, heir)
    _targets(session, heir, row.targets, row.automation)


def _trigger(session: Session, heir: str, row: Trigger) -> None:
    ensure_may_give_inputs(session, row.automation, (row.variables or {}).get("inputs"), heir)
    _targets(session, heir, row.targets, row.automation)


def _rule(session: Session, heir: str, row: EventRule) -> None:
    _runs(session, heir, row.automation)
    pools = fence(session, heir)
    if pools is None or (row.match or {}).get("pool") in {p.name for p in pools}:
        return
    where = ", ".join(p.name for p in pools) or "(pools since deleted)"
    raise PermissionDenied(
        f"{heir} acts only on devices in pool(s) {where} and the rule is not confined to one "
        "of them (match.pool)"
    )

"""Per-object permissions of a run (core/access/object_rights.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from netweave.core.access import object_rights
from netweave.core.access.object_schemas import Right
from netweave.core.automation import definitions
from netweave.db.models import Automation, Device, Run
from netweave.foundation.errors import NotFound, PermissionDenied


def ensure_may_run(
    session: Session,
    acting_user: str | None,
    automation: Automation,
    definition: dict[str, Any],
    devices: list[Device],
) -> None:
    """Per-object permissions of a run: the run right on the automation and on every
    service and sub-workflow it runs (a workflow is no way around a step's restriction),
    and the use right on every credential its steps or target devices name."""
    if acting_user is None:
        return
    seen: set[int] = set()

    def visit(row: Automation) -> None:
        if row.id in seen:
            return
        if not seen:  # the automation asked for: one the caller may not read is a 404
            object_rights.ensure(
                session, acting_user, row.kind, row, "run", ref=f"named {row.name!r}", field="name"
            )
        elif not object_rights.allows(session, acting_user, row.kind, row, "run"):
            raise PermissionDenied(
                f"{automation.name!r} runs the {row.kind} {row.name!r}, which is restricted: "
                f"{acting_user} needs the run right on it too",
                field="name",
            )
        seen.add(row.id)
        for node in (row.graph or {}).get("nodes", []) if row.kind == "workflow" else []:
            visit(definitions.by_name(session, node["ref"]))

    visit(automation)
    used = [step.get("credential_id") for step in definition["steps"].values()]
    object_rights.ensure_credentials(
        session, acting_user, used + [d.credential_id for d in devices], "credential"
    )


def ensure_run_reachable(
    session: Session, actor: str | None, run: Run, right: Right = "read"
) -> None:
    """A run of a service or workflow ``actor`` may not read is a 404 as if it did not
    exist (its results and events too); stopping or restarting it needs the run right.
    Ad-hoc runs (no stored automation) and the system pass."""
    if actor is None or run.automation_id is None:
        return
    automation = session.get(Automation, run.automation_id)
    if automation is None:
        return
    if not object_rights.allows(session, actor, automation.kind, automation, "read"):
        raise NotFound(f"no run {run.id}", field="id")
    if right != "read" and not object_rights.allows(
        session, actor, automation.kind, automation, right
    ):
        raise PermissionDenied(
            f"the {automation.kind} {automation.name!r} is restricted and {actor} has no "
            f"{right} right on it",
            field="id",
        )


def ensure_target_credentials(
    session: Session, actor: str | None, definition: dict[str, Any], targets: list[dict[str, Any]]
) -> None:
    """A restart's steps and devices: the use right on every credential they log in with."""
    ids = [int(t["id"]) for t in targets]
    devices = list(session.scalars(select(Device).where(Device.id.in_(ids)))) if ids else []
    used = [step.get("credential_id") for step in definition.get("steps", {}).values()]
    object_rights.ensure_credentials(
        session, actor, used + [d.credential_id for d in devices], "credential"
    )

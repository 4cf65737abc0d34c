"""REST triggers: an external system POSTs a payload; the trigger maps it to variables,
inputs and a target device, and starts its service or workflow."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from netweave.core.access.scopes import fence
from netweave.core.automation import definitions
from netweave.core.automation.catalog import ensure_may_give_inputs
from netweave.core.automation.runs import RunService
from netweave.core.automation.schemas import RunRead, RunRequest, ServiceOptions, TargetSpec
from netweave.core.automation.targets import ensure_may_manage, ensure_targets_allowed
from netweave.core.events.schemas import TriggerCreate, TriggerRead, TriggerUpdate
from netweave.db.models import Device, Trigger
from netweave.foundation.errors import Conflict, InvalidInput, NotFound
from netweave.services.builtin.matching import pick


def read(row: Trigger) -> TriggerRead:
    return TriggerRead(
        id=row.id,
        name=row.name,
        description=row.description,
        automation=row.automation,
        variables=dict(row.variables.get("variables", {})),
        inputs=dict(row.variables.get("inputs", {})),
        device_path=row.device_path,
        targets=row.targets,
        enabled=row.enabled,
        fired=row.fired,
        last_fired_at=row.last_fired_at,
    )


def by_name(session: Session, name: str) -> Trigger:
    row = session.scalar(select(Trigger).where(Trigger.name == name))
    if row is None:
        raise NotFound(f"no trigger named {name!r}", field="name")
    return row


def create(session: Session, data: TriggerCreate, creator: str | None = None) -> Trigger:
    definitions.by_name(session, data.automation)
    ensure_may_give_inputs(session, data.automation, data.inputs, creator)
    ensure_targets_allowed(session, creator, data.targets)
    if session.scalar(select(Trigger.id).where(Trigger.name == data.name)) is not None:
        raise Conflict(f"a trigger named {data.name!r} exists", field="name")
    row = Trigger(
        name=data.name,
        description=data.description,
        automation=data.automation,
        variables={"variables": data.variables, "inputs": data.inputs},
        device_path=data.device_path,
        targets=data.targets.model_dump(mode="json", exclude_defaults=True)
        if data.targets
        else None,
        enabled=data.enabled,
        created_by=creator or "",
    )
    session.add(row)
    session.flush()
    return row


def update(session: Session, name: str, data: TriggerUpdate, actor: str | None = None) -> Trigger:
    """The editor becomes the trigger's owner (whose rights and fence its runs obey)."""
    row = by_name(session, name)
    mapping = {
        "variables": dict(row.variables.get("variables", {})),
        "inputs": dict(row.variables.get("inputs", {})),
    }
    if data.variables is not None:
        mapping["variables"] = data.variables
    if data.inputs is not None:
        mapping["inputs"] = data.inputs
    row.variables = mapping
    if data.description is not None:
        row.description = data.description
    if data.device_path is not None:
        row.device_path = data.device_path
    if data.targets is not None:
        row.targets = data.targets.model_dump(mode="json", exclude_defaults=True)
    if data.enabled is not None:
        row.enabled = data.enabled
    if fence(session, actor) is not None:
        saved = TargetSpec.model_validate(row.targets) if row.targets else None
        ensure_targets_allowed(session, actor, saved)
    if actor is not None:  # the last editor owns it: its firings act with its rights
        ensure_may_give_inputs(session, row.automation, mapping["inputs"], actor)
        row.created_by = actor
    session.flush()
    return row


def list_triggers(session: Session) -> list[Trigger]:
    return list(session.scalars(select(Trigger).order_by(Trigger.name)))


def delete(session: Session, name: str, actor: str | None = None) -> None:
    row = by_name(session, name)
    ensure_may_manage(
        session, actor, noun="trigger", name=row.name, owner=row.created_by, targets=row.targets
    )
    session.delete(row)
    session.flush()


def resolve_device(session: Session, value: Any, field: str) -> str:
    """A device named, or addressed (unique host), by ``value``."""
    text = str(value)
    rows = list(
        session.scalars(select(Device.name).where(or_(Device.name == text, Device.host == text)))
    )
    if text in rows:
        return text
    if len(rows) == 1:
        return rows[0]
    if not rows:
        raise NotFound(f"no device named or addressed {text!r}", field=field)
    raise InvalidInput(f"{text!r} is the address of {len(rows)} devices: name one", field=field)


def fire(session_factory: Any, runs: RunService, name: str, payload: Any, caller: str) -> RunRead:
    with session_factory() as session, session.begin():
        row = by_name(session, name)
        if not row.enabled:
            raise Conflict(f"trigger {name!r} is disabled", field="name")
        mapping = row.variables
        variables: dict[str, Any] = {"payload": payload}
        for key, path in mapping.get("variables", {}).items():
            variables[key] = pick(payload, path)
        inputs = {
            key: value
            for key, path in mapping.get("inputs", {}).items()
            if (value := pick(payload, path)) is not None
        }
        targets = TargetSpec.model_validate(row.targets) if row.targets else None
        if row.device_path:
            value = pick(payload, row.device_path)
            if value is None:
                raise InvalidInput("missing from the payload", field=f"payload.{row.device_path}")
            device = resolve_device(session, value, f"payload.{row.device_path}")
            targets = TargetSpec(devices=[device])
        if row.created_by:  # the targets must be inside the saver's fence too
            checked = targets
            if checked is None:
                defined = definitions.by_name(session, row.automation)
                checked = ServiceOptions.model_validate(defined.options or {}).targets
            ensure_targets_allowed(session, row.created_by, checked)
        row.fired += 1
        row.last_fired_at = datetime.now(UTC)
        automation = row.automation
    request = RunRequest(targets=targets, variables=variables, inputs=inputs)
    return runs.launch(
        automation, request, f"trigger:{name} ({caller})", trigger="rest", acting_user=caller
    )

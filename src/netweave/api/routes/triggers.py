"""REST triggers: define them (operators), fire them (a trigger-scoped API key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from netweave.api.deps import DbSession, Operator, RuntimeDep, TriggerCaller, Viewer
from netweave.api.responses import LOOKUP_CONFLICT, NOT_FOUND
from netweave.core.automation.schemas import RunRead
from netweave.core.events import triggers
from netweave.core.events.schemas import TriggerCreate, TriggerRead, TriggerUpdate
from netweave.foundation.bounded import BoundedAny

router = APIRouter(prefix="/api/v1/triggers", tags=["triggers"])


@router.get("", response_model=list[TriggerRead])
def list_triggers(_: Viewer, db: DbSession) -> list[TriggerRead]:
    return [triggers.read(t) for t in triggers.list_triggers(db)]


@router.post("", response_model=TriggerRead, status_code=201, responses=LOOKUP_CONFLICT)
def create_trigger(body: TriggerCreate, principal: Operator, db: DbSession) -> TriggerRead:
    row = triggers.create(db, body, principal.username)
    db.commit()
    return triggers.read(row)


@router.get("/{name}", response_model=TriggerRead, responses=NOT_FOUND)
def get_trigger(name: str, _: Viewer, db: DbSession) -> TriggerRead:
    return triggers.read(triggers.by_name(db, name))


@router.patch("/{name}", response_model=TriggerRead, responses=LOOKUP_CONFLICT)
def update_trigger(
    name: str, body: TriggerUpdate, principal: Operator, db: DbSession
) -> TriggerRead:
    row = triggers.update(db, name, body, principal.username)
    db.commit()
    return triggers.read(row)


@router.delete("/{name}", status_code=204, responses=NOT_FOUND)
def delete_trigger(name: str, principal: Operator, db: DbSession) -> None:
    triggers.delete(db, name, principal.username)
    db.commit()


@router.post("/{name}/fire", response_model=RunRead, status_code=201, responses=LOOKUP_CONFLICT)
def fire_trigger(
    name: str,
    caller: TriggerCaller,
    runtime: RuntimeDep,
    payload: Annotated[
        BoundedAny, Body(description="Any JSON; mapped to variables and inputs")
    ] = None,
) -> RunRead:
    """Start the trigger's service or workflow. Answers at once with the run (queued)."""
    return triggers.fire(runtime.sessions, runtime.runs, name, payload or {}, caller.username)

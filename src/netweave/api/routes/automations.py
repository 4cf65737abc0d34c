"""Service types, services and workflows: CRUD and YAML export/import."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query
from fastapi.responses import PlainTextResponse

from netweave.api.deps import Admin, DbSession, Operator, RuntimeDep, Viewer
from netweave.api.params import Id, Limit, Offset
from netweave.api.responses import LOOKUP_CONFLICT, NOT_FOUND
from netweave.api.text_params import ContainsText
from netweave.core.access.principal import Principal
from netweave.core.automation import bulk_runs, definitions, variables
from netweave.core.automation.catalog import type_read
from netweave.core.automation.schemas import (
    AutomationRead,
    RunRead,
    ServiceCreate,
    ServiceTypeRead,
    ServiceTypeUpdate,
    ServiceUpdate,
    WorkflowCreate,
    WorkflowUpdate,
)
from netweave.core.automation.variables import AutomationVariables
from netweave.core.bulk import BulkIds, BulkResult
from netweave.core.inventory.schemas import Page
from netweave.db.models import Role
from netweave.foundation.errors import InvalidInput

types_router = APIRouter(prefix="/api/v1/service-types", tags=["service types"])
services_router = APIRouter(prefix="/api/v1/services", tags=["services"])
workflows_router = APIRouter(prefix="/api/v1/workflows", tags=["workflows"])
transfer_router = APIRouter(prefix="/api/v1/automations", tags=["workflows"])


@types_router.get("", response_model=list[ServiceTypeRead])
def list_types(_: Viewer, runtime: RuntimeDep, db: DbSession) -> list[ServiceTypeRead]:
    """Every service type with its input form (JSON Schema); custom ones show ``enabled``."""
    runtime.catalog.ensure_synced()
    return runtime.catalog.types(db)


@types_router.post("/discover", response_model=list[ServiceTypeRead])
def discover_types(_: Admin, runtime: RuntimeDep, db: DbSession) -> list[ServiceTypeRead]:
    """Rescan the custom services folder (where this process runs services)."""
    runtime.catalog.sync()
    return runtime.catalog.types(db)


@types_router.get("/{name}", response_model=ServiceTypeRead, responses=NOT_FOUND)
def get_type(name: str, _: Viewer, runtime: RuntimeDep, db: DbSession) -> ServiceTypeRead:
    runtime.catalog.ensure_synced()
    return type_read(runtime.catalog.get(db, name))


@types_router.patch("/{name}", response_model=ServiceTypeRead, responses=NOT_FOUND)
def enable_type(
    name: str, body: ServiceTypeUpdate, _: Admin, runtime: RuntimeDep, db: DbSession
) -> ServiceTypeRead:
    """Only an admin enables a custom service type (its code runs on the workers)."""
    read = runtime.catalog.set_enabled(db, name, body.enabled)
    db.commit()
    return read


def _trigger(principal: Principal) -> str:
    return "ui" if principal.via == "session" else "api"


def _page(
    rows: list[definitions.Automation], total: int, limit: int, offset: int
) -> Page[AutomationRead]:
    return Page(items=[definitions.read(r) for r in rows], total=total, limit=limit, offset=offset)


@services_router.get("", response_model=Page[AutomationRead])
def list_services(
    principal: Viewer,
    db: DbSession,
    name: ContainsText = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AutomationRead]:
    """The services the caller may read."""
    rows, total = definitions.list_automations(
        db, "service", name=name, limit=limit, offset=offset, actor=principal.username
    )
    return _page(rows, total, limit, offset)


@services_router.post("", response_model=AutomationRead, status_code=201, responses=LOOKUP_CONFLICT)
def create_service(
    body: ServiceCreate, principal: Operator, runtime: RuntimeDep, db: DbSession
) -> AutomationRead:
    """Services of a privileged type (``privileged`` in /service-types): admins only."""
    runtime.catalog.ensure_synced()
    row = definitions.create_service(
        db, runtime.catalog, body, principal.username, admin=principal.has_role(Role.admin)
    )
    db.commit()
    return definitions.read(row)


@services_router.post("/bulk-delete", response_model=BulkResult, responses=LOOKUP_CONFLICT)
def bulk_delete_services(
    body: BulkIds, principal: Operator, runtime: RuntimeDep, db: DbSession
) -> BulkResult:
    """Delete every listed service: all or nothing (each as a single delete: a fenced user's
    own services only, privileged types by admins, none a workflow uses)."""
    runtime.catalog.ensure_synced()
    result = definitions.delete_many(
        db,
        body.ids,
        "service",
        catalog=runtime.catalog,
        admin=principal.has_role(Role.admin),
        actor=principal.username,
    )
    db.commit()
    return result


@services_router.post(
    "/bulk-run", response_model=list[RunRead], status_code=201, responses=LOOKUP_CONFLICT
)
def bulk_run_services(body: BulkIds, principal: Operator, runtime: RuntimeDep) -> list[RunRead]:
    """Run every listed service once on its default targets: all or nothing. One that
    changes configuration is refused (409): run it from its page, which shows the change."""
    return bulk_runs.launch_many(
        runtime.runs, "service", body.ids, principal.username, trigger=_trigger(principal)
    )


@services_router.get("/{service_id}", response_model=AutomationRead, responses=NOT_FOUND)
def get_service(service_id: Id, principal: Viewer, db: DbSession) -> AutomationRead:
    return definitions.read(definitions.readable(db, service_id, "service", principal.username))


@services_router.get(
    "/{service_id}/variables", response_model=AutomationVariables, responses=NOT_FOUND
)
def service_variables(service_id: Id, principal: Viewer, db: DbSession) -> AutomationVariables:
    """The run variables (``vars.*``) the service's templates read, to ask for before a run."""
    row = definitions.readable(db, service_id, "service", principal.username)
    return variables.of_automation(db, row)


@services_router.patch("/{service_id}", response_model=AutomationRead, responses=LOOKUP_CONFLICT)
def update_service(
    service_id: Id, body: ServiceUpdate, principal: Operator, runtime: RuntimeDep, db: DbSession
) -> AutomationRead:
    row = definitions.update_service(
        db,
        runtime.catalog,
        service_id,
        body,
        principal.username,
        admin=principal.has_role(Role.admin),
    )
    db.commit()
    return definitions.read(row)


@services_router.delete("/{service_id}", status_code=204, responses=LOOKUP_CONFLICT)
def delete_service(service_id: Id, principal: Operator, runtime: RuntimeDep, db: DbSession) -> None:
    admin = principal.has_role(Role.admin)
    definitions.delete(
        db, service_id, "service", catalog=runtime.catalog, admin=admin, actor=principal.username
    )
    db.commit()


@workflows_router.get("", response_model=Page[AutomationRead])
def list_workflows(
    principal: Viewer,
    db: DbSession,
    name: ContainsText = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AutomationRead]:
    """The workflows the caller may read."""
    rows, total = definitions.list_automations(
        db, "workflow", name=name, limit=limit, offset=offset, actor=principal.username
    )
    return _page(rows, total, limit, offset)


@workflows_router.post(
    "", response_model=AutomationRead, status_code=201, responses=LOOKUP_CONFLICT
)
def create_workflow(body: WorkflowCreate, principal: Operator, db: DbSession) -> AutomationRead:
    """The graph is validated on save: every step's service exists, start reaches end, no
    loops, one success and one failure edge at most per step."""
    row = definitions.create_workflow(db, body, principal.username)
    db.commit()
    return definitions.read(row)


@workflows_router.post("/bulk-delete", response_model=BulkResult, responses=LOOKUP_CONFLICT)
def bulk_delete_workflows(body: BulkIds, principal: Operator, db: DbSession) -> BulkResult:
    """Delete every listed workflow: all or nothing (a fenced user's own only, none another
    workflow outside the list uses)."""
    result = definitions.delete_many(db, body.ids, "workflow", actor=principal.username)
    db.commit()
    return result


@workflows_router.post(
    "/bulk-run", response_model=list[RunRead], status_code=201, responses=LOOKUP_CONFLICT
)
def bulk_run_workflows(body: BulkIds, principal: Operator, runtime: RuntimeDep) -> list[RunRead]:
    """Run every listed workflow once on its default targets: all or nothing. One with a
    step that changes configuration is refused (409): run it from its page."""
    return bulk_runs.launch_many(
        runtime.runs, "workflow", body.ids, principal.username, trigger=_trigger(principal)
    )


@workflows_router.get("/{workflow_id}", response_model=AutomationRead, responses=NOT_FOUND)
def get_workflow(workflow_id: Id, principal: Viewer, db: DbSession) -> AutomationRead:
    return definitions.read(definitions.readable(db, workflow_id, "workflow", principal.username))


@workflows_router.get(
    "/{workflow_id}/variables", response_model=AutomationVariables, responses=NOT_FOUND
)
def workflow_variables(workflow_id: Id, principal: Viewer, db: DbSession) -> AutomationVariables:
    """The run variables (``vars.*``) its steps read (sub-workflows included)."""
    row = definitions.readable(db, workflow_id, "workflow", principal.username)
    return variables.of_automation(db, row)


@workflows_router.patch("/{workflow_id}", response_model=AutomationRead, responses=LOOKUP_CONFLICT)
def update_workflow(
    workflow_id: Id, body: WorkflowUpdate, principal: Operator, db: DbSession
) -> AutomationRead:
    row = definitions.update_workflow(db, workflow_id, body, principal.username)
    db.commit()
    return definitions.read(row)


@workflows_router.delete("/{workflow_id}", status_code=204, responses=LOOKUP_CONFLICT)
def delete_workflow(workflow_id: Id, principal: Operator, db: DbSession) -> None:
    definitions.delete(db, workflow_id, "workflow", actor=principal.username)
    db.commit()


@transfer_router.get("/export", response_class=PlainTextResponse, responses=NOT_FOUND)
def export_automations(
    principal: Viewer,
    db: DbSession,
    names: Annotated[list[str], Query(min_length=1, description="Services/workflows")],
) -> PlainTextResponse:
    """YAML of the named services and workflows with everything their graphs use."""
    text = definitions.export_yaml(db, names, principal.username)
    return PlainTextResponse(text, media_type="application/yaml")


@transfer_router.post("/import", response_model=list[AutomationRead], responses=LOOKUP_CONFLICT)
def import_automations(
    principal: Operator,
    runtime: RuntimeDep,
    db: DbSession,
    body: Annotated[str, Body(media_type="application/yaml")],
    replace: bool = False,
) -> list[AutomationRead]:
    """All or nothing; ``replace`` updates existing names instead of refusing them."""
    if not body.strip():
        raise InvalidInput("empty document", field="body")
    runtime.catalog.ensure_synced()
    rows = definitions.import_yaml(
        db,
        runtime.catalog,
        body,
        principal.username,
        replace=replace,
        admin=principal.has_role(Role.admin),
    )
    db.commit()
    return [definitions.read(r) for r in rows]

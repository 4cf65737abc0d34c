"""Configuration management per device: history, diffs, search, on-demand backup, push
with a diff preview, rollback to any stored version."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from netweave.api.deps import DbSession, Operator, RuntimeDep, Viewer
from netweave.api.params import MAX_ID, Id
from netweave.api.responses import NOT_FOUND
from netweave.api.routes import config_git
from netweave.core.automation import configs
from netweave.core.automation.git_store import history as git_history
from netweave.core.automation.schemas import (
    ConfigPush,
    ConfigRollback,
    ConfigSearchHit,
    ConfigVersionRead,
    RunRead,
    TargetSpec,
)
from netweave.core.inventory.devices import get_device
from netweave.foundation.errors import InvalidInput, NotFound
from netweave.foundation.operational import MAX_COMMAND_LENGTH, normalize_command

router = APIRouter(prefix="/api/v1", tags=["configurations"])


@router.get(
    "/devices/{device_id}/configs", response_model=list[ConfigVersionRead], responses=NOT_FOUND
)
def config_history(device_id: Id, _: Viewer, db: DbSession) -> list[ConfigVersionRead]:
    return configs.history(db, get_device(db, device_id))


@router.get(
    "/devices/{device_id}/configs/diff", response_class=PlainTextResponse, responses=NOT_FOUND
)
def config_diff(
    device_id: Id,
    _: Viewer,
    db: DbSession,
    first: Annotated[int, Query(ge=1, le=MAX_ID)],
    second: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Default: the latest")] = None,
) -> PlainTextResponse:
    device = get_device(db, device_id)
    return PlainTextResponse(configs.diff(db, device, first, second), media_type="text/x-diff")


@router.get(
    "/devices/{device_id}/configs/{version}", response_model=ConfigVersionRead, responses=NOT_FOUND
)
def config_version(device_id: Id, version: Id, _: Viewer, db: DbSession) -> ConfigVersionRead:
    device = get_device(db, device_id)
    return configs.version_read(configs.get_version(db, device.id, version), device.name, True)


@router.get("/configs/search", response_model=list[ConfigSearchHit])
def search_configs(
    _: Viewer,
    db: DbSession,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    regex: bool = False,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    kind: Annotated[
        Literal["config", "operational", "all"],
        Query(description="Configurations, show outputs (operational data) or both"),
    ] = "config",
    command: Annotated[
        str | None,
        Query(min_length=1, max_length=MAX_COMMAND_LENGTH, description="Only this show command"),
    ] = None,
) -> list[ConfigSearchHit]:
    """Lines matching ``q`` in every device's latest stored configuration (and/or latest
    show outputs)."""
    only = normalize_command(command) if command is not None else None
    return configs.search(db, q, regex=regex, limit=limit, kind=kind, command=only)


@router.post(
    "/devices/{device_id}/configs/backup",
    response_model=RunRead,
    status_code=201,
    responses=NOT_FOUND,
)
def backup_now(
    device_id: Id,
    principal: Operator,
    runtime: RuntimeDep,
    db: DbSession,
    wait: Annotated[float, Query(ge=0, le=3600)] = 60,
) -> RunRead:
    name = get_device(db, device_id).name
    targets = TargetSpec(devices=[name])
    user = principal.username
    return runtime.runs.launch_type("config_backup", {}, targets, user, wait=wait, acting_user=user)


@router.post(
    "/devices/{device_id}/configs/push",
    response_model=RunRead,
    status_code=201,
    responses=NOT_FOUND,
)
def push_config(
    device_id: Id, body: ConfigPush, principal: Operator, runtime: RuntimeDep, db: DbSession
) -> RunRead:
    """NAPALM merge candidate: ``dry_run`` (default) returns the diff and changes nothing."""
    name = get_device(db, device_id).name
    inputs = {"config": body.config, "action": "dry_run" if body.dry_run else "commit"}
    label = "configuration preview" if body.dry_run else "configuration push"
    return runtime.runs.launch_type(
        "napalm_config",
        inputs,
        TargetSpec(devices=[name]),
        principal.username,
        wait=body.wait,
        label=label,
        acting_user=principal.username,
    )


@router.post(
    "/devices/{device_id}/configs/rollback",
    response_model=RunRead,
    status_code=201,
    responses=NOT_FOUND,
)
def rollback_config(
    device_id: Id, body: ConfigRollback, principal: Operator, runtime: RuntimeDep, db: DbSession
) -> RunRead:
    """Back to a stored ``version``, or to the configuration at ``commit`` of the
    configuration repository (one of the two)."""
    if (body.version is None) == (body.commit is None):
        raise InvalidInput("give a version or a commit (one of the two)", field="version")
    inputs: dict[str, object] = {"dry_run": body.dry_run, "method": body.method}
    if body.commit is not None:
        store = runtime.config_store.git
        if store is None:
            raise NotFound("the configuration repository is off (config_git)", field="commit")
        git_history.catch_up(store, device_id)
        device = get_device(db, device_id)
        found = git_history.locate(db, store, device, "", body.commit)  # 404 naming commit
        inputs["commit"] = found.commit
    else:
        device = get_device(db, device_id)
        configs.get_version(db, device.id, body.version)  # 404 for a version not stored
        inputs["version"] = body.version
    return runtime.runs.launch_type(
        "config_restore",
        inputs,
        TargetSpec(devices=[device.name]),
        principal.username,
        wait=body.wait,
        label="Configuration rollback preview" if body.dry_run else None,
        acting_user=principal.username,
    )


# configurations in git and operational data (their own module, same tag and prefix)
router.include_router(config_git.router)

"""Configurations in git and operational data: a device's commits, the file at any
commit, diffs between commits, blame, the repository's status; the show outputs stored
with each backup, their versions, diffs. Included by :mod:`netweave.api.routes.configs`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse

from netweave.api.deps import Admin, DbSession, RuntimeDep, Viewer
from netweave.api.params import MAX_ID, Id
from netweave.api.responses import NOT_FOUND
from netweave.core.automation import configs
from netweave.core.automation.git_store import GitStore
from netweave.core.automation.git_store import history as git_history
from netweave.core.automation.git_store.schemas import (
    GitBlameLine,
    GitBlameRead,
    GitCommitRead,
    GitFileRead,
    GitStatusRead,
    OperationalRead,
)
from netweave.core.automation.schemas import ConfigVersionRead
from netweave.core.inventory.devices import get_device
from netweave.core.runtime import Runtime
from netweave.foundation.errors import NotFound
from netweave.foundation.operational import (
    MAX_COMMAND_LENGTH,
    MAX_SLUG_LENGTH,
    command_slug,
    normalize_command,
)

router = APIRouter(tags=["configurations"])

CommitRef = Annotated[
    str | None,
    Query(
        min_length=7,
        max_length=40,
        pattern=r"^[0-9a-fA-F]+$",
        description="A commit sha (7 to 40 hex digits; default: the device's latest)",
    ),
]
Command = Annotated[
    str,
    Query(
        max_length=MAX_COMMAND_LENGTH,
        description="Empty: the running configuration; else a show command (operational data)",
    ),
]
Slug = Annotated[
    str,
    Path(
        max_length=MAX_SLUG_LENGTH,
        pattern=r"^[a-z0-9._-]+$",
        description="The show command as in file names: show-ip-route",
    ),
]


def _store(runtime: Runtime, device_id: int | None = None) -> GitStore:
    store = runtime.config_store.git
    if store is None:
        raise NotFound("the configuration repository is off (config_git)", field="config_git")
    if device_id is not None:
        git_history.catch_up(store, device_id)
    return store


@router.get(
    "/devices/{device_id}/configs/git/log",
    response_model=list[GitCommitRead],
    responses=NOT_FOUND,
)
def git_log(
    device_id: Id,
    _: Viewer,
    runtime: RuntimeDep,
    db: DbSession,
    command: Command = "",
    limit: Annotated[int, Query(ge=1, le=git_history.MAX_LOG)] = 100,
) -> list[GitCommitRead]:
    """The commits holding the device's versions, newest first."""
    store = _store(runtime, device_id)
    device = get_device(db, device_id)
    entries = git_history.device_log(db, store, device, normalize_command(command), limit)
    return [
        GitCommitRead(
            commit=e.commit,
            version=e.version,
            command=e.command,
            time=e.time,
            message=e.message,
            path=e.path,
        )
        for e in entries
    ]


@router.get(
    "/devices/{device_id}/configs/git/show", response_model=GitFileRead, responses=NOT_FOUND
)
def git_show(
    device_id: Id,
    _: Viewer,
    runtime: RuntimeDep,
    db: DbSession,
    commit: CommitRef = None,
    command: Command = "",
) -> GitFileRead:
    """The device's configuration (or show output) as it was at ``commit``: any commit of
    the repository, not only the device's own."""
    store = _store(runtime, device_id)
    device = get_device(db, device_id)
    command = normalize_command(command)
    found = git_history.locate(db, store, device, command, commit)
    return GitFileRead(
        device=device.name,
        command=command,
        commit=found.commit,
        path=found.path,
        version=found.version,
        time=found.info.time,
        content=found.text,
    )


@router.get(
    "/devices/{device_id}/configs/git/diff",
    response_class=PlainTextResponse,
    responses=NOT_FOUND,
)
def git_diff(
    device_id: Id,
    _: Viewer,
    runtime: RuntimeDep,
    db: DbSession,
    first: Annotated[
        str,
        Query(alias="from", min_length=7, max_length=40, pattern=r"^[0-9a-fA-F]+$"),
    ],
    second: Annotated[
        str | None,
        Query(
            alias="to",
            min_length=7,
            max_length=40,
            pattern=r"^[0-9a-fA-F]+$",
            description="Default: the device's latest commit",
        ),
    ] = None,
    command: Command = "",
) -> PlainTextResponse:
    """Unified diff of the device's file between two commits."""
    store = _store(runtime, device_id)
    device = get_device(db, device_id)
    text = git_history.diff(db, store, device, normalize_command(command), first, second)
    return PlainTextResponse(text, media_type="text/x-diff")


@router.get(
    "/devices/{device_id}/configs/git/blame", response_model=GitBlameRead, responses=NOT_FOUND
)
def git_blame(
    device_id: Id,
    _: Viewer,
    runtime: RuntimeDep,
    db: DbSession,
    commit: CommitRef = None,
    command: Command = "",
) -> GitBlameRead:
    """Each line of the device's file at ``commit`` with the commit, version and time it
    first appeared."""
    store = _store(runtime, device_id)
    device = get_device(db, device_id)
    command = normalize_command(command)
    target, lines, truncated = git_history.blame(db, store, device, command, commit)
    return GitBlameRead(
        device=device.name,
        command=command,
        commit=target.commit,
        path=target.path,
        version=target.version,
        truncated=truncated,
        lines=[
            GitBlameLine(
                line_number=b.line_number,
                line=b.line,
                commit=b.commit,
                version=b.version,
                time=b.time,
            )
            for b in lines
        ],
    )


@router.get("/configs/git/status", response_model=GitStatusRead)
def git_status(_: Viewer, runtime: RuntimeDep) -> GitStatusRead:
    """The repository: its head, versions waiting to be committed, the last sync and push
    (their errors, if any)."""
    store = runtime.config_store.git
    if store is None:
        return GitStatusRead(enabled=False)
    return GitStatusRead(enabled=True, **store.status())


@router.post("/configs/git/sync", response_model=GitStatusRead)
def git_sync(_: Admin, runtime: RuntimeDep) -> GitStatusRead:
    """Commit every pending version now and push when a remote is set (even within the
    back-off after a failed push); failures are in ``last_sync_error``/``last_push_error``."""
    store = _store(runtime)
    report = store.sync_quietly(force_push=True)
    return GitStatusRead(
        enabled=True, committed=report.committed if report else None, **store.status()
    )


# -- operational data ----------------------------------------------------------------------
def _operational(row: ConfigVersionRead) -> OperationalRead:
    return OperationalRead(**row.model_dump(), slug=command_slug(row.command))


@router.get(
    "/devices/{device_id}/operational",
    response_model=list[OperationalRead],
    responses=NOT_FOUND,
)
def operational_list(device_id: Id, _: Viewer, db: DbSession) -> list[OperationalRead]:
    """The show commands stored for the device, each with its latest version."""
    device = get_device(db, device_id)
    return [_operational(row) for row in configs.operational_latest(db, device)]


@router.get(
    "/devices/{device_id}/operational/{slug}/history",
    response_model=list[OperationalRead],
    responses=NOT_FOUND,
)
def operational_history(
    device_id: Id, slug: Slug, _: Viewer, db: DbSession
) -> list[OperationalRead]:
    device = get_device(db, device_id)
    command = configs.command_of(db, device, slug)
    return [_operational(row) for row in configs.history(db, device, command)]


@router.get(
    "/devices/{device_id}/operational/{slug}/diff",
    response_class=PlainTextResponse,
    responses=NOT_FOUND,
)
def operational_diff(
    device_id: Id,
    slug: Slug,
    _: Viewer,
    db: DbSession,
    first: Annotated[int, Query(ge=1, le=MAX_ID)],
    second: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Default: the latest")] = None,
) -> PlainTextResponse:
    device = get_device(db, device_id)
    command = configs.command_of(db, device, slug)
    text = configs.diff(db, device, first, second, command)
    return PlainTextResponse(text, media_type="text/x-diff")


@router.get(
    "/devices/{device_id}/operational/{slug}",
    response_model=OperationalRead,
    responses=NOT_FOUND,
)
def operational_version(
    device_id: Id,
    slug: Slug,
    _: Viewer,
    db: DbSession,
    version: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Default: latest")] = None,
) -> OperationalRead:
    """A stored output of the show command (``slug``: ``show-ip-route``)."""
    device = get_device(db, device_id)
    command = configs.command_of(db, device, slug)
    row = configs.get_version(db, device.id, version, command)
    return _operational(configs.version_read(row, device.name, True))

"""Staged files of NetPulse file transfers: ``GET /storage/fetch/{id}`` streams a download
a ``file_transfer`` job put there (its result's ``download_url``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from netweave.api.deps import RuntimeDep, Viewer
from netweave.api.responses import NOT_FOUND

router = APIRouter(tags=["device operations (NetPulse v0.4)"])


@router.get(
    "/storage/fetch/{file_id}",
    response_class=FileResponse,
    responses={**NOT_FOUND, 200: {"content": {"application/octet-stream": {}}}},
)
def fetch_staged_file(file_id: str, principal: Viewer, runtime: RuntimeDep) -> FileResponse:
    """The file a download job staged, while it has not expired (``staged_file_ttl``):
    for the job's owner, admins, and operators allowed on its device. An unknown,
    malformed or expired id is a 404 saying so."""
    staged, path = runtime.files.fetch(file_id, principal)
    return FileResponse(path, media_type="application/octet-stream", filename=staged.name)

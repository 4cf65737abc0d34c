"""Inventory import/export as Excel, CSV or YAML."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, Response, UploadFile
from pydantic import BaseModel

from netweave.api.deps import DbSession, Operator, RuntimeDep, Viewer
from netweave.core.access import fences
from netweave.core.inventory import transfer
from netweave.db.models import Role
from netweave.foundation.errors import NetWeaveError

router = APIRouter(prefix="/api/v1/inventory", tags=["inventory"])

Format = Literal["xlsx", "csv", "yaml"]
Kind = Literal["devices", "links", "pools", "credentials"]


class PayloadTooLarge(NetWeaveError):
    status_code = 413


class ImportResult(BaseModel):
    """Counts per kind (credentials, devices, links, pools)."""

    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    dry_run: bool


@router.post("/import", response_model=ImportResult)
def import_inventory(
    principal: Operator,
    db: DbSession,
    runtime: RuntimeDep,
    file: Annotated[
        UploadFile, File(description="An .xlsx, .csv or .yaml file (max_import_bytes)")
    ],
    format: Annotated[Format | None, Query(description="Default: from the file name")] = None,
    kind: Annotated[Kind, Query(description="What a CSV file holds")] = "devices",
    dry_run: Annotated[bool, Query(description="Validate and count only")] = False,
) -> ImportResult:
    """Upsert by name. Every row is validated first; one bad row rejects the whole file
    (422 with ``errors: [{sheet, row, field, message}]``) and nothing is written."""
    limit = runtime.settings.max_import_bytes
    content = file.file.read(limit + 1)
    if len(content) > limit:
        raise PayloadTooLarge(f"larger than {limit} bytes", field="file")
    summary = fences.import_file(
        db,
        runtime.box,
        content,
        principal.username,
        fmt=format,
        filename=file.filename,
        kind=kind,
        dry_run=dry_run,
        credentials_allowed=principal.role == Role.admin,  # credential scopes: admin-only
    )
    if not dry_run:
        db.commit()
    return ImportResult(
        created=summary.created,
        updated=summary.updated,
        unchanged=summary.unchanged,
        dry_run=summary.dry_run,
    )


@router.get(
    "/export",
    response_class=Response,
    responses={200: {"content": {t: {} for t in transfer.CONTENT_TYPES.values()}}},
)
def export_inventory(
    _: Viewer,
    db: DbSession,
    format: Format = "xlsx",
    kind: Annotated[Kind, Query(description="What a CSV file holds")] = "devices",
) -> Response:
    """The whole inventory (credentials without their secrets): xlsx and YAML hold every
    kind, a CSV file one ``kind``."""
    content = transfer.export_file(db, format, kind)
    return Response(
        content,
        media_type=transfer.CONTENT_TYPES[format],
        headers={
            "Content-Disposition": f'attachment; filename="{transfer.file_name(format, kind)}"'
        },
    )

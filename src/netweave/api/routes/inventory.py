"""Inventory import/export as Excel, CSV or YAML."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, Response, UploadFile
from pydantic import BaseModel

from netweave.api.deps import DbSession, Operator, RuntimeDep, Viewer
from netweave.core.inventory import transfer
from netweave.core.inventory.transfer.formats import CONTENT_TYPES, format_from_name
from netweave.foundation.errors import NetWeaveError

router = APIRouter(prefix="/api/v1/inventory", tags=["inventory"])

MAX_UPLOAD_BYTES = 20 * 2**20
Format = Literal["xlsx", "csv", "yaml"]
Kind = Literal["devices", "links", "pools", "credentials"]


class PayloadTooLarge(NetWeaveError):
    status_code = 413


class ImportResult(BaseModel):
    created: dict[str, int]
    updated: dict[str, int]
    dry_run: bool


@router.post("/import", response_model=ImportResult)
async def import_inventory(
    _: Operator,
    db: DbSession,
    runtime: RuntimeDep,
    file: Annotated[UploadFile, File(description="xlsx, csv or yaml")],
    format: Annotated[Format | None, Query(description="Default: from the file name")] = None,
    kind: Annotated[Kind, Query(description="What a CSV file holds")] = "devices",
    dry_run: bool = False,
) -> ImportResult:
    """Validate every row first; one bad row rejects the file (422 with a row-by-row report)
    and nothing is written."""
    content = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(f"larger than {MAX_UPLOAD_BYTES // 2**20} MiB", field="file")
    document = transfer.load(content, format or format_from_name(file.filename), kind)
    summary = transfer.import_document(db, runtime.box, document, dry_run=dry_run)
    if dry_run:
        db.rollback()
    else:
        db.commit()
    return ImportResult(created=summary.created, updated=summary.updated, dry_run=dry_run)


@router.get("/export")
def export_inventory(
    _: Viewer,
    db: DbSession,
    format: Format = "xlsx",
    kind: Annotated[Kind, Query(description="What a CSV file holds")] = "devices",
) -> Response:
    """The whole inventory (credentials without their secrets)."""
    content = transfer.dump(transfer.export_document(db), format, kind)
    filename = f"netweave-{kind}.csv" if format == "csv" else f"netweave-inventory.{format}"
    return Response(
        content,
        media_type=CONTENT_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )

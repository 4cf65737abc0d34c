"""Bringing another tool's installation in: eNMS spreadsheets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel

from netweave.api.deps import Admin, DbSession, RuntimeDep
from netweave.api.responses import errors
from netweave.api.routes.inventory import PayloadTooLarge
from netweave.core.migration.enms import migrate_workbook

router = APIRouter(prefix="/api/v1/migrate", tags=["migration"])


class MigrationResult(BaseModel):
    """Counts per kind (credentials, devices, links, pools) and how eNMS's data was
    translated: where platforms came from, the credentials made, what was left out."""

    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    dry_run: bool
    notes: list[str]


@router.post("/enms", response_model=MigrationResult, responses=errors(413))
def migrate_enms(
    _: Admin,
    db: DbSession,
    runtime: RuntimeDep,
    file: Annotated[
        UploadFile,
        File(description="An eNMS spreadsheet: .xls or .xlsx with sheets device and link"),
    ],
    dry_run: Annotated[bool, Query(description="Report only; write nothing")] = False,
) -> MigrationResult:
    """Admins only (it makes credentials from the devices' logins). All or nothing: a bad
    row is a 422 with ``errors: [{sheet, row, field, message}]`` (rows as in the eNMS
    sheet) and nothing is written; importing the same file again changes nothing."""
    limit = runtime.settings.max_import_bytes
    content = file.file.read(limit + 1)
    if len(content) > limit:
        raise PayloadTooLarge(f"larger than {limit} bytes", field="file")
    report = migrate_workbook(db, runtime.box, content, dry_run=dry_run)
    if not dry_run:
        db.commit()
    summary = report.summary
    return MigrationResult(
        created=summary.created,
        updated=summary.updated,
        unchanged=summary.unchanged,
        dry_run=summary.dry_run,
        notes=report.notes,
    )

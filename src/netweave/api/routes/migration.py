"""Bringing another tool's installation in: eNMS spreadsheets and migration folders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel, Field

from netweave.api.deps import Admin, DbSession, RuntimeDep
from netweave.api.responses import errors
from netweave.api.routes.inventory import PayloadTooLarge
from netweave.core.migration.enms import migrate_content


class SkippedObject(BaseModel):
    name: str
    reason: str


class KindOutcome(BaseModel):
    created: list[str] = Field(description="Names created (or that a dry run would create)")
    changed: list[str] = Field(description="Names changed (or that would change)")
    unchanged: int
    skipped: list[SkippedObject] = Field(description="Left out, each with the reason")


class MigrationResult(BaseModel):
    """Counts per object type (credentials, devices, links, pools, users, services,
    workflows, tasks), the names behind them (``report``) with what was skipped and why,
    and how eNMS's data was translated (``notes``)."""

    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    skipped: dict[str, int]
    report: dict[str, KindOutcome]
    changes_nothing: bool = Field(description="Importing it now would change nothing")
    dry_run: bool
    notes: list[str]


router = APIRouter(prefix="/api/v1/migrate", tags=["migration"])


@router.post("/enms", response_model=MigrationResult, responses=errors(413))
def migrate_enms(
    principal: Admin,
    db: DbSession,
    runtime: RuntimeDep,
    file: Annotated[
        UploadFile,
        File(
            description="An eNMS spreadsheet (.xls or .xlsx with sheets device and link) or "
            "migration folder (a .zip or .tar.gz of its <type>.yaml files)"
        ),
    ],
    dry_run: Annotated[bool, Query(description="Report only; write nothing")] = False,
) -> MigrationResult:
    """Admins only (it makes credentials, users and privileged services). All or nothing:
    a bad device row is a 422 with ``errors: [{sheet, row, field, message}]`` (rows as in
    the eNMS sheet or YAML file) and nothing is written; what NetWeave cannot express is
    skipped with the reason; importing the same file again changes nothing."""
    limit = runtime.settings.max_import_bytes
    content = file.file.read(limit + 1)
    if len(content) > limit:
        raise PayloadTooLarge(f"larger than {limit} bytes", field="file")
    report = migrate_content(
        db, runtime.box, runtime.catalog, content, dry_run=dry_run, creator=principal.username
    )
    if not dry_run:
        db.commit()
    return MigrationResult(
        created=report.counts("created"),
        updated=report.counts("changed"),
        unchanged=report.counts("unchanged"),
        skipped=report.counts("skipped"),
        report={kind: KindOutcome.model_validate(v) for kind, v in report.as_dict().items()},
        changes_nothing=report.changes_nothing(),
        dry_run=report.dry_run,
        notes=report.notes,
    )

"""eNMS → NetWeave.

read_workbook(bytes) -> records         workbook.py   (.xls / .xlsx, sheets device and link)
translate(records) -> Translation       inventory.py  (devices, credentials, links)
migrate_workbook(session, box, bytes)   here: the report of a dry run or of the import
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from netweave.core.inventory.transfer import ImportSummary, import_document
from netweave.core.migration.enms.inventory import translate
from netweave.core.migration.enms.workbook import is_workbook, read_workbook
from netweave.foundation.secrets import SecretBox

__all__ = ["MigrationReport", "is_workbook", "migrate_workbook"]


@dataclass
class MigrationReport:
    """What the import created, changed and left unchanged per kind, and how eNMS's data
    was translated (platform origins, credentials made, values left out and why)."""

    summary: ImportSummary
    notes: list[str] = field(default_factory=list)


def migrate_workbook(
    session: Session,
    box: SecretBox,
    content: bytes,
    *,
    dry_run: bool = False,
    credentials_allowed: bool = True,
) -> MigrationReport:
    """Import an eNMS spreadsheet: all or nothing (``ImportRejected`` names every bad row,
    by its row in the eNMS sheet), idempotent (a second import changes nothing but
    re-sealed secrets). The caller commits."""
    translation = translate(read_workbook(content))
    summary = import_document(
        session,
        box,
        translation.document,
        dry_run=dry_run,
        credentials_allowed=credentials_allowed,
    )
    return MigrationReport(summary, translation.notes)

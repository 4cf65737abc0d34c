"""eNMS → NetWeave.

read_workbook(bytes) -> records         workbook.py   (.xls / .xlsx, sheets device and link)
read_archive(bytes) / read_directory()  folder.py     (the migration folder: one YAML per type)
translate(records) -> Translation       inventory.py  (devices, per-device logins, links)
translate_pools / add_credentials       pools.py, accounts.py (pools, credentials, users)
plan_automations / plan_tasks           automation.py, services.py, tasks.py
migrate(session, box, records, ...)     here: plan everything, then (not a dry run) write it
                                        all in the caller's transaction; report.py
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from netweave.core.automation.catalog import ServiceCatalog
from netweave.core.inventory.transfer import ImportSummary
from netweave.core.inventory.transfer.importer import import_plan
from netweave.core.migration.enms import accounts, automation, tasks
from netweave.core.migration.enms.folder import is_folder_archive, read_archive, read_directory
from netweave.core.migration.enms.inventory import translate
from netweave.core.migration.enms.pools import translate_pools
from netweave.core.migration.enms.report import MigrationReport
from netweave.core.migration.enms.workbook import Records, is_workbook, read_workbook
from netweave.db.models import Device, Pool
from netweave.foundation.errors import InvalidInput
from netweave.foundation.secrets import SecretBox

__all__ = [
    "MigrationReport",
    "is_workbook",
    "migrate",
    "migrate_content",
    "migrate_path",
    "migrate_workbook",
    "read_content",
]

DEFAULT_CREATOR = "enms-import"


def read_content(content: bytes) -> Records:
    """An uploaded file: a zipped or tarred migration folder, else a spreadsheet."""
    return read_archive(content) if is_folder_archive(content) else read_workbook(content)


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
    return migrate(
        session,
        box,
        read_workbook(content),
        dry_run=dry_run,
        credentials_allowed=credentials_allowed,
    )


def migrate_content(
    session: Session,
    box: SecretBox,
    catalog: ServiceCatalog,
    content: bytes,
    *,
    dry_run: bool = False,
    creator: str = DEFAULT_CREATOR,
) -> MigrationReport:
    """A spreadsheet or a zipped/tarred migration folder (see ``migrate``)."""
    return migrate(
        session, box, read_content(content), catalog=catalog, dry_run=dry_run, creator=creator
    )


def migrate_path(
    session: Session,
    box: SecretBox,
    catalog: ServiceCatalog,
    path: Path,
    *,
    dry_run: bool = False,
    creator: str = DEFAULT_CREATOR,
) -> MigrationReport:
    """A migration folder on disk, or a file (spreadsheet or archive)."""
    records = read_directory(path) if path.is_dir() else read_content(path.read_bytes())
    return migrate(session, box, records, catalog=catalog, dry_run=dry_run, creator=creator)


def _clean(records: Records) -> Records:
    """Folder records shaped as the spreadsheet's: no empty values; links name their ends
    ``source_name``/``destination_name``."""
    cleaned: Records = dict(records)
    for kind in ("device", "link"):
        rows = []
        for number, record in records.get(kind, []):
            record = {k: v for k, v in record.items() if v is not None and v != ""}
            if kind == "link":
                for end in ("source", "destination"):
                    if end in record and f"{end}_name" not in record:
                        record[f"{end}_name"] = record.pop(end)
            rows.append((number, record))
        cleaned[kind] = rows
    return cleaned


def migrate(
    session: Session,
    box: SecretBox,
    records: Records,
    *,
    catalog: ServiceCatalog | None = None,
    dry_run: bool = False,
    credentials_allowed: bool = True,
    creator: str = DEFAULT_CREATOR,
) -> MigrationReport:
    """Plan every object of ``records`` (validated without writing), then unless
    ``dry_run`` write them all in the caller's transaction: a bad file (a device row that
    is not valid, a YAML error) raises and nothing is written; what NetWeave cannot express
    is skipped with the reason in the report. Importing the same records again changes
    nothing. ``creator`` owns the services, workflows and tasks made."""
    if catalog is not None:
        catalog.ensure_synced()  # before this transaction writes (syncing writes apart)
    records = _clean(records)
    translation = translate(records)
    document, notes = translation.document, translation.notes
    pools = translate_pools(records.get("pool", []))
    document.rows["pools"].extend(pools.rows)
    notes.extend(pools.notes)
    pool_names = {name: name for name in session.scalars(select(Pool.name))}
    pool_names.update(pools.names)
    report = MigrationReport(summary=ImportSummary(dry_run=dry_run), notes=notes)
    for name, reason in pools.skipped:
        report.objects["pools"].skip(name, reason)
    accounts.add_credentials(
        document,
        records.get("credential", []),
        pool_names,
        report.objects["credentials"],
        notes,
    )
    accounts.keep_stored_secrets(session, box, document)
    plan = import_plan(
        session, box, document, dry_run=dry_run, credentials_allowed=credentials_allowed
    )
    report.summary = plan.summary
    for kind, changes in plan.changes.items():
        for change in changes:
            name = str(change.values.get("name"))
            if change.existing is None:
                report.objects[kind].create(name)
            else:
                report.objects[kind].change(name)
        report.objects[kind].unchanged += plan.summary.unchanged[kind]
    devices = set(session.scalars(select(Device.name)))
    devices.update(str(row.data.get("name")) for row in document.rows["devices"])
    users = accounts.plan_users(session, records.get("user", []), report.objects["users"], notes)
    services = records.get("service", [])
    if (services or records.get("task")) and catalog is None:
        raise InvalidInput("services and tasks need the service catalog", field="file")
    automations = automation.AutomationPlan()
    if catalog is not None:
        automations = automation.plan_automations(
            session,
            catalog,
            services,
            records.get("workflow_edge", []),
            devices,
            pool_names,
            report.objects,
            notes,
        )
    task_plans = tasks.plan_tasks(
        session,
        records.get("task", []),
        automations.names,
        devices,
        pool_names,
        report.objects["tasks"],
    )
    if not dry_run:
        accounts.apply_users(session, users)
        if catalog is not None:
            automation.apply_automations(session, catalog, automations, creator)
        tasks.apply_tasks(session, task_plans, creator)
        session.flush()
    if report.changes_nothing():
        notes.append("nothing to change: everything in the file is already in NetWeave")
    return report

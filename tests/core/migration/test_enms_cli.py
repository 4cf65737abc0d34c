"""``netweave migrate enms``: the dry-run report, then the import, then the rejection of a
bad file with its rows; a migration folder (a directory) the same way."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from netweave.cli.main import app
from netweave.core.runtime import Runtime
from netweave.db.models import Automation, Device
from netweave.lab import LabThread
from tests.core.migration.enms_folder import write_folder
from tests.core.migration.test_enms_workbook import LINKS, enms_devices, xls

runner = CliRunner()


def test_migrate_enms_dry_run_then_import(
    runtime: Runtime, lab: LabThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETWEAVE_DATABASE_URL", runtime.settings.effective_database_url)
    monkeypatch.setenv("NETWEAVE_DATA_DIR", str(runtime.settings.data_dir))
    monkeypatch.setenv("NETWEAVE_MODE", "dev")
    source = tmp_path / "usa.xls"
    source.write_bytes(xls(enms_devices(lab), LINKS))

    def devices() -> int:
        with runtime.transaction() as session:
            return int(session.scalar(select(func.count()).select_from(Device)) or 0)

    preview = runner.invoke(app, ["migrate", "enms", str(source), "--dry-run"])
    assert preview.exit_code == 0, preview.output
    assert "usa.xls: dry run, nothing written" in preview.output
    assert "platform taken from operating_system" in preview.output
    assert devices() == 0
    done = runner.invoke(app, ["migrate", "enms", str(source)])
    assert done.exit_code == 0, done.output
    assert "usa.xls: imported" in done.output
    assert devices() == 9

    rows = enms_devices(lab)
    rows[0]["ip_address"] = "not a host!"
    source.write_bytes(xls(rows, LINKS))
    rejected = runner.invoke(app, ["migrate", "enms", str(source)])
    assert rejected.exit_code == 1
    assert "host" in rejected.output and "devices" in rejected.output


def test_migrate_enms_reads_a_migration_folder(
    runtime: Runtime, lab: LabThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETWEAVE_DATABASE_URL", runtime.settings.effective_database_url)
    monkeypatch.setenv("NETWEAVE_DATA_DIR", str(runtime.settings.data_dir))
    monkeypatch.setenv("NETWEAVE_MODE", "dev")
    monkeypatch.setenv("COLUMNS", "200")
    folder = write_folder(tmp_path / "enms", lab)

    preview = runner.invoke(app, ["migrate", "enms", str(folder), "--dry-run"])
    assert preview.exit_code == 0, preview.output
    assert "enms: dry run, nothing written" in preview.output
    assert "python_snippet_service" in preview.output  # Snippet, skipped with its reason
    with runtime.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Automation)) == 0
    done = runner.invoke(app, ["migrate", "enms", str(folder)])
    assert done.exit_code == 0, done.output
    assert "enms: imported" in done.output
    with runtime.transaction() as session:
        names = set(session.scalars(select(Automation.name)))
        assert {"Check", "[Check] show version"} <= names
        assert (
            session.scalar(select(Automation.created_by).where(Automation.name == "Check")) == "cli"
        )
    again = runner.invoke(app, ["migrate", "enms", str(folder)])
    assert again.exit_code == 0 and "nothing to change" in again.output

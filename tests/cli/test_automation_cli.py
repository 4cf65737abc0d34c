"""``netweave automation``: types, run with progress and exit codes, export and import."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from netweave.cli.main import app
from netweave.core.runtime import Runtime
from netweave.lab import LabThread
from tests.core.automation.conftest import add_inventory
from tests.fixtures.database import ONE_BACKEND

runner = CliRunner()


@ONE_BACKEND  # the CLI's own behaviour: the SQL layer is tested on both elsewhere
def test_types_run_export_import(
    runtime: Runtime,
    admin: TestClient,
    lab: LabThread,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = add_inventory(admin, lab)
    ios = [d.name for d in lab.devices if d.spec.platform == "cisco_ios"]
    body = {"name": "Clock", "type": "netmiko_commands", "inputs": {"commands": ["show clock"]}}
    assert admin.post("/api/v1/services", json=body).status_code == 201
    graph = {
        "nodes": [{"id": "clock", "ref": "Clock"}],
        "edges": [{"source": "start", "target": "clock"}, {"source": "clock", "target": "end"}],
    }
    assert (
        admin.post("/api/v1/workflows", json={"name": "Check", "graph": graph}).status_code == 201
    )
    monkeypatch.setenv("NETWEAVE_DATABASE_URL", runtime.settings.effective_database_url)
    monkeypatch.setenv("NETWEAVE_DATA_DIR", str(runtime.settings.data_dir))
    monkeypatch.setenv("NETWEAVE_MODE", "dev")
    monkeypatch.setenv("COLUMNS", "200")

    listed = runner.invoke(app, ["automation", "types"])
    assert listed.exit_code == 0 and "config_backup" in listed.output

    ok = runner.invoke(app, ["automation", "run", "Check", "-d", ",".join(ios), "-v", "n=1"])
    assert ok.exit_code == 0, ok.output
    assert "Check: success" in ok.output and ok.output.count("success") >= 3
    linux = next(n for n in names if "linux" in n)
    bad = runner.invoke(app, ["automation", "run", "Check", "-d", linux])
    assert bad.exit_code == 1 and "failure" in bad.output
    unknown = runner.invoke(app, ["automation", "run", "Nope", "-d", linux])
    assert unknown.exit_code == 2 and "no service or workflow named 'Nope'" in unknown.output
    wrong = runner.invoke(app, ["automation", "run", "Check", "-v", "novalue"])
    assert wrong.exit_code == 2

    target = tmp_path / "check.yaml"
    exported = runner.invoke(app, ["automation", "export", "Check", "-o", str(target)])
    assert exported.exit_code == 0 and "name: Clock" in target.read_text()
    again = runner.invoke(app, ["automation", "import", str(target)])
    assert again.exit_code == 2 and "exists" in again.output
    replaced = runner.invoke(app, ["automation", "import", str(target), "--replace"])
    assert replaced.exit_code == 0 and "imported 2" in replaced.output

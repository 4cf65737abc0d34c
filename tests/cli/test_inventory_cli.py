from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from netweave.cli.main import app
from netweave.core.runtime import Runtime

runner = CliRunner()


def test_import_export_and_rejection(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETWEAVE_DATABASE_URL", runtime.settings.effective_database_url)
    monkeypatch.setenv("NETWEAVE_DATA_DIR", str(runtime.settings.data_dir))
    monkeypatch.setenv("NETWEAVE_MODE", "dev")
    source = tmp_path / "inv.yaml"
    source.write_text(
        yaml.safe_dump({"devices": [{"name": "r1", "host": "10.0.0.1", "platform": "cisco_ios"}]})
    )
    result = runner.invoke(app, ["inventory", "import", str(source)])
    assert result.exit_code == 0, result.output
    assert "devices" in result.output and "1" in result.output
    out = tmp_path / "out.xlsx"
    exported = runner.invoke(app, ["inventory", "export", str(out)])
    assert exported.exit_code == 0 and out.stat().st_size > 1000
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump({"devices": [{"name": "r2", "host": "10.0.0.2", "platform": "Cisco IOS"}]})
    )
    rejected = runner.invoke(app, ["inventory", "import", str(bad)])
    assert rejected.exit_code == 1
    assert "platform" in rejected.output and "devices" in rejected.output

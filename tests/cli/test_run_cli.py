import re

import pytest
from typer.testing import CliRunner

from netweave.cli.main import app
from netweave.core.inventory import devices, pools
from netweave.core.inventory.schemas import (
    DeviceCreate,
    DeviceFilter,
    PoolCreate,
)
from netweave.core.runtime import Runtime
from netweave.lab import LabThread
from tests.fixtures.lab import add_lab_credential

runner = CliRunner()


def test_run_on_a_pool_shows_results_and_sets_exit_code(
    runtime: Runtime, lab: LabThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_lab_credential(runtime)
    with runtime.transaction() as session:
        for device in lab.devices:
            if device.spec.platform in ("cisco_ios", "arista_eos"):
                devices.create_device(
                    session,
                    DeviceCreate(
                        name=device.name,
                        host=device.host,
                        port=device.port,
                        platform=device.spec.platform,
                        credential="lab",
                        tags=["cli"],
                    ),
                )
        pools.create_pool(
            session, PoolCreate(name="cli-pool", device_filter=DeviceFilter(tags=["cli"]))
        )
    monkeypatch.setenv("NETWEAVE_DATABASE_URL", runtime.settings.effective_database_url)
    monkeypatch.setenv("NETWEAVE_DATA_DIR", str(runtime.settings.data_dir))
    monkeypatch.setenv("NETWEAVE_MODE", "dev")
    monkeypatch.setenv("COLUMNS", "200")
    result = runner.invoke(app, ["run", "--pool", "cli-pool", "--parse", "show version"])
    assert result.exit_code == 0, result.output
    assert result.output.count("finished") == 4
    assert re.search(r'"hostname": "lab-ios-\d+"', result.output)
    failing = runner.invoke(app, ["run", "--devices", "lab-ios-001", "show nonsense"])
    assert failing.exit_code == 1 and "finished" in failing.output
    ghost = runner.invoke(app, ["run", "--devices", "lab-ios-001,ghost", "show clock"])
    assert ghost.exit_code == 2 and "not in the inventory: ghost" in ghost.output
    missing = runner.invoke(app, ["run", "show version"])
    assert missing.exit_code == 2 and "no devices" in missing.output

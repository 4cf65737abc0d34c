"""Issue 20 item 5: the CLI starts fast because a command loads only what it uses.
``netweave --help`` imports no command, ``netweave run --help`` and a remote
``netweave run --server`` never load the engine (SQLAlchemy, the runtime). Timings are
measured by bench/cli_startup.py, not asserted here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.database import ONE_BACKEND

pytestmark = ONE_BACKEND

PROBE = """
import json, sys
import typer
from netweave.cli.main import app
command = typer.main.get_command(app)
try:
    code = command.main(args=sys.argv[1:], prog_name="netweave", standalone_mode=False)
except SystemExit as exc:
    code = exc.code
except Exception as exc:  # a refused connection in --server mode is a clean exit 2
    code = type(exc).__name__
import gc
print("\\n@@" + json.dumps({
    "code": code,
    "modules": sorted(sys.modules),
    "gc_enabled": gc.isenabled(),
    "frozen": gc.get_freeze_count(),
}))
"""
HEAVY = ("sqlalchemy", "netweave.core.runtime", "netweave.api.app", "netmiko", "uvicorn")


def _probe(*args: str, env: dict[str, str] | None = None) -> tuple[dict[str, Any], str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PATH": "/usr/bin:/bin",
            "NETWEAVE_API_KEY": "k" * 32,
            "COLUMNS": "100",
            **(env or {}),
        },
    )
    return json.loads(done.stdout.rsplit("@@", 1)[1]), done.stdout + done.stderr


def _loaded(*args: str) -> tuple[object, set[str], str]:
    body, output = _probe(*args)
    return body["code"], set(body["modules"]), output


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("run", "--help"),
        ("run", "--server", "http://127.0.0.1:9", "-d", "r1", "show clock"),
    ],
    ids=["help", "run-help", "remote-run"],
)
def test_commands_do_not_load_what_they_do_not_use(args: tuple[str, ...]) -> None:
    code, modules, output = _loaded(*args)
    assert not [name for name in HEAVY if name in modules], output
    if args == ("--help",):
        assert code in (0, None) and "netweave.cli.run" not in modules
        for command in ("serve", "run", "worker", "lab", "automation", "migrate"):
            assert f" {command} " in output  # listed from the table, with its line
    elif args[-1] == "--help":
        assert "--server" in output and "netweave.cli.run" in modules
    else:  # nothing listens on port 9: refused before anything is sent, exit 2
        assert code == 2 and "127.0.0.1:9" in output, output


def test_every_listed_command_loads_and_runs_its_help() -> None:
    from typer.testing import CliRunner

    from netweave.cli.lazy_commands import COMMANDS
    from netweave.cli.main import app

    runner = CliRunner()
    for name in COMMANDS:
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert f" {name} [OPTIONS]" in result.output, (name, result.output)


def test_the_local_engine_loads_without_vault_and_with_its_objects_frozen(tmp_path: Path) -> None:
    """``netweave run`` in local mode opens the engine (an unknown device is refused after
    the inventory lookup). hvac and requests are imported only on a first Vault read; the
    objects the imports made are frozen out of the collector's walks, and the collector is
    running again once the engine is open."""
    body, output = _probe(
        "run",
        "-d",
        "no-such-device",
        "show clock",
        env={"NETWEAVE_DATA_DIR": str(tmp_path), "NETWEAVE_API_KEY": ""},
    )
    modules = set(body["modules"])
    assert body["code"] == 2 and "no-such-device" in output, output
    assert "netweave.core.runtime" in modules  # the engine was opened
    assert "hvac" not in modules and "requests" not in modules
    assert body["gc_enabled"] is True
    assert body["frozen"] > 100_000, body["frozen"]

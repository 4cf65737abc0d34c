"""Issue 20 item 5: the CLI starts fast because a command loads only what it uses.
``netweave --help`` imports no command, ``netweave run --help`` and a remote
``netweave run --server`` never load the engine (SQLAlchemy, the runtime). Timings are
measured by bench/cli_startup.py, not asserted here."""

from __future__ import annotations

import json
import subprocess
import sys

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
print("\\n@@" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""
HEAVY = ("sqlalchemy", "netweave.core.runtime", "netweave.api.app", "netmiko", "uvicorn")


def _loaded(*args: str) -> tuple[object, set[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "NETWEAVE_API_KEY": "k" * 32, "COLUMNS": "100"},
    )
    body = json.loads(done.stdout.rsplit("@@", 1)[1])
    return body["code"], set(body["modules"]), done.stdout + done.stderr


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

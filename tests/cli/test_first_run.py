"""A newcomer's first commands: every command that acts on an installation says which data
directory (and database) it uses, none silently starts a second installation under
``~/.local/share/netweave`` while the demo's ``.demo-data/`` sits in the current directory,
and no third-party warning noise is printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def netweave(
    *args: str, cwd: Path, home: Path, data_dir: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "COLUMNS": "200"}
    for name in ("NETWEAVE_DATA_DIR", "NETWEAVE_DATABASE_URL", "NETWEAVE_CONFIG"):
        env.pop(name, None)
    if data_dir is not None:
        env["NETWEAVE_DATA_DIR"] = data_dir
    env["NETWEAVE_ADMIN_PASSWORD"] = "first-run-password-1234"
    return subprocess.run(
        [sys.executable, "-m", "netweave.cli.main", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def place(tmp_path: Path) -> tuple[Path, Path]:
    """A checkout-like folder (the demo's data directory beside it) and an empty HOME."""
    checkout, home = tmp_path / "checkout", tmp_path / "home"
    (checkout / ".demo-data").mkdir(parents=True)
    home.mkdir()
    return checkout, home


def test_a_command_refuses_to_start_a_second_installation_beside_the_demo(
    place: tuple[Path, Path],
) -> None:
    checkout, home = place
    answer = netweave("user", "list", cwd=checkout, home=home)
    assert answer.returncode == 2, answer
    assert "NETWEAVE_DATA_DIR=.demo-data" in answer.stderr
    assert str(home / ".local/share/netweave") in answer.stderr
    assert not (home / ".local/share/netweave").exists()  # nothing was created


def test_commands_say_which_installation_they_act_on(place: tuple[Path, Path]) -> None:
    checkout, home = place
    answer = netweave("user", "list", cwd=checkout, home=home, data_dir=".demo-data")
    assert answer.returncode == 0, answer
    assert f"data: {checkout / '.demo-data'}" in answer.stderr
    assert "(SQLite" in answer.stderr
    assert "admin" in answer.stdout
    # chosen on purpose (the variable is set): a new installation is made, and said so
    elsewhere = netweave("user", "list", cwd=checkout, home=home, data_dir=str(home / "prod"))
    assert elsewhere.returncode == 0, elsewhere
    assert f"data: {home / 'prod'}" in elsewhere.stderr
    assert "new installation" in elsewhere.stderr
    # no demo directory beside it: the default location is used, and named
    plain = netweave("user", "list", cwd=home, home=home)
    assert plain.returncode == 0, plain
    assert f"data: {home / '.local/share/netweave'}" in plain.stderr


def test_no_third_party_warning_noise(place: tuple[Path, Path]) -> None:
    checkout, home = place
    for args in (("--help",), ("user", "list")):
        answer = netweave(*args, cwd=checkout, home=home, data_dir=".demo-data")
        assert answer.returncode == 0, answer
        assert "Warning" not in answer.stderr, answer.stderr
        assert "DSA" not in answer.stderr + answer.stdout

import re
from pathlib import Path

import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

from netweave.cli.main import app
from netweave.core.access import tokens
from netweave.core.runtime import Runtime
from netweave.db.engine import make_engine
from netweave.db.migrate import head_revision

runner = CliRunner()


def _env(monkeypatch: pytest.MonkeyPatch, runtime: Runtime) -> None:
    monkeypatch.setenv("NETWEAVE_DATABASE_URL", runtime.settings.effective_database_url)
    monkeypatch.setenv("NETWEAVE_DATA_DIR", str(runtime.settings.data_dir))
    monkeypatch.setenv("NETWEAVE_MODE", "dev")


def test_db_upgrade_creates_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("NETWEAVE_DATABASE_URL", url)
    monkeypatch.setenv("NETWEAVE_DATA_DIR", str(tmp_path))
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = make_engine(url)
    assert "devices" in inspect(engine).get_table_names()
    current = runner.invoke(app, ["db", "current"])
    assert f"database: {head_revision(engine)}" in current.output
    engine.dispose()


def test_user_create_and_api_key(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    _env(monkeypatch, runtime)
    created = runner.invoke(app, ["user", "create", "carol", "--role", "operator"])
    assert created.exit_code == 0, created.output
    assert re.search(r"password: \S{20,}", created.output)
    duplicate = runner.invoke(app, ["user", "create", "carol"])
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    listed = runner.invoke(app, ["user", "list"])
    assert "carol" in listed.output and "operator" in listed.output
    issued = runner.invoke(app, ["user", "api-key", "carol", "--name", "ci"])
    key = re.search(r"(nwk_\S+)", issued.output)
    assert key is not None
    with runtime.transaction() as session:
        principal = tokens.authenticate_api_key(session, key.group(1))
    assert principal.username == "carol" and principal.role.value == "operator"
    missing = runner.invoke(app, ["user", "api-key", "nobody"])
    assert missing.exit_code == 1 and "no user named" in missing.output


def test_refuses_placeholder_secret_in_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETWEAVE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NETWEAVE_MODE", "production")
    monkeypatch.setenv("NETWEAVE_SECRET_KEY", "changeme")
    result = runner.invoke(app, ["user", "list"])
    assert result.exit_code == 2
    assert "secret_key" in result.output and "placeholder" in result.output


def test_bad_settings_are_a_clear_error_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETWEAVE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NETWEAVE_MODE", "dev")
    monkeypatch.setenv("NETWEAVE_EXECUTOR", "rq")
    monkeypatch.delenv("NETWEAVE_REDIS_URL", raising=False)
    result = runner.invoke(app, ["worker"])
    assert result.exit_code == 2
    assert "redis_url" in result.output and "Traceback" not in result.output

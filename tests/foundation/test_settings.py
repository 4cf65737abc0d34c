from pathlib import Path

import pytest

from netweave.foundation.errors import ConfigurationError
from netweave.foundation.settings import Mode, Settings


def test_env_vars_override_yaml_and_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "netweave.yaml"
    config.write_text("port: 9001\nredis_url: redis://127.0.0.1:6379/3\nlog_level: DEBUG\n")
    monkeypatch.setenv("NETWEAVE_CONFIG", str(config))
    monkeypatch.setenv("NETWEAVE_PORT", "9002")
    settings = Settings(data_dir=tmp_path)
    assert settings.port == 9002  # env beats YAML
    assert settings.redis_url == "redis://127.0.0.1:6379/3"  # from YAML
    assert settings.log_level == "DEBUG"


def test_default_database_is_sqlite_in_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'netweave.db'}"


def test_unknown_yaml_setting_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "netweave.yaml"
    config.write_text("databse_url: sqlite:///x\n")
    monkeypatch.setenv("NETWEAVE_CONFIG", str(config))
    with pytest.raises(ConfigurationError, match="databse_url"):
        Settings(data_dir=tmp_path)


def test_bad_database_url_names_the_field(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="database_url"):
        Settings(data_dir=tmp_path, database_url="mysql://x")


@pytest.mark.parametrize("placeholder", ["changeme", "secret", "short"])
def test_placeholder_secret_refused_in_production(tmp_path: Path, placeholder: str) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=placeholder, mode=Mode.production)
    with pytest.raises(ConfigurationError, match="secret"):
        settings.resolve_secret_key()


def test_placeholder_secret_allowed_in_dev(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="changeme", mode=Mode.dev)
    assert settings.resolve_secret_key() == "changeme"


def test_placeholder_admin_password_refused_in_production(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, admin_password="admin")
    with pytest.raises(ConfigurationError, match="ADMIN_PASSWORD"):
        settings.check_admin_password()


def test_generated_secret_key_is_persisted_private(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).resolve_secret_key()
    second = Settings(data_dir=tmp_path).resolve_secret_key()
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600


def test_rq_executor_needs_a_redis_url(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="redis_url"):
        Settings(data_dir=tmp_path, executor="rq")
    assert (
        Settings(data_dir=tmp_path, executor="rq", redis_url="redis://127.0.0.1:6379/1").executor
        == "rq"
    )

"""VaultClient against a real OpenBao dev server: token and AppRole auth, KV v2 versions,
the TTL cache (driven by a clock of the test's own, never by sleeping), renewal and a new
login after a 403, and errors that say what went wrong without a secret in them."""

from __future__ import annotations

import logging
import secrets
import socket
import threading
from pathlib import Path

import pytest

from netweave.foundation.settings import Settings
from netweave.foundation.vault import VaultClient, VaultConfig, VaultError
from tests.fixtures.vault import VaultServer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _path() -> str:
    return f"netweave/t-{secrets.token_hex(4)}"


def _closed_url() -> str:
    """An URL on a port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def _token_client(server: VaultServer, clock: Clock | None = None, ttl: float = 30) -> VaultClient:
    config = VaultConfig(url=server.url, token=server.root_token, cache_ttl=ttl)
    return VaultClient(config, clock=clock or Clock())


def _approle_client(
    server: VaultServer, clock: Clock | None = None, ttl: float = 30, secret_id: str | None = None
) -> VaultClient:
    config = VaultConfig(
        url=server.url,
        auth_method="approle",
        role_id=server.role_id,
        secret_id=secret_id or server.secret_id,
        cache_ttl=ttl,
    )
    return VaultClient(config, clock=clock or Clock())


def test_token_and_approle_read_the_same_kv2_secret(vault_server: VaultServer) -> None:
    path, password = _path(), f"pw-{secrets.token_hex(8)}"
    vault_server.put(path, username="ops", password=password)
    for client in (_token_client(vault_server), _approle_client(vault_server)):
        secret = client.read("secret", path)
        assert secret.data == {"username": "ops", "password": password}
        assert secret.version == 1
        assert password not in repr(secret) and password not in repr(client)
    approle = _approle_client(vault_server)
    approle.read("secret", path)
    assert approle.token and approle.token != vault_server.root_token  # its own login


def test_version_pinning(vault_server: VaultServer) -> None:
    path = _path()
    assert vault_server.put(path, password="first") == 1
    assert vault_server.put(path, password="second") == 2
    client = _token_client(vault_server, ttl=0)
    assert client.read("secret", path, 1).data["password"] == "first"
    assert client.read("secret", path, 2).data["password"] == "second"
    latest = client.read("secret", path)
    assert latest.data["password"] == "second" and latest.version == 2
    with pytest.raises(VaultError, match=rf"vault: secret secret/data/{path} version 7 not found"):
        client.read("secret", path, 7)


def test_cache_serves_until_ttl_then_rereads(vault_server: VaultServer) -> None:
    path, clock = _path(), Clock()
    vault_server.put(path, password="old")
    client = _token_client(vault_server, clock, ttl=5)
    assert client.read("secret", path).data["password"] == "old"
    vault_server.put(path, password="new")
    clock.now += 4.9
    assert client.read("secret", path).data["password"] == "old"  # still cached
    clock.now += 0.2
    assert client.read("secret", path).data["password"] == "new"  # TTL passed
    uncached = _token_client(vault_server, clock, ttl=0)
    vault_server.put(path, password="newest")
    assert uncached.read("secret", path).data["password"] == "newest"


def test_concurrent_misses_read_vault_once(vault_server: VaultServer) -> None:
    """20 threads want the same secret at once: one request reaches OpenBao (its audit log
    counts them), every thread gets the value."""
    path = _path()
    vault_server.put(path, password="shared")
    client = _token_client(vault_server)
    start, results, errors = threading.Barrier(20), [], []

    def worker() -> None:
        start.wait()
        try:
            results.append(client.read("secret", path).data["password"])
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and results == ["shared"] * 20
    assert vault_server.reads_of(f"secret/data/{path}") == 1
    assert "shared" not in vault_server.audit_log.read_text()  # OpenBao hashes values


def test_approle_token_renewed_before_its_lease_ends(vault_server: VaultServer) -> None:
    path, clock = _path(), Clock()
    vault_server.put(path, password="p")
    client = _approle_client(vault_server, clock, ttl=1)
    client.read("secret", path)
    token = client.token
    assert token is not None
    before = vault_server.root.auth.token.lookup(token)["data"]
    assert not before.get("last_renewal_time")
    clock.now += 3600 * 0.7  # past 2/3 of the 1 h lease (and past the cache TTL)
    client.read("secret", path)
    assert client.token == token  # renewed, not a new login
    after = vault_server.root.auth.token.lookup(token)["data"]
    assert after.get("last_renewal_time")


def test_approle_logs_in_again_after_403(vault_server: VaultServer) -> None:
    path, clock = _path(), Clock()
    vault_server.put(path, password="p")
    client = _approle_client(vault_server, clock, ttl=1)
    client.read("secret", path)
    old = client.token
    assert old is not None
    vault_server.root.auth.token.revoke(old)  # as if it had expired
    clock.now += 2
    assert client.read("secret", path).data["password"] == "p"
    assert client.token not in (None, old)


def test_errors_are_clear_and_carry_no_secret(
    vault_server: VaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    path, password = _path(), f"pw-{secrets.token_hex(8)}"
    vault_server.put(path, password=password)
    approle = _approle_client(vault_server)
    with pytest.raises(VaultError, match=r"^vault: secret secret/data/netweave/nope not found$"):
        approle.read("secret", "netweave/nope")
    outside = f"outside/{secrets.token_hex(4)}"
    vault_server.put(outside, password=password)
    with pytest.raises(VaultError, match=rf"^vault: permission denied for secret/data/{outside}$"):
        approle.read("secret", outside)  # the policy covers netweave/* only
    with pytest.raises(VaultError, match=rf"^vault: permission denied for secret/data/{outside}$"):
        approle.read("secret", outside)  # again, after a retry with a new login
    bogus = VaultClient(VaultConfig(url=vault_server.url, token="not-a-token"))
    with pytest.raises(VaultError, match="permission denied"):
        bogus.read("secret", path)
    wrong = _approle_client(vault_server, secret_id="00000000-0000-0000-0000-000000000000")
    with pytest.raises(VaultError, match=r"^vault: AppRole login failed: "):
        wrong.read("secret", path)
    url = _closed_url()
    down = VaultClient(VaultConfig(url=url, token=vault_server.root_token, timeout=2))
    with pytest.raises(VaultError, match=rf"^vault: cannot reach {url} "):
        down.read("secret", path)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert password not in text and vault_server.secret_id not in text
    assert vault_server.root_token not in text


def test_settings_build_the_config_and_refuse_half_a_setup(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NETWEAVE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NETWEAVE_VAULT_URL", "https://vault.example:8200/")
    monkeypatch.setenv("NETWEAVE_VAULT_AUTH_METHOD", "approle")
    monkeypatch.setenv("NETWEAVE_VAULT_ROLE_ID", "role-123")
    monkeypatch.setenv("NETWEAVE_VAULT_SECRET_ID", "secret-456")
    monkeypatch.setenv("NETWEAVE_VAULT_CACHE_TTL", "5")
    monkeypatch.setenv("NETWEAVE_VAULT_TLS_VERIFY", "false")
    settings = Settings()
    config = VaultConfig.from_settings(settings)
    assert config is not None
    assert config.url == "https://vault.example:8200" and config.auth_method == "approle"
    assert (config.role_id, config.secret_id, config.cache_ttl) == ("role-123", "secret-456", 5)
    assert config.verify is False
    assert "secret-456" not in repr(settings) and "secret-456" not in repr(config)
    monkeypatch.delenv("NETWEAVE_VAULT_SECRET_ID")
    with pytest.raises(ValueError, match="vault_secret_id"):
        Settings()
    monkeypatch.setenv("NETWEAVE_VAULT_AUTH_METHOD", "token")
    with pytest.raises(ValueError, match="vault_token"):
        Settings()
    monkeypatch.setenv("NETWEAVE_VAULT_URL", "vault.example:8200")
    monkeypatch.setenv("NETWEAVE_VAULT_TOKEN", "t")
    with pytest.raises(ValueError, match="vault_url"):
        Settings()
    monkeypatch.delenv("NETWEAVE_VAULT_URL")
    assert VaultConfig.from_settings(Settings()) is None

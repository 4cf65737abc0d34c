"""Credentials kept in OpenBao (a real dev server): resolution with field mapping, pinned
versions and the cache, and real jobs on a lab device whose password exists only in
OpenBao — on the local executor, on rq, and on a separate ``netweave worker`` process while
the process accepting the job has no vault settings at all."""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

import pytest
from sqlalchemy import text

from netweave.core.inventory import credentials, devices
from netweave.core.inventory.credential_scope import Destination
from netweave.core.inventory.schemas import CredentialCreate, CredentialScope, DeviceCreate
from netweave.core.jobs.schemas import ExecRequest, JobRead
from netweave.core.runtime import Runtime
from netweave.foundation.secrets import SecretBox
from netweave.foundation.settings import Settings
from netweave.foundation.vault import VaultError
from tests.fixtures.database import ONE_BACKEND
from tests.fixtures.vault import SecretLab, VaultServer, with_vault
from tests.fixtures.workers import ADMIN, rq_variant, start_worker, stop_worker

pytestmark = ONE_BACKEND  # the subject does not depend on the SQL backend


@pytest.fixture
def settings(settings: Settings, vault_server: VaultServer) -> Settings:
    """The suite's settings, reading vault credentials with AppRole."""
    return with_vault(settings, vault_server)


def _path() -> str:
    return f"netweave/c-{secrets.token_hex(4)}"


def _vault_credential(runtime: Runtime, name: str, **fields: Any) -> int:
    with runtime.transaction() as session:
        scope = CredentialScope(networks=["127.0.0.0/8"])  # credential scopes: the lab
        data = CredentialCreate(name=name, source="vault", scope=scope, **fields)
        return credentials.create_credential(session, runtime.box, data).id


def _resolve(runtime: Runtime, ident: int, box: SecretBox | None = None) -> Any:
    with runtime.sessions() as session:
        lab = Destination("127.0.0.1", 22)
        return credentials.resolve_credential(session, box or runtime.box, ident, lab)


def test_resolution_maps_fields_pins_versions_and_fixes_usernames(
    runtime: Runtime, vault_server: VaultServer
) -> None:
    plain, custom, versions = _path(), _path(), _path()
    vault_server.put(plain, username="ops", password="p1", enable_secret="e1")
    vault_server.put(custom, user="admin2", pw="p2", en="e2", key="-----BEGIN KEY-----")
    vault_server.put(versions, username="v", password="first")
    vault_server.put(versions, username="v", password="second")

    default = _resolve(runtime, _vault_credential(runtime, "plain", vault_path=plain))
    assert (default.username, default.password, default.enable_secret, default.ssh_key) == (
        "ops",
        "p1",
        "e1",
        None,
    )
    assert "p1" not in repr(default)
    mapped = _resolve(
        runtime,
        _vault_credential(
            runtime,
            "mapped",
            vault_path=custom,
            vault_fields={
                "username": "user",
                "password": "pw",
                "enable_secret": "en",
                "ssh_key": "key",
            },
        ),
    )
    assert (mapped.username, mapped.password, mapped.enable_secret) == ("admin2", "p2", "e2")
    assert mapped.ssh_key == "-----BEGIN KEY-----"
    fixed = _resolve(
        runtime,
        _vault_credential(
            runtime, "fixed", username="netops", vault_path=custom, vault_fields={"password": "pw"}
        ),
    )
    assert (fixed.username, fixed.password, fixed.enable_secret) == ("netops", "p2", None)
    pinned = _vault_credential(runtime, "pinned", vault_path=versions, vault_version=1)
    latest = _vault_credential(runtime, "latest", vault_path=versions)
    assert _resolve(runtime, pinned).password == "first"
    assert _resolve(runtime, latest).password == "second"

    absent = _vault_credential(
        runtime, "absent", vault_path=custom, vault_fields={"username": "user", "password": "nope"}
    )
    with pytest.raises(VaultError, match=r"has no key 'nope' for password \(credential 'absent'\)"):
        _resolve(runtime, absent)
    empty = _path()
    vault_server.put(empty, username="ops")  # no password, no ssh_key
    bare = _vault_credential(runtime, "bare", vault_path=empty)
    with pytest.raises(VaultError, match="has neither 'password' nor 'ssh_key'"):
        _resolve(runtime, bare)
    missing = _vault_credential(runtime, "missing", vault_path="netweave/nothing-here")
    with pytest.raises(
        VaultError,
        match=r"^vault: secret secret/data/netweave/nothing-here not found \(credential 'missing'\)$",
    ):
        _resolve(runtime, missing)
    unconfigured = SecretBox("a-very-long-secret-key-for-tests")
    with pytest.raises(VaultError, match="vault: not configured"):
        _resolve(runtime, latest, unconfigured)


def test_a_changed_secret_is_seen_after_the_cache_ttl_not_before(
    runtime: Runtime, vault_server: VaultServer
) -> None:
    vault = runtime.box.vault
    assert vault is not None and vault.config.cache_ttl == 30
    now = [5000.0]
    vault.clock = lambda: now[0]  # the test's clock: no sleeping
    path = _path()
    vault_server.put(path, username="u", password="before")
    ident = _vault_credential(runtime, "cached", vault_path=path)
    assert _resolve(runtime, ident).password == "before"
    vault_server.put(path, username="u", password="after")
    now[0] += 29
    assert _resolve(runtime, ident).password == "before"
    now[0] += 2
    assert _resolve(runtime, ident).password == "after"
    assert vault_server.reads_of(f"secret/data/{path}") == 2


def _inventory(runtime: Runtime, lab: SecretLab, vault_server: VaultServer) -> tuple[str, str]:
    """A vault credential (username and secrets in OpenBao, the enable secret under another
    key) and the lab device using it. Returns (device name, credential name)."""
    path = _path()
    vault_server.put(path, username="netweave", password=lab.password, enable=lab.enable)
    device = lab.lab.devices[0]
    name = f"bao-{secrets.token_hex(3)}"
    _vault_credential(runtime, name, vault_path=path, vault_fields={"enable_secret": "enable"})
    with runtime.transaction() as session:
        devices.create_device(
            session,
            DeviceCreate(
                name=f"{name}-r1",
                host=device.host,
                port=device.port,
                platform="cisco_ios",
                credential=name,
            ),
        )
    return f"{name}-r1", name


def _assert_no_secret(runtime: Runtime, lab: SecretLab, jobs: list[JobRead], logs: str) -> None:
    with runtime.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM jobs")).mappings().all()
    stored = json.dumps([dict(r) for r in rows], default=str)
    for secret in (lab.password, lab.enable):
        assert secret not in stored
        assert all(secret not in job.model_dump_json() for job in jobs)
        assert secret not in logs


def test_a_job_logs_in_with_a_password_that_lives_only_in_openbao(
    engine_runtime: Runtime,
    secret_lab: SecretLab,
    vault_server: VaultServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    runtime = engine_runtime
    device, credential = _inventory(runtime, secret_lab, vault_server)
    lab_device = secret_lab.lab.devices[0]
    by_device = ExecRequest(
        connection_args={"host": device},  # the inventory device and its credential
        command="show privilege",
        driver_args={"enable_mode": True},  # the enable secret comes from OpenBao as well
    )
    by_name = ExecRequest(  # NetPulse style: credential {name}
        connection_args={
            "host": lab_device.host,
            "port": lab_device.port,
            "device_type": "cisco_ios",
        },
        credential={"name": credential},  # type: ignore[arg-type]
        command="show clock",
    )
    done = []
    for request in (by_device, by_name):
        queued = runtime.jobs.submit_exec(request, ADMIN)
        assert queued.status == "queued"
        done.append(runtime.jobs.wait(queued.id, 60))
    assert [job.status for job in done] == ["finished", "finished"], [j.result for j in done]
    assert done[0].result is not None and done[1].result is not None
    assert "Current privilege level is 15" in done[0].result.retval[0].stdout
    assert done[1].result.retval[0].stdout.strip()
    _assert_no_secret(runtime, secret_lab, done, caplog.text)


def test_wrong_path_or_denied_policy_fails_the_job_with_a_clear_error(
    runtime: Runtime,
    secret_lab: SecretLab,
    vault_server: VaultServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    outside = f"outside/{secrets.token_hex(4)}"  # the AppRole's policy covers netweave/* only
    vault_server.put(outside, username="netweave", password=secret_lab.password)
    _vault_credential(runtime, "gone", vault_path="netweave/gone")
    _vault_credential(runtime, "denied", vault_path=outside)
    device = secret_lab.lab.devices[0]
    failed = []
    for name in ("gone", "denied"):
        request = ExecRequest(
            connection_args={"host": device.host, "port": device.port, "device_type": "cisco_ios"},
            credential={"name": name},  # type: ignore[arg-type]
            command="show clock",
        )
        failed.append(runtime.jobs.wait(runtime.jobs.submit_exec(request, ADMIN).id, 60))
    assert [job.status for job in failed] == ["failed", "failed"]
    errors = [job.result.error for job in failed if job.result and job.result.error]
    assert [e.type for e in errors] == ["credential_error", "credential_error"]
    assert errors[0].message == (
        "vault: secret secret/data/netweave/gone not found (credential 'gone')"
    )
    assert (
        errors[1].message
        == f"vault: permission denied for secret/data/{outside} (credential 'denied')"
    )
    _assert_no_secret(runtime, secret_lab, failed, caplog.text)


def test_the_accepting_process_needs_no_vault_the_worker_reads_it(
    runtime: Runtime,
    secret_lab: SecretLab,
    vault_server: VaultServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """rq: the process that accepts the job has no vault settings; a ``netweave worker``
    process with them resolves the credential and logs in."""
    device, _ = _inventory(runtime, secret_lab, vault_server)
    no_vault = rq_variant(runtime.settings).model_copy(
        update={"vault_url": None, "vault_role_id": None, "vault_secret_id": None}
    )
    producer = Runtime.open(no_vault, migrate=False, bootstrap=False)
    try:
        assert producer.box.vault is None
        queued = producer.jobs.submit_exec(
            ExecRequest(connection_args={"host": device}, command="show clock"), ADMIN
        )
        monkeypatch.setenv("NETWEAVE_VAULT_URL", vault_server.url)
        monkeypatch.setenv("NETWEAVE_VAULT_AUTH_METHOD", "approle")
        monkeypatch.setenv("NETWEAVE_VAULT_ROLE_ID", vault_server.role_id)
        monkeypatch.setenv("NETWEAVE_VAULT_SECRET_ID", vault_server.secret_id)
        worker = start_worker(no_vault, threads=2)
        try:
            job = producer.jobs.wait(queued.id, 60)
        finally:
            output = stop_worker(worker)
        assert job.status == "finished", (job.result, output)
        assert secret_lab.password not in output
    finally:
        producer.close()

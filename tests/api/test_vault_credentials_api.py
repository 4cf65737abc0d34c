"""Vault credentials through the API: the reference is shown, never a secret; bad fields are
422s naming the field; devices, NetPulse requests (``credential: {name}``), services and
``/device/test`` log in with secrets read from a real OpenBao; import/export round-trips."""

from __future__ import annotations

import secrets

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from netweave.core.runtime import Runtime
from netweave.foundation.settings import Settings
from tests.fixtures.vault import SecretLab, VaultServer, with_vault

LAB_SCOPE = {"networks": ["127.0.0.0/8"]}  # credential scopes: the lab lives on 127.x
DEFAULT_FIELDS = {
    "username": "username",
    "password": "password",
    "ssh_key": "ssh_key",
    "enable_secret": "enable_secret",
}


@pytest.fixture
def settings(settings: Settings, vault_server: VaultServer) -> Settings:
    return with_vault(settings, vault_server)


def _fields(response: object) -> set[str]:
    body = response.json()  # type: ignore[attr-defined]
    return {e["field"] for e in body.get("errors", [])} | (
        {body["field"]} if "field" in body else set()
    )


def test_vault_credential_shows_its_reference_and_validates_fields(
    admin: TestClient, runtime: Runtime, vault_server: VaultServer
) -> None:
    path = f"netweave/api-{secrets.token_hex(4)}"
    created = admin.post(
        "/api/v1/credentials",
        json={
            "name": "core",
            "source": "vault",
            "vault_path": path,
            "vault_version": 2,
            "vault_fields": {"password": "pw"},
        },
    )
    assert created.status_code == 201, created.text
    read = created.json()
    assert read["source"] == "vault" and read["vault_mount"] == "secret"
    assert (read["vault_path"], read["vault_version"]) == (path, 2)
    assert read["vault_fields"] == {**DEFAULT_FIELDS, "password": "pw"}
    assert not (read["has_password"] or read["has_ssh_key"] or read["has_enable_secret"])
    assert read["username"] == ""
    assert vault_server.reads_of(f"secret/data/{path}") == 0  # saving never asks vault

    def rejected(body: dict[str, object], field: str) -> None:
        response = admin.post("/api/v1/credentials", json={"name": "bad", **body})
        assert response.status_code == 422, response.text
        assert field in _fields(response), response.json()
        assert field in response.json()["detail"]

    rejected({"source": "vault"}, "vault_path")
    rejected({"source": "vault", "vault_path": "netweave/x", "password": "p"}, "password")
    rejected({"source": "vault", "vault_path": "/netweave//x"}, "vault_path")
    rejected({"source": "vault", "vault_path": "netweave/x", "vault_version": 0}, "vault_version")
    rejected(
        {"source": "vault", "vault_path": "n/x", "vault_fields": {"token": "t"}}, "vault_fields"
    )
    rejected({"source": "vault", "vault_path": "n/x", "vault_mount": "a b"}, "vault_mount")
    rejected({"source": "kv1", "vault_path": "n/x"}, "source")
    rejected({"username": "u", "password": "p", "vault_path": "n/x"}, "vault_path")
    rejected({"password": "p"}, "username")

    stored = admin.post(
        "/api/v1/credentials", json={"name": "old", "username": "u", "password": "Sealed-1234"}
    ).json()
    assert stored["source"] == "stored" and stored["vault_fields"] is None
    switched = admin.patch(
        f"/api/v1/credentials/{stored['id']}", json={"source": "vault", "vault_path": path}
    )
    assert switched.status_code == 200, switched.text
    assert switched.json()["source"] == "vault" and not switched.json()["has_password"]
    with runtime.engine.connect() as connection:
        row = connection.execute(
            text("SELECT password_enc, vault_mount FROM credentials WHERE name = 'old'")
        ).one()
    assert row.password_enc is None and row.vault_mount == "secret"  # the sealed one is gone
    back = admin.patch(f"/api/v1/credentials/{stored['id']}", json={"source": "stored"})
    assert back.status_code == 422 and back.json()["field"] == "password"
    refused = admin.patch(f"/api/v1/credentials/{created.json()['id']}", json={"password": "x"})
    assert refused.status_code == 422 and refused.json()["field"] == "password"
    latest = admin.patch(
        f"/api/v1/credentials/{created.json()['id']}", json={"vault_version": None}
    )
    assert latest.status_code == 200 and latest.json()["vault_version"] is None
    assert latest.json()["vault_path"] == path  # left out: kept

    fixed = admin.post(
        "/api/v1/credentials",
        json={"name": "fixed", "username": "netops", "source": "vault", "vault_path": path},
    ).json()
    assert fixed["vault_fields"] == {k: v for k, v in DEFAULT_FIELDS.items() if k != "username"}
    editable = ("description", "username", "source", "vault_mount", "vault_path", "vault_version")
    form = {key: fixed[key] for key in (*editable, "vault_fields")}  # what an edit form sends
    assert admin.patch(f"/api/v1/credentials/{fixed['id']}", json=form).status_code == 200
    both = admin.patch(
        f"/api/v1/credentials/{fixed['id']}", json={"vault_fields": {"username": "user"}}
    )
    assert both.status_code == 422 and both.json()["field"] == "vault_fields.username"


def test_devices_requests_services_and_test_log_in_with_openbao_secrets(
    admin: TestClient, secret_lab: SecretLab, vault_server: VaultServer
) -> None:
    path = f"netweave/api-{secrets.token_hex(4)}"
    vault_server.put(path, username="netweave", password=secret_lab.password)
    device = secret_lab.lab.devices[0]
    assert (
        admin.post(
            "/api/v1/credentials",
            json={"name": "bao", "source": "vault", "vault_path": path, "scope": LAB_SCOPE},
        ).status_code
        == 201
    )
    for name, credential in (("r1", "bao"), ("bare", None)):
        body = {"name": name, "host": device.host, "port": device.port, "platform": "cisco_ios"}
        response = admin.post("/api/v1/devices", json={**body, "credential": credential})
        assert response.status_code == 201, response.text
    direct = {"host": device.host, "port": device.port, "device_type": "cisco_ios"}
    answers = []

    by_device = admin.post(
        "/device/exec", json={"connection_args": {"host": "r1"}, "command": "show clock"}
    )
    by_name = admin.post(
        "/device/exec",
        json={"connection_args": direct, "credential": {"name": "bao"}, "command": "show clock"},
    )
    for accepted in (by_device, by_name):
        assert accepted.status_code == 201, accepted.text
        job = admin.get(f"/jobs/{accepted.json()['id']}", params={"wait": 30})
        assert job.json()["status"] == "finished", job.text
        assert job.json()["result"]["retval"][0]["stdout"].strip()
        answers += [accepted, job]
    tested = admin.post(
        "/device/test", json={"connection_args": direct, "credential": {"name": "bao"}}
    )
    assert tested.status_code == 200 and tested.json()["success"] is True, tested.text

    service = {"name": "Clock", "type": "netmiko_commands", "inputs": {"commands": ["show clock"]}}
    assert admin.post("/api/v1/services", json=service).status_code == 201
    named = {**service, "name": "Clock bao", "options": {"credential": "bao"}}
    assert admin.post("/api/v1/services", json=named).status_code == 201
    for automation, target in (("Clock", "r1"), ("Clock bao", "bare")):
        run = admin.post(
            f"/api/v1/run/{automation}", json={"targets": {"devices": [target]}, "wait": 120}
        )
        assert run.status_code in (200, 201) and run.json()["status"] == "success", run.text
        results = admin.get(f"/api/v1/runs/{run.json()['id']}/results")
        assert results.json() and all(r["success"] for r in results.json())
        answers += [run, results]

    assert (
        admin.post(
            "/api/v1/credentials",
            json={
                "name": "gone",
                "source": "vault",
                "vault_path": "netweave/gone-for-good",
                "scope": LAB_SCOPE,
            },
        ).status_code
        == 201
    )
    broken = admin.post(
        "/device/test", json={"connection_args": direct, "credential": {"name": "gone"}}
    )
    assert broken.status_code == 424
    assert broken.json()["detail"] == (
        "vault: secret secret/data/netweave/gone-for-good not found (credential 'gone')"
    )
    accepted = admin.post(
        "/device/exec",
        json={"connection_args": direct, "credential": {"name": "gone"}, "command": "show clock"},
    )
    assert accepted.status_code == 201  # accepted: vault is read where the job runs
    failed = admin.get(f"/jobs/{accepted.json()['id']}", params={"wait": 30}).json()
    assert failed["status"] == "failed"
    assert failed["result"]["error"]["message"].startswith(
        "vault: secret secret/data/netweave/gone"
    )
    answers += [broken, accepted, admin.get("/api/v1/credentials"), admin.get("/jobs")]
    assert all(secret_lab.password not in answer.text for answer in answers)


def test_vault_credentials_round_trip_through_import_and_export(admin: TestClient) -> None:
    yaml_file = (
        b"credentials:\n"
        b"  - name: bao\n"
        b"    source: vault\n"
        b"    vault_path: netweave/core\n"
        b"    vault_version: 3\n"
        b"    vault_fields: {password: pw}\n"
        b'    scope: {networks: [10.0.0.0/8], hosts: ["*.core.example.net"]}\n'
        b"  - name: broken\n"
        b"    source: vault\n"
    )
    bad = admin.post("/api/v1/inventory/import", files={"file": ("i.yaml", yaml_file, "text/yaml")})
    assert bad.status_code == 422
    assert {(e["row"], e["field"]) for e in bad.json()["errors"]} == {(2, "vault_path")}
    good = yaml_file.split(b"  - name: broken")[0]
    imported = admin.post("/api/v1/inventory/import", files={"file": ("i.yaml", good, "text/yaml")})
    assert imported.status_code == 200 and imported.json()["created"]["credentials"] == 1
    read = admin.get("/api/v1/credentials").json()[0]
    assert (read["source"], read["vault_mount"], read["vault_path"], read["vault_version"]) == (
        "vault",
        "secret",
        "netweave/core",
        3,
    )
    for kind in ("yaml", "csv"):
        export = admin.get(
            "/api/v1/inventory/export", params={"format": kind, "kind": "credentials"}
        )
        assert export.status_code == 200 and "netweave/core" in export.text
        again = admin.post(
            "/api/v1/inventory/import",
            params={"kind": "credentials"} if kind == "csv" else {},
            files={"file": (f"e.{kind}", export.content, "application/octet-stream")},
        )
        assert again.status_code == 200, again.text
        assert again.json()["unchanged"]["credentials"] == 1

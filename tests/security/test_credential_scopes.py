"""Credential scopes (issue 13): a stored credential is offered only to the hosts its
admin-set scope names. The attacks: an operator points a stored credential at an address
they control (inline host, an edited device, a REST step's URL) and reads the password
the server offers there. Real components: the device lab, a recording SSH server, a
recording HTTP listener, the API per role."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import asyncssh
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from netweave.core.inventory.credential_scope import Destination
from netweave.core.inventory.credentials import credential_by_name, resolve_credential
from netweave.core.runtime import Runtime
from netweave.db.engine import make_engine
from netweave.db.migrate import upgrade
from netweave.db.models import Role
from netweave.foundation.errors import PermissionDenied
from netweave.lab import LabDevice, LabThread
from tests.api.test_terminal import open_term, refusal, seed, ws_url
from tests.fixtures.api import LiveApi

SECRET = "core-Secret-9d2f"  # a password that must never show up anywhere
LAB_PASSWORD = "netweave"  # the lab's login: what an attacker would harvest
RECORDER_HOST = "127.0.0.2"  # loopback, but outside the lab's 127.0.0.1/32
LISTENER_HOST = "127.0.0.3"
LAB_ONLY = {"networks": ["127.0.0.1/32"]}


# -- a recording SSH server: what an attacker's host would see ---------------------------


@dataclass
class Recorder:
    port: int = 0
    offered: list[tuple[str, str]] = field(default_factory=list)


class _RecordingServer(asyncssh.SSHServer):
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        self.recorder.offered.append((username, password))
        return False


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    found = Recorder()
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    async def start() -> asyncssh.SSHAcceptor:
        key = asyncssh.generate_private_key("ssh-ed25519")
        acceptor = await asyncssh.listen(
            RECORDER_HOST,
            0,
            server_host_keys=[key],
            server_factory=lambda: _RecordingServer(found),
        )
        found.port = acceptor.get_port()
        ready.set()
        return acceptor

    acceptor = loop.run_until_complete(start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    assert ready.wait(10)
    yield found
    loop.call_soon_threadsafe(acceptor.close)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


class _Listener(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []

    def do_GET(self) -> None:
        _Listener.seen.append({"path": self.path, "auth": self.headers.get("Authorization")})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def listener() -> Iterator[str]:
    _Listener.seen = []
    server = HTTPServer((LISTENER_HOST, 0), _Listener)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{LISTENER_HOST}:{server.server_address[1]}"
    server.shutdown()


# -- helpers -------------------------------------------------------------------------------


def _ios(lab: LabThread) -> LabDevice:
    return next(d for d in lab.devices if d.spec.platform == "cisco_ios")


def _credential(admin: TestClient, name: str = "core", **extra: Any) -> dict[str, Any]:
    body = {
        "name": name,
        "username": "netweave",
        "password": LAB_PASSWORD,
        "enable_secret": LAB_PASSWORD,
        **extra,
    }
    created = admin.post("/api/v1/credentials", json=body)
    assert created.status_code == 201, created.text
    return dict(created.json())


def _device(admin: TestClient, device: LabDevice, credential: str = "core") -> int:
    created = admin.post(
        "/api/v1/devices",
        json={
            "name": device.name,
            "host": device.host,
            "port": device.port,
            "platform": device.spec.platform,
            "credential": credential,
        },
    )
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def _exec(client: TestClient, host: str, port: int, credential: str = "core") -> Any:
    return client.post(
        "/device/exec",
        json={
            "driver": "netmiko",
            "connection_args": {"host": host, "port": port, "device_type": "cisco_ios"},
            "credential": {"name": credential},
            "command": "show clock",
        },
    )


def _refused(answer: Any, credential: str = "core") -> str:
    assert answer.status_code == 403, answer.text
    detail = str(answer.json()["detail"])
    assert repr(credential) in detail
    return detail


# -- the attacks -----------------------------------------------------------------------------


def test_operator_cannot_offer_a_stored_password_to_an_inline_host(
    admin: TestClient, operator: TestClient, lab: LabThread, recorder: Recorder
) -> None:
    _credential(admin, scope=LAB_ONLY)
    device = _ios(lab)
    # exec, the synchronous test and bulk: all aimed at the recorder with credential core
    detail = _refused(_exec(operator, RECORDER_HOST, recorder.port))
    assert f"{RECORDER_HOST}:{recorder.port}" in detail
    probe = operator.post(
        "/device/test",
        json={
            "driver": "netmiko",
            "connection_args": {"host": RECORDER_HOST, "port": recorder.port},
            "credential": {"name": "core"},
        },
    )
    _refused(probe)
    bulk = operator.post(
        "/device/bulk",
        json={
            "driver": "netmiko",
            "connection_args": {"device_type": "cisco_ios"},
            "devices": [
                {"host": RECORDER_HOST, "port": recorder.port},
                {"host": device.host, "port": device.port},
            ],
            "credential": {"name": "core"},
            "command": "show clock",
        },
    )
    assert bulk.status_code in (200, 201), bulk.text
    failed = bulk.json()["failed"]
    assert [f["host"] for f in failed] == [RECORDER_HOST]
    assert "'core'" in failed[0]["reason"]
    queued = bulk.json()["succeeded"]
    assert [j["device"] for j in queued] == [f"{device.host}:{device.port}"]
    for job in queued:
        done = operator.get(f"/jobs/{job['id']}", params={"wait": 30}).json()
        assert done["status"] == "finished", done
    assert recorder.offered == []  # the password never reached the attacker's host


def test_device_cannot_be_moved_to_another_host_while_keeping_its_credential(
    admin: TestClient, operator: TestClient, lab: LabThread, recorder: Recorder
) -> None:
    _credential(admin, scope=LAB_ONLY)
    device = _ios(lab)
    ident = _device(admin, device)
    for client in (operator, admin):  # every role: an admin widens the scope first
        moved = client.patch(f"/api/v1/devices/{ident}", json={"host": RECORDER_HOST})
        assert _refused(moved) and moved.json()["field"] == "host"
        reported = client.patch(f"/api/v1/devices/{ident}", json={"port": recorder.port})
        assert reported.status_code == 200  # same lab address, another port: inside
        client.patch(f"/api/v1/devices/{ident}", json={"port": device.port})
    created = operator.post(
        "/api/v1/devices",
        json={
            "name": "trap",
            "host": RECORDER_HOST,
            "port": recorder.port,
            "platform": "cisco_ios",
            "credential": "core",
        },
    )
    assert _refused(created) and created.json()["field"] == "credential"
    assert operator.get("/api/v1/devices", params={"name": "trap"}).json()["items"] == []
    other = operator.post(
        "/api/v1/devices",
        json={"name": "bare", "host": RECORDER_HOST, "port": recorder.port, "platform": "linux"},
    )
    assert other.status_code == 201
    attach = operator.patch(f"/api/v1/devices/{other.json()['id']}", json={"credential": "core"})
    _refused(attach)
    yaml_file = (
        "devices:\n"
        f"  - {{name: imported, host: {RECORDER_HOST}, port: {recorder.port}, "
        "platform: cisco_ios, credential: core}\n"
    )
    imported = operator.post(
        "/api/v1/inventory/import", files={"file": ("inv.yaml", yaml_file.encode())}
    )
    _refused(imported)
    assert operator.get("/api/v1/devices", params={"name": "imported"}).json()["items"] == []
    # the device as it stands still works, and nothing was ever offered to the recorder
    job = operator.post(
        "/device/exec",
        json={
            "driver": "netmiko",
            "connection_args": {"host": device.name},
            "command": "show clock",
        },
    )
    assert job.status_code == 201, job.text
    done = operator.get(f"/jobs/{job.json()['id']}", params={"wait": 30}).json()
    assert done["status"] == "finished", done
    assert recorder.offered == []


def test_rest_call_does_not_send_a_credential_to_a_url_outside_its_scope(
    admin: TestClient, operator: TestClient, lab: LabThread, listener: str
) -> None:
    _credential(admin, name="cmdb", scope={"hosts": ["cmdb.example.net"]})
    device = _ios(lab)
    _credential(admin, scope=LAB_ONLY)
    _device(admin, device)
    service = {
        "name": "Leak",
        "type": "rest_call",
        "inputs": {"url": listener + "/grab", "auth": "basic", "credential": "cmdb"},
    }
    # rest_call is a privileged type: an admin saves it, the operator runs it
    assert admin.post("/api/v1/services", json=service).status_code == 201
    run = operator.post(
        "/api/v1/run/Leak", json={"targets": {"devices": [device.name]}, "wait": 60}
    )
    assert run.status_code == 201, run.text
    assert run.json()["status"] == "failure"
    results = operator.get(f"/api/v1/runs/{run.json()['id']}/results").json()
    error = str(results[0]["result"])
    assert "'cmdb'" in error and LISTENER_HOST in error and "scope" in error
    assert _Listener.seen == []  # no request at all, so no Authorization header
    bearer = {**service["inputs"], "auth": "bearer"}  # type: ignore[dict-item]
    assert (
        admin.post(
            "/api/v1/services", json={"name": "Leak2", "type": "rest_call", "inputs": bearer}
        ).status_code
        == 201
    )
    again = operator.post(
        "/api/v1/run/Leak2", json={"targets": {"devices": [device.name]}, "wait": 60}
    )
    assert again.json()["status"] == "failure"
    assert all(seen["auth"] is None for seen in _Listener.seen)
    # widened by an admin to the listener's address, the call goes through with the login
    cmdb = admin.get("/api/v1/credentials").json()
    ident = next(c["id"] for c in cmdb if c["name"] == "cmdb")
    widened = admin.patch(
        f"/api/v1/credentials/{ident}", json={"scope": {"networks": [f"{LISTENER_HOST}/32"]}}
    )
    assert widened.status_code == 200, widened.text
    allowed = operator.post(
        "/api/v1/run/Leak", json={"targets": {"devices": [device.name]}, "wait": 60}
    )
    assert allowed.json()["status"] == "success", allowed.text
    assert _Listener.seen and _Listener.seen[-1]["auth"].startswith("Basic ")


def test_operator_cannot_create_update_or_delete_credentials(
    admin: TestClient, operator: TestClient, viewer: TestClient
) -> None:
    made = _credential(admin, scope={"networks": ["10.0.0.0/8"]}, password=SECRET)
    body = {"name": "mine", "username": "u", "password": "p", "scope": {"networks": ["0.0.0.0/0"]}}
    assert operator.post("/api/v1/credentials", json=body).status_code == 403
    widen = {"scope": {"networks": ["0.0.0.0/0", "::/0"]}}
    assert operator.patch(f"/api/v1/credentials/{made['id']}", json=widen).status_code == 403
    assert operator.delete(f"/api/v1/credentials/{made['id']}").status_code == 403
    imported = operator.post(
        "/api/v1/inventory/import",
        files={
            "file": (
                "c.yaml",
                b"credentials:\n  - {name: core, username: netweave, password: x,"
                b" scope: {networks: [0.0.0.0/0]}}\n",
            )
        },
    )
    assert imported.status_code == 403 and "admin" in imported.json()["detail"]
    for client in (viewer, operator):  # listed with their scope, never a secret
        listed = client.get("/api/v1/credentials")
        assert listed.status_code == 200
        assert listed.json()[0]["scope"] == {"networks": ["10.0.0.0/8"], "hosts": [], "pools": []}
        assert SECRET not in listed.text
    assert admin.get(f"/api/v1/credentials/{made['id']}").json()["scope"]["networks"] == [
        "10.0.0.0/8"
    ]


def test_credential_without_scope_is_offered_nowhere(
    admin: TestClient, operator: TestClient, lab: LabThread
) -> None:
    made = _credential(admin)
    assert made["scope"] is None
    device = _ios(lab)
    detail = _refused(_exec(operator, device.host, device.port))
    assert "credential 'core' has no scope: an admin must set one" in detail
    empty = admin.patch(
        f"/api/v1/credentials/{made['id']}", json={"scope": {"networks": [], "hosts": []}}
    )
    assert empty.status_code == 200
    assert "has no scope" in _refused(_exec(operator, device.host, device.port))


def test_scope_entries_are_validated_naming_the_field(admin: TestClient) -> None:
    bad_network = admin.post(
        "/api/v1/credentials",
        json={
            "name": "c",
            "username": "u",
            "password": "p",
            "scope": {"networks": ["10.0.0.0/8", "10.0.0.300/24"]},
        },
    )
    assert bad_network.status_code == 422
    assert "scope.networks[1]" in bad_network.json()["detail"]
    bad_glob = admin.post(
        "/api/v1/credentials",
        json={"name": "c", "username": "u", "password": "p", "scope": {"hosts": ["a b"]}},
    )
    assert bad_glob.status_code == 422 and "scope.hosts[0]" in bad_glob.json()["detail"]
    bad_pool = admin.post(
        "/api/v1/credentials",
        json={"name": "c", "username": "u", "password": "p", "scope": {"pools": ["ghost"]}},
    )
    assert bad_pool.status_code == 422 and bad_pool.json()["field"] == "scope.pools[0]"
    assert admin.get("/api/v1/credentials").json() == []


def test_scopes_by_network_host_glob_and_pool_admit_what_they_name(
    admin: TestClient, operator: TestClient, lab: LabThread, recorder: Recorder
) -> None:
    first, second = [d for d in lab.devices if d.spec.platform == "cisco_ios"][:2]
    login = {"username": "netweave", "password": "netweave", "enable_secret": "netweave"}
    for name, scope in (
        ("by-net", {"networks": ["127.0.0.0/31", "2001:db8::/32"]}),
        ("by-glob", {"hosts": ["LOCAL*"]}),
        ("by-pool", {"pools": ["core-routers"]}),
    ):
        if name == "by-pool":
            dev = _device(admin, first, credential="by-net")
            assert (
                dev
                and admin.post(
                    "/api/v1/pools", json={"name": "core-routers", "devices": [first.name]}
                ).status_code
                == 201
            )
        made = admin.post("/api/v1/credentials", json={"name": name, **login, "scope": scope})
        assert made.status_code == 201, made.text

    def runs(host: str, port: int, credential: str) -> bool:
        answer = _exec(operator, host, port, credential)
        if answer.status_code == 403:
            assert repr(credential) in answer.json()["detail"]
            return False
        assert answer.status_code == 201, answer.text
        done = operator.get(f"/jobs/{answer.json()['id']}", params={"wait": 30}).json()
        assert done["status"] == "finished", done
        return True

    assert runs(first.host, first.port, "by-net")  # 127.0.0.1 in 127.0.0.0/31
    assert not runs(RECORDER_HOST, recorder.port, "by-pool")
    assert runs("localhost", first.port, "by-glob")  # a DNS name, case-insensitive glob
    assert not runs(first.host, first.port, "by-glob")  # an address never matches a glob
    assert runs(first.host, first.port, "by-pool")  # the address + port of a pool member
    assert not runs(second.host, second.port, "by-pool")  # same address, not a member
    # by inventory device: membership of that device
    assert runs(first.name, first.port, "by-pool")
    assert not runs(RECORDER_HOST, recorder.port, "by-net")
    assert recorder.offered == []
    pools = {c["name"]: c["scope"] for c in admin.get("/api/v1/credentials").json()}
    assert pools["by-pool"]["pools"] == ["core-routers"]
    assert pools["by-glob"]["hosts"] == ["local*"]


def test_worker_refuses_a_credential_outside_its_scope_even_if_asked_directly(
    runtime: Runtime, admin: TestClient
) -> None:
    _credential(admin, scope={"networks": ["10.0.0.0/8"], "hosts": ["*.core.example.net"]})
    with runtime.sessions() as session:
        ident = credential_by_name(session, "core").id
        inside = resolve_credential(
            session, runtime.box, ident, Destination("r1.CORE.example.net", 22)
        )
        assert inside.password == LAB_PASSWORD
        assert resolve_credential(session, runtime.box, ident, Destination("10.1.2.3")).username
        for host in ("203.0.113.9", "evil.example.net", "core.example.net.evil.org"):
            with pytest.raises(PermissionDenied) as refused:
                resolve_credential(session, runtime.box, ident, Destination(host, 22))
            assert "'core'" in refused.value.message and host in refused.value.message


def test_migration_derives_scopes_from_the_devices_using_each_credential(tmp_path: Any) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'scopes.db'}")
    upgrade(engine, "0008")
    now = "2026-01-01 00:00:00"
    with engine.begin() as connection:
        for ident, name in ((1, "core"), (2, "unused")):
            connection.execute(
                text(
                    "INSERT INTO credentials (id, name, description, username, password_enc,"
                    " created_at, updated_at, source) VALUES (:i, :n, '', 'u', 'x', :t, :t,"
                    " 'stored')"
                ),
                {"i": ident, "n": name, "t": now},
            )
        for name, host in (("r1", "10.0.0.1"), ("r2", "2001:db8::1"), ("r3", "R3.Example.NET")):
            connection.execute(
                text(
                    "INSERT INTO devices (name, host, port, platform, driver, vendor, model,"
                    " os_version, site, custom_fields, credential_id, created_at, updated_at)"
                    " VALUES (:n, :h, 22, 'cisco_ios', 'netmiko', '', '', '', '', '{}', 1,"
                    " :t, :t)"
                ),
                {"n": name, "h": host, "t": now},
            )
    upgrade(engine)
    with engine.connect() as connection:
        query = text("SELECT name, scope FROM credentials")
        rows: dict[str, str] = {name: scope for name, scope in connection.execute(query)}
    engine.dispose()

    assert json.loads(rows["core"]) == {
        "networks": ["10.0.0.1/32", "2001:db8::1/128"],
        "hosts": ["r3.example.net"],
        "pools": [],
    }
    assert json.loads(rows["unused"]) == {"networks": [], "hosts": [], "pools": []}


def test_viewer_role_cannot_touch_credentials_either(client_as: Any) -> None:
    viewer = client_as(Role.viewer)
    body = {"name": "v", "username": "u", "password": "p", "scope": {"networks": ["10.0.0.0/8"]}}
    assert viewer.post("/api/v1/credentials", json=body).status_code == 403


def test_terminal_refuses_a_device_whose_credential_scope_was_narrowed(
    live_api: LiveApi, lab: LabThread
) -> None:
    device = _ios(lab)
    ids = seed(live_api, [(device.name, device.host, device.port)])
    headers = {"X-API-KEY": live_api.key}
    with open_term(ws_url(live_api, ids[device.name]), additional_headers=headers) as term:
        assert term.wait_event("connected")["device"] == device.name
    with httpx.Client(base_url=live_api.url, headers=headers) as client:
        credential = client.get("/api/v1/credentials").json()[0]
        narrowed = client.patch(
            f"/api/v1/credentials/{credential['id']}",
            json={"scope": {"networks": ["10.0.0.0/8"]}},
        )
        assert narrowed.status_code == 200, narrowed.text
    code, reason = refusal(ws_url(live_api, ids[device.name]), additional_headers=headers)
    assert code == 4403 and repr(credential["name"]) in reason and device.host in reason

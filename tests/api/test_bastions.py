"""Jump hosts end to end, against real OpenSSH bastions in front of the lab: inventory
bastions (admin-made, scoped credentials, chains of two), NetPulse's per-request ``proxy_*``
fields, the web terminal — and the attacks: a stored credential aimed through a jump host
of the caller's choosing, server key files, bastions made by a lower role."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient

from netweave.core.runtime import Runtime
from netweave.db.models import Job, Role
from netweave.lab import LabDevice, LabThread
from tests.api.test_terminal import api_key, open_term, ws_url
from tests.fixtures.api import LiveApi
from tests.fixtures.bastion import JUMP_PASSWORD, JUMP_USER, Bastion
from tests.fixtures.database import ONE_BACKEND
from tests.fixtures.lab import first

pytestmark = ONE_BACKEND  # the subject does not depend on the SQL backend

LAB_LOGIN = {"username": "netweave", "password": "netweave", "secret": "netweave"}


def _credential(client: TestClient | httpx.Client, name: str, **fields: Any) -> None:
    made = client.post("/api/v1/credentials", json={"name": name, **fields})
    assert made.status_code == 201, made.text


def _inventory(client: TestClient | httpx.Client, outer: Bastion, inner: Bastion) -> None:
    """Credentials (scoped), the bastions ``edge`` and ``core`` (behind ``edge``)."""
    _credential(
        client,
        "jump",
        username=JUMP_USER,
        password=JUMP_PASSWORD,
        scope={"networks": ["127.0.0.1/32"]},
    )
    _credential(
        client,
        "lab",
        username="netweave",
        password="netweave",
        enable_secret="netweave",
        scope={"networks": ["127.0.0.0/8"]},
    )
    for body in (
        {"name": "edge", "host": outer.host, "port": outer.port, "credential": "jump"},
        {
            "name": "core",
            "host": inner.host,
            "port": inner.port,
            "credential": "jump",
            "via": "edge",
        },
    ):
        made = client.post("/api/v1/bastions", json=body)
        assert made.status_code == 201, made.text


def _device(
    client: TestClient | httpx.Client, device: LabDevice, bastion: str | None
) -> dict[str, Any]:
    made = client.post(
        "/api/v1/devices",
        json={
            "name": device.name,
            "host": device.host,
            "port": device.port,
            "platform": device.spec.platform,
            "credential": "lab",
            "bastion": bastion,
        },
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


def _run(client: TestClient, connection_args: dict[str, Any], command: str) -> dict[str, Any]:
    queued = client.post(
        "/device/exec", json={"connection_args": connection_args, "command": command}
    )
    assert queued.status_code in (200, 201), queued.text
    done = client.get(f"/jobs/{queued.json()['id']}", params={"wait": 60})
    return dict(done.json())


def test_inventory_bastions_carry_jobs_one_and_two_hops(
    admin: TestClient, lab: LabThread, bastion: Bastion, inner_bastion: Bastion
) -> None:
    _inventory(admin, bastion, inner_bastion)
    ios, eos = first(lab, "cisco_ios"), first(lab, "arista_eos")
    assert _device(admin, ios, "edge")["bastion"] == "edge"
    _device(admin, eos, "core")
    listed = {row["name"]: row for row in admin.get("/api/v1/bastions").json()}
    assert listed["core"]["via"] == "edge" and listed["edge"]["devices"] == 1

    since_outer, since_inner = bastion.mark(), inner_bastion.mark()
    one_hop = _run(admin, {"host": ios.name}, "show version")
    assert one_hop["status"] == "finished", one_hop
    assert "Cisco IOS" in one_hop["result"]["retval"][0]["stdout"]
    assert bastion.forwards_to(ios.host, ios.port, since_outer)

    two_hops = _run(admin, {"host": eos.name}, "show version")
    assert two_hops["status"] == "finished", two_hops
    assert bastion.forwards_to(inner_bastion.host, inner_bastion.port, since_outer)
    assert inner_bastion.forwards_to(eos.host, eos.port, since_inner)

    # a chain of three is refused, and so is deleting a bastion still in use
    third = admin.post(
        "/api/v1/bastions",
        json={"name": "deep", "host": "127.0.0.1", "port": 1, "credential": "jump", "via": "core"},
    )
    assert third.status_code == 422 and third.json()["field"] == "via", third.text
    edge_id = listed["edge"]["id"]
    assert admin.delete(f"/api/v1/bastions/{edge_id}").status_code == 409


def test_only_admins_make_bastions_and_their_login_stays_in_scope(
    client_as: Any, admin: TestClient, bastion: Bastion
) -> None:
    _credential(admin, "jump", username=JUMP_USER, password=JUMP_PASSWORD)  # no scope
    body = {"name": "edge", "host": bastion.host, "port": bastion.port, "credential": "jump"}
    operator = client_as(Role.operator)
    assert operator.post("/api/v1/bastions", json=body).status_code == 403
    refused = admin.post("/api/v1/bastions", json=body)  # offered nowhere: refused here
    assert refused.status_code == 403 and refused.json()["field"] == "credential", refused.text
    assert admin.get("/api/v1/bastions").json() == []
    assert client_as(Role.viewer).get("/api/v1/bastions").status_code == 200


def test_netpulse_proxy_fields_reach_the_device_and_the_password_is_sealed(
    runtime: Runtime, operator: TestClient, lab: LabThread, bastion: Bastion
) -> None:
    linux = first(lab, "linux")
    proxy = {
        "proxy_host": bastion.host,
        "proxy_port": bastion.port,
        "proxy_username": JUMP_USER,
        "proxy_password": JUMP_PASSWORD,
    }
    args = {"host": linux.host, "port": linux.port, "device_type": "linux", **LAB_LOGIN}
    since = bastion.mark()
    done = _run(operator, {**args, **proxy}, "uname -a")
    assert done["status"] == "finished", done
    assert bastion.forwards_to(linux.host, linux.port, since)
    with runtime.transaction() as session:
        stored = str(session.get(Job, done["id"]).request)  # type: ignore[union-attr]
    assert JUMP_PASSWORD not in stored and bastion.host in stored

    wrong = _run(operator, {**args, **proxy, "proxy_password": "nope"}, "uname -a")
    assert wrong["status"] == "failed"
    error = wrong["result"]["error"]
    assert error["cause"] == "auth_failed" and "jump host" in error["message"], error


def test_a_stored_credential_never_goes_through_a_jump_host_outside_its_scope(
    admin: TestClient, operator: TestClient, lab: LabThread, bastion: Bastion
) -> None:
    ios = first(lab, "cisco_ios")
    _credential(
        admin,
        "lab",
        username="netweave",
        password="netweave",
        scope={"networks": [f"{ios.host}/32"]},
    )
    _device(admin, ios, None)
    # "localhost" is the attacker's jump host here: a name the scope does not hold
    body = {
        "connection_args": {"host": ios.name, "proxy_host": "localhost", "proxy_port": 2222},
        "command": "show version",
    }
    refused = operator.post("/device/exec", json=body)
    assert refused.status_code == 403, refused.text
    assert refused.json()["field"] == "connection_args.proxy_host"
    bulk = operator.post(
        "/device/bulk",
        json={
            "devices": [{"host": ios.name, "proxy_host": "localhost"}],
            "command": "show version",
        },
    )
    assert bulk.json()["succeeded"] == [] and "localhost" in bulk.json()["failed"][0]["reason"]


def test_refused_combinations_name_their_field(
    admin: TestClient,
    operator: TestClient,
    lab: LabThread,
    bastion: Bastion,
    inner_bastion: Bastion,
) -> None:
    _inventory(admin, bastion, inner_bastion)
    ios = first(lab, "cisco_ios")
    _device(admin, ios, "edge")
    cases = [
        ({"host": ios.name, "proxy_host": bastion.host}, 422, "connection_args.proxy_host"),
        (
            {"host": ios.host, "port": ios.port, "jump_hosts": [{"host": "127.0.0.1"}]},
            422,
            "connection_args.jump_hosts",
        ),
        (
            {
                "host": ios.host,
                "port": ios.port,
                **LAB_LOGIN,
                "proxy_host": bastion.host,
                "proxy_key_filename": "/etc/ssh/ssh_host_ed25519_key",
            },
            403,
            "connection_args.proxy_key_filename",
        ),
    ]
    for connection_args, status, field in cases:
        answer = operator.post(
            "/device/exec", json={"connection_args": connection_args, "command": "show clock"}
        )
        assert answer.status_code == status, (connection_args, answer.text)
        assert answer.json()["field"] == field, answer.text


def test_the_web_terminal_goes_through_the_bastion(
    live_api: LiveApi, lab: LabThread, bastion: Bastion, inner_bastion: Bastion
) -> None:
    ios = first(lab, "cisco_ios")
    with httpx.Client(
        base_url=live_api.url, headers={"X-API-KEY": live_api.key}, timeout=30
    ) as client:
        _inventory(client, bastion, inner_bastion)
        device_id = _device(client, ios, "core")["id"]
    key = api_key(live_api.runtime, Role.operator, "oper")
    since = inner_bastion.mark()
    with open_term(ws_url(live_api, device_id), additional_headers={"X-API-KEY": key}) as term:
        assert term.wait_event("connected")["device"] == ios.name
        term.read_until(">")
        term.type("show version\r")
        assert "Cisco IOS" in term.read_until("Configuration register")
    assert inner_bastion.forwards_to(ios.host, ios.port, since)

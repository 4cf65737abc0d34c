"""Each built-in service type on real things: lab devices over SSH, a real HTTP server,
ansible-playbook, TCP; plus the common options (iteration, retries, validation, webhook
notification)."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from netweave.lab import LabThread
from tests.core.automation.conftest import add_inventory


class Echo(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        Echo.seen.append(
            {
                "path": self.path,
                "method": self.command,
                "auth": self.headers.get("Authorization"),
                "body": body,
            }
        )
        status = 404 if self.path.startswith("/missing") else 200
        payload = json.dumps({"path": self.path, "got": body}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def echo() -> Iterator[str]:
    Echo.seen = []
    server = HTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _run(
    client: TestClient, name: str, type_: str, inputs: dict, targets: list[str], **options: Any
) -> dict:
    body = {"name": name, "type": type_, "inputs": inputs, "options": options}
    created = client.post("/api/v1/services", json=body)
    assert created.status_code == 201, created.text
    run = client.post(
        f"/api/v1/run/{name}",
        json={"targets": {"devices": targets}, "variables": {"site": "lab"}, "wait": 120},
    )
    assert run.status_code == 201, run.text
    data = run.json()
    data["results"] = client.get(f"/api/v1/runs/{data['id']}/results").json()
    return data


def test_device_services(admin: TestClient, ios_lab: LabThread) -> None:
    names = add_inventory(admin, ios_lab)[:2]
    getters = _run(
        admin, "Facts", "napalm_getters", {"getters": ["get_facts", "get_interfaces"]}, names
    )
    assert getters["status"] == "success", getters["results"]
    facts = getters["results"][0]["result"]["getters"]["get_facts"]
    assert facts["hostname"] in names and facts["vendor"] == "Cisco"

    scrapli = _run(
        admin,
        "Scrapli",
        "scrapli_commands",
        {"commands": ["show version"], "parsing": "textfsm"},
        names,
    )
    assert scrapli["status"] == "success", scrapli["results"]
    parsed = scrapli["results"][0]["result"]["outputs"][0]["parsed"]
    assert isinstance(parsed, list) and parsed[0]["hostname"] in names

    invalid = _run(admin, "Bogus", "netmiko_commands", {"commands": ["show bogus"]}, names[:1])
    assert invalid["status"] == "failure"
    assert "Invalid input" in invalid["results"][0]["result"]["outputs"][0]["stdout"]

    tcp = _run(admin, "TCP", "reachability", {"kind": "tcp", "count": 2}, names[:1])
    assert tcp["status"] == "success"
    assert tcp["results"][0]["result"]["received"] == 2
    closed = _run(
        admin, "Closed", "reachability", {"kind": "tcp", "port": 1, "count": 1}, names[:1]
    )
    assert closed["status"] == "failure" and closed["results"][0]["result"]["received"] == 0

    dry = _run(
        admin,
        "NAPALM preview",
        "napalm_config",
        {"config": "ntp server 10.9.9.9", "action": "dry_run"},
        names[:1],
    )
    assert dry["status"] == "success", dry["results"]
    assert "+ntp server 10.9.9.9" in dry["results"][0]["result"]["diff"]
    assert dry["results"][0]["result"]["committed"] is False
    assert "ntp server 10.9.9.9" not in ios_lab.device(names[0]).running_config()


def test_common_options(admin: TestClient, ios_lab: LabThread, echo: str) -> None:
    names = add_inventory(admin, ios_lab)[:2]
    looped = _run(
        admin,
        "Loop",
        "netmiko_commands",
        {"commands": ["show running-config | include {{ vars.word }}"]},
        names[:1],
        iteration={"values": ["hostname", "ntp server"], "variable": "word"},
    )
    assert looped["status"] == "success"
    iterations = looped["results"][0]["result"]["iterations"]
    assert [i["value"] for i in iterations] == ["hostname", "ntp server"]
    assert "ntp server 10.0.0.1" in iterations[1]["result"]["text"]

    retried = _run(
        admin,
        "Retry",
        "netmiko_commands",
        {"commands": ["show clock"]},
        names[:1],
        retries=2,
        retry_delay=0.1,
        validation=[{"kind": "text", "match": "1999", "negate": False}],
    )
    assert retried["status"] == "failure"
    result = retried["results"][0]
    assert result["attempts"] == 3 and result["logs"].count("retrying") == 2
    assert result["result"]["validation"][0]["passed"] is False

    negated = _run(
        admin,
        "Negated",
        "netmiko_commands",
        {"commands": ["show clock"]},
        names,
        validation=[{"kind": "regex", "match": "^1999", "negate": True}],
        notification={"webhook": f"{echo}/hook", "when": "always"},
        max_parallel=1,
    )
    assert negated["status"] == "success"
    deadline = time.monotonic() + 10
    while not any(s["path"] == "/hook" for s in Echo.seen) and time.monotonic() < deadline:
        time.sleep(0.05)
    hook = next(s for s in Echo.seen if s["path"] == "/hook")
    assert hook["body"]["status"] == "success" and hook["body"]["counts"] == {"success": 2}


def test_rest_call_once_with_credential_auth(
    admin: TestClient, ios_lab: LabThread, echo: str
) -> None:
    names = add_inventory(admin, ios_lab)[:3]
    run = _run(
        admin,
        "Notify CMDB",
        "rest_call",
        {
            "method": "POST",
            "url": echo + "/change/{{ vars.site }}",
            "payload": {"devices": "{{ devices | map(attribute='name') | join(',') }}"},
            "auth": "basic",
            "credential": "lab",
        },
        names,
    )
    assert run["status"] == "success", run["results"]
    assert run["mode"] == "per_run" and len(run["results"]) == 1  # once for all targets
    call = Echo.seen[-1]
    assert call["path"] == "/change/lab"
    assert call["body"] == {"devices": ",".join(names)}
    assert base64.b64decode(call["auth"].split()[1]).decode() == "netweave:netweave"
    assert "netweave:netweave" not in json.dumps(run["results"])  # the secret stays out
    missing = _run(admin, "Missing", "rest_call", {"url": echo + "/missing"}, names[:1])
    assert missing["status"] == "failure"
    assert missing["results"][0]["result"]["status_code"] == 404


def test_ansible_playbook_on_a_generated_inventory(admin: TestClient, ios_lab: LabThread) -> None:
    names = add_inventory(admin, ios_lab)[:2]
    playbook = """
- hosts: all
  gather_facts: false
  connection: local
  tasks:
    - name: where
      debug:
        msg: "{{ inventory_hostname }} at {{ ansible_host }}:{{ ansible_port }} in {{ site }}"
"""
    run = _run(
        admin, "Ansible", "ansible_playbook", {"content": playbook, "credential": "lab"}, names
    )
    assert run["status"] == "success", run["results"][0]["result"]["text"]
    result = run["results"][0]["result"]
    assert set(result["hosts"]) == set(names)
    message = result["hosts"][names[0]]["tasks"][0]["result"]["msg"]
    device = ios_lab.device(names[0])
    assert message == f"{names[0]} at {device.host}:{device.port} in lab"
    assert "netweave" not in json.dumps(result["stats"])
    bad = admin.post(
        "/api/v1/services",
        json={"name": "Bad", "type": "ansible_playbook", "inputs": {"content": "a: b"}},
    )
    assert bad.status_code == 422 and "list of plays" in bad.json()["detail"]


def test_named_credential_and_roles(admin: TestClient, client_as: Any, ios_lab: LabThread) -> None:
    from netweave.db.models import Role

    names = add_inventory(admin, ios_lab)[:2]
    wrong = {
        "name": "wrong",
        "username": "netweave",
        "password": "not-this-one",
        "scope": {"networks": ["127.0.0.0/8"]},
    }
    assert admin.post("/api/v1/credentials", json=wrong).status_code == 201
    refused = _run(
        admin,
        "As wrong",
        "netmiko_commands",
        {"commands": ["show clock"]},
        names[:1],
        credential="wrong",
    )
    assert refused["status"] == "failure"
    assert refused["results"][0]["result"]["error"].startswith("authentication")
    missing = admin.post(
        "/api/v1/services",
        json={"name": "Ghost cred", "type": "reachability", "options": {"credential": "ghost"}},
    )
    assert missing.status_code == 201  # checked when it runs:
    ghost = admin.post("/api/v1/run/Ghost cred", json={"targets": {"devices": names[:1]}})
    assert ghost.status_code == 404 and ghost.json()["detail"].startswith("options.credential")

    body = {"name": "Hung", "type": "netmiko_commands", "inputs": {"commands": ["show clock"]}}
    assert admin.post("/api/v1/services", json=body).status_code == 201
    viewer = client_as(Role.viewer)
    assert viewer.post("/api/v1/run/Hung", json={}).status_code == 403
    assert (
        viewer.post("/api/v1/services", json={"name": "v", "type": "reachability"}).status_code
        == 403
    )
    assert viewer.get(f"/api/v1/runs/{refused['id']}/results").status_code == 200

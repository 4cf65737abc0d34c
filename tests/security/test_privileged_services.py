"""Privileged service types (issue 13, item 2): ``ansible_playbook``, ``rest_call`` and every
custom Python type run code or reach any host from a NetWeave host. Only admins author them;
operators run what admins saved, as saved. Real ansible-runner runs (``connection: local``
plays on localhost, in the admin's services) and a real HTTP server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from netweave.core.access import users
from netweave.core.access.schemas import UserCreate
from netweave.core.automation.schemas import RunRequest, TargetSpec
from netweave.core.runtime import Runtime
from netweave.db.models import Automation, Role, Task
from netweave.foundation.errors import PermissionDenied
from tests.fixtures.api import ClientFactory
from tests.fixtures.database import ONE_BACKEND

pytestmark = ONE_BACKEND  # the subject does not depend on the SQL backend

YAML = {"Content-Type": "application/yaml"}
PRIVILEGED = "is privileged: only admins may"


def _touch_play(marker: Path) -> str:
    return f"""
- hosts: localhost
  gather_facts: false
  connection: local
  tasks:
    - name: write a file on the NetWeave host
      command: touch {marker}
"""


HARMLESS = """
- hosts: localhost
  gather_facts: false
  connection: local
  tasks:
    - name: say
      debug:
        msg: "note={{ note | default('none') }}"
"""


class Receiver(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []

    def _answer(self) -> None:
        Receiver.seen.append({"path": self.path, "auth": self.headers.get("Authorization")})
        payload = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.seen = []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _import(client: TestClient, *items: dict[str, Any], replace: bool = False) -> Any:
    text = yaml.safe_dump({"netweave": 1, "automations": [dict(i, kind="service") for i in items]})
    suffix = "?replace=true" if replace else ""
    return client.post(f"/api/v1/automations/import{suffix}", content=text, headers=YAML)


def _run(client: TestClient, name: str, **body: Any) -> Any:
    return client.post(f"/api/v1/run/{name}", json={"wait": 120, **body})


def _results(client: TestClient, run: dict[str, Any]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = client.get(f"/api/v1/runs/{run['id']}/results").json()
    return results


def test_operator_connection_local_playbook_cannot_run_code_on_the_server(
    runtime: Runtime, admin: TestClient, operator: TestClient, tmp_path: Path
) -> None:
    marker = tmp_path / "operator-was-here"
    attack = {
        "name": "Local",
        "type": "ansible_playbook",
        "inputs": {"content": _touch_play(marker)},
    }

    created = operator.post("/api/v1/services", json=attack)
    assert created.status_code == 403, created.text
    assert created.json()["detail"] == (
        "type: service type 'ansible_playbook' is privileged: only admins may create or change it"
    )
    imported = _import(operator, attack)
    assert imported.status_code == 403 and PRIVILEGED in imported.json()["detail"]
    assert _run(operator, "Local").status_code == 404  # nothing was saved

    # the admin's harmless playbook: the operator cannot swap its content when running it
    assert admin.post(
        "/api/v1/services",
        json={"name": "Harmless", "type": "ansible_playbook", "inputs": {"content": HARMLESS}},
    ).is_success
    swapped = _run(operator, "Harmless", inputs={"content": _touch_play(marker)})
    assert swapped.status_code == 403
    assert "inputs: service type 'ansible_playbook' is privileged" in swapped.json()["detail"]
    replaced = _import(operator, {**attack, "name": "Harmless"}, replace=True)
    assert replaced.status_code == 403
    # nor through a task of their own that carries inputs (it fires with their role)
    with runtime.transaction() as session:
        users.create_user(
            session,
            UserCreate(username="adhoc-op", password="a-long-enough-password", role=Role.operator),
        )
    request = RunRequest(inputs={"content": _touch_play(marker)}, wait=120)
    with pytest.raises(PermissionDenied, match="only admins may run it with other inputs"):
        runtime.runs.launch("Harmless", request, "task:mine", acting_user="adhoc-op")
    # nor an ad-hoc run of the type (the device page's backup/push path)
    with pytest.raises(PermissionDenied, match="only admins may run it ad hoc"):
        runtime.runs.launch_type(
            "ansible_playbook",
            {"content": _touch_play(marker)},
            TargetSpec(),
            "adhoc-op",
            acting_user="adhoc-op",
        )
    assert not marker.exists()

    # running the saved service as the admin wrote it stays open to operators
    run = _run(operator, "Harmless").json()
    assert run["status"] == "success", _results(operator, run)
    assert not marker.exists()


def test_playbook_path_outside_the_playbooks_folder_is_refused(
    runtime: Runtime, admin: TestClient, tmp_path: Path
) -> None:
    folder = runtime.settings.effective_playbooks_dir
    folder.mkdir(parents=True, exist_ok=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    marker = tmp_path / "planted-ran"
    (outside / "planted.yml").write_text(_touch_play(marker))
    (folder / "escape.yml").symlink_to(outside / "planted.yml")
    (folder / "linked").symlink_to(outside, target_is_directory=True)

    for path in (
        str(outside / "planted.yml"),
        "/etc/passwd",
        "../elsewhere/planted.yml",
        "sub/../../elsewhere/planted.yml",
        "escape.yml",
        "linked/planted.yml",
    ):
        body = {"name": "Escape", "type": "ansible_playbook", "inputs": {"playbook": path}}
        refused = admin.post("/api/v1/services", json=body)
        assert refused.status_code == 422, (path, refused.text)
        assert refused.json()["detail"].startswith("inputs.playbook:"), refused.text

    # a playbook inside the folder runs
    inside_marker = tmp_path / "inside-ran"
    (folder / "site").mkdir()
    (folder / "site" / "ok.yml").write_text(_touch_play(inside_marker))
    body = {"name": "Inside", "type": "ansible_playbook", "inputs": {"playbook": "site/ok.yml"}}
    assert admin.post("/api/v1/services", json=body).status_code == 201
    run = _run(admin, "Inside").json()
    assert run["status"] == "success", _results(admin, run)
    assert inside_marker.exists()

    # swapped for a symlink out of the folder after it was saved: refused where it runs
    (folder / "site" / "ok.yml").unlink()
    (folder / "site" / "ok.yml").symlink_to(outside / "planted.yml")
    run = _run(admin, "Inside").json()
    assert run["status"] == "failure"
    assert "inputs.playbook" in _results(admin, run)[0]["result"]["error"]
    # and a row written before the rule (an absolute path) is refused too
    with runtime.transaction() as session:
        row = session.scalar(select(Automation).where(Automation.name == "Inside"))
        assert row is not None
        row.inputs = {"playbook": str(outside / "planted.yml")}
    run = _run(admin, "Inside").json()
    assert run["status"] == "failure"
    assert "inputs.playbook" in _results(admin, run)[0]["result"]["error"]
    assert not marker.exists()


def test_run_variables_cannot_make_ansible_run_code(
    admin: TestClient, operator: TestClient, tmp_path: Path
) -> None:
    marker = tmp_path / "lookup-ran"
    body = {"name": "Say", "type": "ansible_playbook", "inputs": {"content": HARMLESS}}
    assert admin.post("/api/v1/services", json=body).status_code == 201
    payload = "{{ lookup('pipe', 'touch " + str(marker) + "') }}"

    run = _run(operator, "Say", variables={"note": payload}).json()

    assert run["status"] == "success", _results(operator, run)
    result = _results(operator, run)[0]["result"]
    message = result["hosts"]["localhost"]["tasks"][0]["result"]["msg"]
    assert message == f"note={payload}"  # the text itself, not evaluated
    assert not marker.exists()


def test_device_fields_an_operator_sets_cannot_make_ansible_run_code(
    admin: TestClient, operator: TestClient, tmp_path: Path
) -> None:
    marker = tmp_path / "site-ran"
    payload = "{{ lookup('pipe', 'touch " + str(marker) + "') }}"
    device = {"name": "trap", "host": "127.0.0.1", "platform": "cisco_ios", "site": payload}
    created = operator.post("/api/v1/devices", json=device)
    assert created.status_code == 201, created.text
    play = HARMLESS.replace("localhost", "all").replace("note | default('none')", "site")
    body = {"name": "Sites", "type": "ansible_playbook", "inputs": {"content": play}}
    assert admin.post("/api/v1/services", json=body).status_code == 201

    run = _run(operator, "Sites", targets={"devices": ["trap"]}).json()

    assert run["status"] == "success", _results(operator, run)
    result = _results(operator, run)[0]["result"]
    assert result["hosts"]["trap"]["tasks"][0]["result"]["msg"] == f"note={payload}"
    assert not marker.exists()


def test_admin_extra_vars_still_template(admin: TestClient) -> None:
    inputs = {"content": HARMLESS, "extra_vars": {"note": "{{ 6 * 7 }}"}}
    assert admin.post(
        "/api/v1/services", json={"name": "Vars", "type": "ansible_playbook", "inputs": inputs}
    ).is_success
    run = _run(admin, "Vars").json()
    assert run["status"] == "success", _results(admin, run)
    result = _results(admin, run)[0]["result"]
    assert result["hosts"]["localhost"]["tasks"][0]["result"]["msg"] == "note=42"


def test_rest_call_url_host_cannot_come_from_run_variables(
    runtime: Runtime, admin: TestClient, operator: TestClient, receiver: str
) -> None:
    for url in ("{{ vars.base }}/api", "http://{{ vars.host }}/api", f"{receiver}{{{{ vars.x }}}}"):
        body = {"name": "Redirect", "type": "rest_call", "inputs": {"url": url}}
        refused = admin.post("/api/v1/services", json=body)
        assert refused.status_code == 422, (url, refused.text)
        assert refused.json()["detail"].startswith("inputs.url:"), refused.text

    # templates in the path still work, and the request stays on the saved host
    body = {"name": "Notify", "type": "rest_call", "inputs": {"url": receiver + "/x/{{ vars.p }}"}}
    assert admin.post("/api/v1/services", json=body).status_code == 201
    run = _run(operator, "Notify", variables={"p": "@evil.example:81/y"}).json()
    assert run["status"] == "success", _results(operator, run)
    assert [s["path"] for s in Receiver.seen] == ["/x/@evil.example:81/y"]

    # a row saved before the rule with a templated host is refused where it runs
    with runtime.transaction() as session:
        row = session.scalar(select(Automation).where(Automation.name == "Notify"))
        assert row is not None
        row.inputs = {"url": "{{ vars.base }}/{{ vars.p }}"}
    Receiver.seen = []
    run = _run(operator, "Notify", variables={"base": receiver, "p": "stolen"}).json()
    assert run["status"] == "failure"
    assert _results(operator, run)[0]["result"]["error"].startswith("inputs.url:")
    assert Receiver.seen == []


@pytest.mark.parametrize(
    ("type_", "inputs", "changed"),
    [
        ("ansible_playbook", {"content": HARMLESS}, {"content": HARMLESS + "\n"}),
        ("rest_call", {"url": "RECEIVER/a"}, {"url": "RECEIVER/b"}),
    ],
)
def test_privileged_types_rbac_matrix(
    client_as: ClientFactory,
    receiver: str,
    type_: str,
    inputs: dict[str, Any],
    changed: dict[str, Any],
) -> None:
    admin, operator, viewer = (client_as(r) for r in (Role.admin, Role.operator, Role.viewer))
    inputs = {k: v.replace("RECEIVER", receiver) for k, v in inputs.items()}
    changed = {k: v.replace("RECEIVER", receiver) for k, v in changed.items()}
    body = {"name": "Priv", "type": type_, "inputs": inputs}

    types = {t["name"]: t for t in viewer.get("/api/v1/service-types").json()}
    assert types[type_]["privileged"] is True
    assert types["netmiko_commands"]["privileged"] is False

    for client, status in ((viewer, 403), (operator, 403)):
        assert client.post("/api/v1/services", json=body).status_code == status
        assert _import(client, body).status_code == status
    created = admin.post("/api/v1/services", json=body)
    assert created.status_code == 201, created.text
    ident = created.json()["id"]
    for client in (viewer, operator):
        assert (
            client.patch(f"/api/v1/services/{ident}", json={"inputs": changed}).status_code == 403
        )
        assert (
            client.patch(f"/api/v1/services/{ident}", json={"description": "x"}).status_code == 403
        )
        assert _import(client, {**body, "inputs": changed}, replace=True).status_code == 403
        assert client.delete(f"/api/v1/services/{ident}").status_code == 403
        assert _run(client, "Priv", inputs=changed).status_code == 403
    assert viewer.post("/api/v1/run/Priv", json={}).status_code == 403
    assert admin.patch(f"/api/v1/services/{ident}", json={"inputs": changed}).status_code == 200
    assert _import(admin, body, replace=True).status_code == 200

    run = _run(operator, "Priv")
    assert run.status_code == 201 and run.json()["status"] == "success", run.text
    admin_run = _run(admin, "Priv", inputs=changed)
    assert admin_run.status_code == 201 and admin_run.json()["status"] == "success"
    assert admin.delete(f"/api/v1/services/{ident}").status_code == 204

    # a non-privileged type stays open to operators
    plain = {"name": "Show", "type": "netmiko_commands", "inputs": {"commands": ["show clock"]}}
    made = operator.post("/api/v1/services", json=plain)
    assert made.status_code == 201
    assert operator.delete(f"/api/v1/services/{made.json()['id']}").status_code == 204


CUSTOM = """
from netweave.services import Service, ServiceInputs, ServiceOutcome


class EchoInputs(ServiceInputs):
    text: str = "hi"


class Echo(Service[EchoInputs]):
    title = "Echo"
    Inputs = EchoInputs
    per_device = False
    privileged = False  # a custom type is privileged whatever it says

    def run(self, ctx, inputs):
        return ServiceOutcome(True, {"text": inputs.text})
"""


def test_custom_python_service_is_admin_only_to_author(
    runtime: Runtime, admin: TestClient, operator: TestClient
) -> None:
    folder = runtime.settings.effective_services_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "echo.py").write_text(CUSTOM)
    types = {t["name"]: t for t in admin.post("/api/v1/service-types/discover").json()}
    assert types["echo"]["privileged"] is True
    assert admin.patch("/api/v1/service-types/echo", json={"enabled": True}).status_code == 200

    body = {"name": "Echo it", "type": "echo", "inputs": {"text": "hello"}}
    refused = operator.post("/api/v1/services", json=body)
    assert refused.status_code == 403 and PRIVILEGED in refused.json()["detail"]
    assert admin.post("/api/v1/services", json=body).status_code == 201
    assert _run(operator, "Echo it", inputs={"text": "other"}).status_code == 403
    run = _run(operator, "Echo it").json()
    assert run["status"] == "success"
    assert _results(operator, run)[0]["result"] == {"text": "hello"}


def test_operator_cannot_borrow_an_admins_rights_by_editing_the_admins_task(
    runtime: Runtime, admin: TestClient, operator: TestClient, receiver: str
) -> None:
    """The admin's task may give a privileged service other inputs; an operator may not
    save such inputs (task or trigger), nor edit the admin's task (its editor would own
    it), nor run it now; a task owned by an operator that still carries such inputs (saved
    before this rule) is refused when it fires."""
    notify = {"name": "Notify", "type": "rest_call", "inputs": {"url": receiver + "/saved"}}
    assert admin.post("/api/v1/services", json=notify).status_code == 201
    start = datetime.now(UTC) + timedelta(hours=1)
    task = {
        "name": "nightly",
        "automation": "Notify",
        "inputs": {"url": receiver + "/admin"},
        "kind": "once",
        "start_at": start.isoformat(),
    }
    made = admin.post("/api/v1/tasks", json=task)
    assert made.status_code == 201, made.text
    task_id = made.json()["id"]
    assert admin.post(f"/api/v1/tasks/{task_id}/run").status_code == 201  # the admin's own

    for change in ({"inputs": {"url": receiver + "/operator"}}, {"description": "mine now"}):
        edited = operator.patch(f"/api/v1/tasks/{task_id}", json=change)
        assert edited.status_code == 403 and "privileged" in edited.json()["detail"], edited.text
    kept = admin.get(f"/api/v1/tasks/{task_id}").json()
    assert kept["created_by"] == made.json()["created_by"] and kept["description"] == ""
    refused = operator.post(f"/api/v1/tasks/{task_id}/run")
    assert refused.status_code == 403 and "privileged" in refused.json()["detail"], refused.text
    own = {**task, "name": "mine", "inputs": {"url": receiver + "/operator"}}
    assert operator.post("/api/v1/tasks", json=own).status_code == 403
    hook = {"name": "hook", "automation": "Notify", "inputs": {"url": "payload.url"}}
    assert operator.post("/api/v1/triggers", json=hook).status_code == 403

    me = operator.get("/api/v1/auth/me").json()["user"]["username"]
    with runtime.transaction() as session:  # a row from before the rule: owned by operator
        row = session.get(Task, task_id)
        assert row is not None
        row.created_by, row.inputs = me, {"url": receiver + "/operator"}
    report = runtime.firer.tick(start + timedelta(seconds=1))  # the schedule fires it
    assert report.fired + report.errors >= 1
    firings = admin.get(f"/api/v1/tasks/{task_id}/firings").json()
    scheduled = [f for f in firings if f["status"] != "manual"]
    assert scheduled and scheduled[0]["status"] == "error", firings
    assert "privileged" in scheduled[0]["error"], firings
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not Receiver.seen:
        time.sleep(0.1)  # the admin's own run-now reaches the receiver
    time.sleep(0.5)
    assert [s["path"] for s in Receiver.seen] == ["/admin"]  # never "/operator"

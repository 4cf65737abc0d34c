"""Issue 15 (items 6, 8 and 9), the API side: a run says where it was started from (``ui``
for a signed-in browser, ``api`` for an API key), names its steps in walk order, the import
report counts bad rows (not problems), and device jobs sent directly — by the CLI too — are
on the dashboard, each under where it came from."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from netweave.cli.run_local import CLI_PRINCIPAL
from netweave.core.jobs.schemas import BulkRequest
from netweave.core.runtime import Runtime
from netweave.db.models import Job
from tests.fixtures.database import TEST_ADMIN_PASSWORD


def _inventory(client: TestClient) -> None:
    device = client.post(
        "/api/v1/devices", json={"name": "d1", "host": "127.0.0.1", "port": 9, "platform": "linux"}
    )
    assert device.status_code == 201, device.text
    service = client.post(
        "/api/v1/services",
        json={"name": "Ping", "type": "reachability", "inputs": {"kind": "tcp", "port": 9}},
    )
    assert service.status_code == 201, service.text


def test_trigger_is_ui_from_a_browser_session_and_api_from_a_key(
    admin: TestClient, anon_client: TestClient
) -> None:
    _inventory(admin)
    body = {"targets": {"devices": ["d1"]}}
    by_key = admin.post("/api/v1/run/Ping", json=body)
    assert by_key.status_code == 201, by_key.text
    assert by_key.json()["trigger"] == "api"

    login = anon_client.post(
        "/api/v1/auth/login", json={"username": "admin", "password": TEST_ADMIN_PASSWORD}
    )
    assert login.status_code == 200, login.text
    csrf = anon_client.cookies["netweave_csrf"]
    by_browser = anon_client.post("/api/v1/run/Ping", json=body, headers={"X-CSRF-Token": csrf})
    assert by_browser.status_code == 201, by_browser.text
    assert by_browser.json()["trigger"] == "ui"
    listed = admin.get("/api/v1/runs", params={"name": "Ping"}).json()["items"]
    assert sorted(run["trigger"] for run in listed) == ["api", "ui"]


def test_a_run_names_its_steps_in_walk_order(admin: TestClient) -> None:
    _inventory(admin)
    graph = {
        "nodes": [  # stored out of order: the run lists them as it walks them
            {"id": "c", "ref": "Ping", "label": "Last check"},
            {"id": "fix", "ref": "Ping"},
            {"id": "a", "ref": "Ping", "label": "First check"},
            {"id": "b", "ref": "Ping"},
        ],
        "edges": [
            {"source": "start", "target": "a"},
            {"source": "a", "target": "fix", "kind": "failure"},
            {"source": "a", "target": "b"},
            {"source": "b", "target": "c"},
            {"source": "c", "target": "end"},
            {"source": "fix", "target": "end"},
        ],
    }
    created = admin.post("/api/v1/workflows", json={"name": "Checks", "graph": graph})
    assert created.status_code == 201, created.text
    run = admin.post("/api/v1/run/Checks", json={"targets": {"devices": ["d1"]}})
    assert run.status_code == 201, run.text
    steps = admin.get(f"/api/v1/runs/{run.json()['id']}").json()["steps"]
    assert steps == [
        {"id": "a", "name": "First check"},
        {"id": "b", "name": "Ping"},
        {"id": "fix", "name": "Ping"},
        {"id": "c", "name": "Last check"},
    ]


def test_import_report_counts_bad_rows_not_problems(operator: TestClient) -> None:
    csv = (
        b"name,host,platform,credential\n"
        b"ok,10.0.0.1,cisco_ios,\n"
        b"r2,bad host,cisco_ios,missing-cred\n"  # two problems on one row
        b"r3,another bad host,cisco_ios,\n"
    )
    response = operator.post("/api/v1/inventory/import", files={"file": ("d.csv", csv, "text/csv")})
    assert response.status_code == 422, response.text
    body = response.json()
    assert len(body["errors"]) == 3
    assert "2 bad rows (3 problems)" in body["detail"], body["detail"]
    assert "nothing was imported" in body["detail"]


def test_cli_and_api_jobs_are_on_the_dashboard_run_steps_are_not_counted_twice(
    runtime: Runtime, admin: TestClient
) -> None:
    _inventory(admin)
    request = BulkRequest.model_validate(
        {"connection_args": {}, "devices": [{"host": "d1"}], "command": ["uptime"]}
    )
    cli_jobs, failed = runtime.jobs.submit_bulk(request, CLI_PRINCIPAL)  # what `netweave run` does
    assert len(cli_jobs) == 1 and not failed
    sent = admin.post(
        "/device/bulk",
        json={"connection_args": {}, "devices": [{"host": "d1"}], "command": ["uptime"]},
    )
    assert sent.status_code == 201, sent.text
    with runtime.transaction() as session:  # a step of a run: the run is the activity
        session.add(
            Job(
                id=str(uuid.uuid4()),
                status="finished",
                driver="netmiko",
                operation="command",
                device_host="127.0.0.1",
                device_port=9,
                run_id=str(uuid.uuid4()),
                request={},
                created_at=datetime.now(UTC),
            )
        )
    data = admin.get("/api/v1/dashboard").json()
    assert data["jobs_by_source"] == {"api": 1, "cli": 1, "run": 1}
    today = data["jobs_per_day"][-1]
    assert today["day"] == datetime.now(UTC).date().isoformat()
    assert today["success"] + today["failure"] + today["other"] == 2
    assert len(data["jobs_per_day"]) == len(data["runs_per_day"]) == 14
    assert data["terminal_sessions"] == 0


def test_topology_counts_devices_without_links_and_shows_them_on_request(
    viewer: TestClient, admin: TestClient
) -> None:
    for name in ("a", "b", "alone"):
        made = admin.post(
            "/api/v1/devices",
            json={"name": name, "host": f"10.0.0.{len(name)}", "platform": "linux"},
        )
        assert made.status_code == 201, made.text
    assert admin.post("/api/v1/links", json={"source": "a", "destination": "b"}).status_code == 201
    linked = viewer.get("/api/v1/network/topology").json()
    assert [n["name"] for n in linked["nodes"]] == ["a", "b"]
    assert linked["unlinked"] == 1
    every = viewer.get("/api/v1/network/topology", params={"unlinked": "true"}).json()
    assert [n["name"] for n in every["nodes"]] == ["a", "alone", "b"]
    assert every["unlinked"] == 0 and len(every["edges"]) == 1
    assert viewer.get("/api/v1/network/topology", params={"unlinked": "x"}).status_code == 422

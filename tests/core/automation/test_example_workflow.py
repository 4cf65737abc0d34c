"""The example of issue 17 on 20 lab devices cabled in a ring: discover the neighbors
(LLDP), count them in a Python snippet (skipped on one device), check every discovered
neighbor (iteration devices), and once every device has come through both branches
(prerequisite edges), post one Slack message built from the run's results."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient

from netweave.lab import LabThread, build_specs, ring_links
from tests.core.automation.conftest import add_inventory
from tests.fixtures.database import ONE_BACKEND
from tests.services.test_notification import Receiver

pytestmark = ONE_BACKEND


@pytest.fixture(scope="module")
def ring_lab() -> Iterator[LabThread]:
    specs = build_specs(20, platforms=("cisco_ios",), prefix="rg")
    with LabThread(specs, links=ring_links(specs)) as running:
        yield running


@pytest.fixture(scope="module")
def slack() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/services/T1/B2/example"
    server.shutdown()


def _create(client: TestClient, path: str, body: dict[str, object]) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 201, response.text


def test_discover_count_check_neighbors_and_notify_on_twenty_devices(
    admin: TestClient, ring_lab: LabThread, slack: str
) -> None:
    names = add_inventory(admin, ring_lab)
    assert len(names) == 20
    last = names[-1]
    services = [
        ("Discover", "topology_discovery", {"protocols": "lldp"}),
        (
            "Count",
            "python_snippet",
            {
                "source": "found = results['discover']['neighbors']\n"
                "exports['neighbor_count'] = len(found)\n"
                "result['count'] = len(found)\n"
                "print(device['name'], 'has', len(found), 'neighbors')\n"
                "success = len(found) == 2\n"
            },
        ),
        ("Version", "netmiko_commands", {"commands": ["show version"]}),
        (
            "Tell Slack",
            "notification",
            {
                "channel": "slack",
                "webhook_url": slack,
                "body": "{% for r in results if r.step == 'count' %}"
                "{{ r.device }}:{{ r.result.count | default('skipped') }};{% endfor %}",
            },
        ),
    ]
    for name, kind, inputs in services:
        _create(admin, "/api/v1/services", {"name": name, "type": kind, "inputs": inputs})
    graph = {
        "nodes": [
            {"id": "discover", "ref": "Discover"},
            {"id": "count", "ref": "Count", "skip_if": f"device.name == '{last}'"},
            {
                "id": "neighbors",
                "ref": "Version",
                "iteration_devices": "results.discover.neighbors"
                " | map(attribute='device') | select | list",
            },
            {"id": "notify", "ref": "Tell Slack"},
        ],
        "edges": [
            {"source": "start", "target": "discover"},
            {"source": "discover", "target": "count"},
            {"source": "discover", "target": "neighbors", "kind": "prerequisite"},
            {"source": "count", "target": "notify", "kind": "prerequisite"},
            {"source": "neighbors", "target": "notify", "kind": "prerequisite"},
            {"source": "notify", "target": "end"},
        ],
    }
    _create(admin, "/api/v1/workflows", {"name": "Neighbor audit", "graph": graph})
    Receiver.posts.clear()
    run = admin.post(
        "/api/v1/run/Neighbor audit", json={"targets": {"devices": names}, "wait": 240}
    ).json()
    assert run["status"] == "success", run["summary"].get("counts")
    results = admin.get(f"/api/v1/runs/{run['id']}/results").json()

    discovered = [r for r in results if r["step"] == "discover"]
    assert len(discovered) == 20 and all(r["success"] for r in discovered)
    links = admin.get("/api/v1/links", params={"limit": 100}).json()
    assert links["total"] == 20  # a ring of 20: each cable found from both ends, kept once

    counts = {r["device"]: r for r in results if r["step"] == "count"}
    assert counts[last]["result"]["state"] == "skipped"
    assert all(counts[n]["result"]["count"] == 2 for n in names[:-1])
    assert f"{names[0]} has 2 neighbors" in counts[names[0]]["logs"]

    # every device's two neighbors were checked: each device is someone's neighbor twice
    checked = [r["device"] for r in results if r["step"] == "neighbors" and r["attempts"]]
    assert sorted(checked) == sorted(names * 2)

    # the notification ran once, for all 20 devices, after both branches of every device
    notified = [r for r in results if r["step"] == "notify"]
    assert len(notified) == 1 and notified[0]["success"], notified
    assert len(Receiver.posts) == 1
    text = Receiver.posts[0]["body"]["text"]
    assert f"{names[0]}:2;" in text and f"{last}:skipped;" in text
    last_branch = max(r["ended_at"] for r in results if r["step"] in ("count", "neighbors"))
    assert notified[0]["started_at"] >= last_branch

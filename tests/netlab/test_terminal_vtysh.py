"""The web terminal into a real vtysh: the WebSocket terminal API opens an SSH shell on an
FRR router of the lab (its login lands in vtysh), a command shows the real OSPF adjacencies,
a mistyped one gets FRR's own error, and ``exit`` ends the session."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from netweave.netlab import RealLab
from tests.api.test_terminal import open_term, ws_url
from tests.fixtures.api import LiveApi
from tests.fixtures.database import ONE_BACKEND
from tests.fixtures.netlab import add_frr_inventory

pytestmark = ONE_BACKEND
NETLAB_TOPOLOGY = "ring:2:nospoke"  # r1 - r2: one adjacency is enough


def test_terminal_runs_vtysh_on_a_real_router(
    admin: TestClient, live_api: LiveApi, frr_lab: RealLab
) -> None:
    add_frr_inventory(admin, frr_lab)  # the same database the live server serves
    listed = admin.get("/api/v1/devices", params={"name": "r1"}).json()["items"]
    r1 = next(d for d in listed if d["name"] == "r1")
    url = ws_url(live_api, r1["id"], "?cols=160&rows=40")
    with open_term(url, additional_headers={"X-API-KEY": live_api.key}) as term:
        assert term.wait_event("connected")["device"] == "r1"
        term.read_until("r1# ")  # vtysh's prompt, the router's own hostname
        term.type("show ip ospf neighbor\r")
        screen = term.read_until("eth1")
        row = next(line for line in screen.splitlines() if line.startswith("198.18.255.2 "))
        assert "Full/" in row  # r2 (its router ID): the adjacency is up
        term.type("show nonsense\r")
        term.read_until("% Unknown command: show nonsense")  # FRR's own error, as typed
        term.type("exit\r")
        code, reason = term.closed()
    assert (code, reason) == (1000, "r1 closed the session")
    with httpx.Client(base_url=live_api.url, headers={"X-API-KEY": live_api.key}) as client:
        sessions = client.get("/api/v1/terminal-sessions").json()["items"]
        transcript = client.get(f"/api/v1/terminal-sessions/{sessions[0]['id']}").json()
    assert transcript["transcript"].splitlines() == [
        "show ip ospf neighbor",
        "show nonsense",
        "exit",
    ]

"""A configuration change on every router of a real FRR network, as a NetWeave workflow:
backup -> push an OSPF cost change -> check, on the parsed ``show ip ospf neighbor``, that every
adjacency is still Full -> on a failure, roll back to the backup. One router's inventory data
is wrong (a cost FRR refuses): FRR's own error fails its push, and the rollback takes away
the lines it had already taken."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from netweave.netlab import RealLab
from tests.fixtures.database import ONE_BACKEND
from tests.fixtures.netlab import add_frr_inventory

pytestmark = ONE_BACKEND
NETLAB_TOPOLOGY = "ring:3"

NEIGHBORS_TTP = """<group name="neighbors">
{{ neighbor_id | IP }} {{ priority | DIGIT }} {{ state }} {{ uptime }} {{ dead_time }} {{ address | IP }} {{ interface }} {{ rxmtl | DIGIT }} {{ rqstl | DIGIT }} {{ dbsml | DIGIT }}
</group>"""


def _create(client: TestClient, path: str, body: dict[str, object]) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 201, response.text


def _ospf_interface(lab: RealLab, router: str, interface: str) -> dict[str, object]:
    answer = lab.router(router).vtysh(f"show ip ospf interface {interface} json").stdout
    found: dict[str, object] = json.loads(answer)["interfaces"][interface]
    return found


def change_workflow(admin: TestClient, frr_lab: RealLab) -> list[str]:
    names = add_frr_inventory(admin, frr_lab)
    listed = admin.get("/api/v1/devices", params={"limit": 100}).json()["items"]
    for device in listed:  # s1's record carries a typo: a cost FRR does not accept
        cost = 70000 if device["name"] == "s1" else 20
        response = admin.patch(
            f"/api/v1/devices/{device['id']}", json={"custom_fields": {"ospf_cost": cost}}
        )
        assert response.status_code == 200, response.text
    services = [
        ("FRR backup", "config_backup", {}),
        (
            "FRR cost change",
            "netmiko_config",
            {
                "config": "interface eth1\n description {{ vars.change }}\n"
                " ip ospf cost {{ device.custom_fields.ospf_cost }}",
                "save": True,
            },
        ),
        (
            "FRR OSPF neighbors",
            "netmiko_commands",
            {
                "commands": ["show ip ospf neighbor"],
                "parsing": "ttp",
                "ttp_template": NEIGHBORS_TTP,
            },
        ),
        (
            "FRR all Full",
            "data_validation",
            {
                "step": "neighbors",
                "checks": [
                    {"kind": "regex", "path": "outputs.0.parsed", "match": '"state": "Full/'},
                    {
                        "kind": "regex",
                        "path": "outputs.0.parsed",
                        "match": '"state": "(?!Full/)',
                        "negate": True,
                    },
                ],
            },
        ),
        ("FRR rollback", "config_restore", {"from_step": "backup"}),
    ]
    for name, kind, inputs in services:
        _create(admin, "/api/v1/services", {"name": name, "type": kind, "inputs": inputs})
    graph = {
        "nodes": [
            {"id": "backup", "ref": "FRR backup"},
            {"id": "push", "ref": "FRR cost change"},
            {"id": "neighbors", "ref": "FRR OSPF neighbors"},
            {"id": "validate", "ref": "FRR all Full"},
            {"id": "rollback", "ref": "FRR rollback"},
        ],
        "edges": [
            {"source": "start", "target": "backup"},
            {"source": "backup", "target": "push"},
            {"source": "push", "target": "neighbors"},
            {"source": "push", "target": "rollback", "kind": "failure"},
            {"source": "neighbors", "target": "validate"},
            {"source": "validate", "target": "end"},
            {"source": "validate", "target": "rollback", "kind": "failure"},
        ],  # a rolled-back device dead-ends after the rollback: the run says it failed
    }
    _create(admin, "/api/v1/workflows", {"name": "OSPF cost change", "graph": graph})
    return names


def test_cost_change_applies_validates_and_rolls_back_the_router_frr_refused(
    admin: TestClient, frr_lab: RealLab
) -> None:
    names = change_workflow(admin, frr_lab)
    try:
        _change_and_check(admin, frr_lab, names)
    finally:  # the lab is shared with other modules: put eth1 back as it was
        for router in frr_lab.routers.values():
            eth1 = next(i for i in router.plan.interfaces if i.name == "eth1")
            router.vtysh(
                "configure terminal",
                "interface eth1",
                f"description to {eth1.peer_router} {eth1.peer_interface}",
                f"ip ospf cost {eth1.cost}",
                "end",
                "write memory",
            )


def _change_and_check(admin: TestClient, frr_lab: RealLab, names: list[str]) -> None:
    run = admin.post(
        "/api/v1/run/OSPF cost change",
        json={"targets": {"devices": names}, "variables": {"change": "CHG-42"},
              "wait": 120},
    ).json()  # fmt: skip
    results = admin.get(f"/api/v1/runs/{run['id']}/results").json()
    by = {(r["step"], r["device"]): r for r in results}

    for name in ("r1", "r2", "r3"):
        assert by[("push", name)]["success"], by[("push", name)]["result"]
        assert by[("validate", name)]["success"], by[("validate", name)]["result"]
        assert ("rollback", name) not in by
        parsed = by[("neighbors", name)]["result"]["outputs"][0]["parsed"]
        states = (
            [n["state"] for group in parsed for n in group["neighbors"]]
            if isinstance(parsed[0].get("neighbors"), list)
            else [parsed[0]["neighbors"]["state"]]
        )
        assert states and all(s.startswith("Full/") for s in states), parsed
        assert _ospf_interface(frr_lab, name, "eth1")["cost"] == 20  # really changed
        saved = (frr_lab.router(name).directory / "frr.conf").read_text()
        assert "ip ospf cost 20" in saved  # and written (save: true)

    refused = by[("push", "s1")]
    assert not refused["success"]
    assert "% Unknown command" in refused["result"]["error"]
    assert "ip ospf cost 70000" in refused["result"]["error"]  # FRR's own words, the line named
    rollback = by[("rollback", "s1")]
    assert rollback["success"], rollback["result"].get("error")
    assert "+ description CHG-42" not in rollback["result"]["diff"]
    assert "description CHG-42" in rollback["result"]["diff"]  # the accepted line, taken away
    assert rollback["result"]["remaining_diff"] == ""
    s1 = frr_lab.router("s1").vtysh("show running-config").stdout
    assert "CHG-42" not in s1 and "ip ospf cost 70000" not in s1
    assert _ospf_interface(frr_lab, "s1", "eth1")["cost"] == 10  # the cost it had before
    assert run["status"] != "success"  # one router's change failed (and was rolled back)

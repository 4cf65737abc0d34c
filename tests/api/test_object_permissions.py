"""Issue 19 items 3 and 5: per-object permissions, checked as a groups x objects matrix.

Services, workflows, tasks, event rules, credentials and pools have an owner and, once
restricted, per-group read / run / edit grants. The table below declares, for six callers
(an admin; operators in the groups ``neteng`` and ``noc``; a viewer in ``helpdesk``; an
operator and a viewer in no group) and one object of each kind, exactly what each may do.
Every cell is checked over the API by doing it: reading the object (and finding it in its
list), running it (or, for a credential and a pool, running on what they reach) and
editing it. A refused read is a 404 (as if the object did not exist), a refused run or edit
a 403 naming why."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from netweave.db.models import Role
from tests.fixtures.database import ONE_BACKEND

pytestmark = ONE_BACKEND  # the subject does not depend on the SQL backend
ClientFactory = Callable[[Role], TestClient]

CALLERS = ("admin", "ann", "nick", "hal", "olga", "vic")
GROUPS = {  # name: (role, members)
    "neteng": ("operator", ["ann"]),
    "noc": ("operator", ["nick"]),
    "helpdesk": ("viewer", ["hal"]),
}
ROLES = {"ann": Role.operator, "nick": Role.operator, "hal": Role.viewer}
ROLES |= {"olga": Role.operator, "vic": Role.viewer}

# what each object's permissions say (None: open)
GRANTS: dict[str, list[dict[str, Any]] | None] = {
    "service:Open check": None,
    "service:Core check": [
        {"group": "neteng", "run": True, "edit": True},
        {"group": "helpdesk", "read": True},
    ],
    "workflow:Core wf": [{"group": "neteng", "run": True}, {"group": "noc", "read": True}],
    "task:Nightly": [{"group": "noc", "edit": True}],
    "event_rule:Down": [{"group": "neteng", "read": True}],
    "credential:core-cred": [{"group": "neteng", "run": True}],
    "pool:core": [{"group": "neteng", "run": True}, {"group": "noc", "read": True}],
}

# THE MATRIX: what each caller may do with each object ("r" read, "x" run, "w" edit).
# Roles cap grants (a viewer never runs or edits; only admins edit credentials); an event
# rule is not run by hand (its column has no "x" to check).
EXPECTED: dict[str, dict[str, str]] = {
    #                     admin   ann    nick   hal   olga   vic
    "service:Open check": dict(zip(CALLERS, ["rxw", "rxw", "rxw", "r", "rxw", "r"], strict=True)),
    "service:Core check": dict(zip(CALLERS, ["rxw", "rxw", "", "r", "", ""], strict=True)),
    "workflow:Core wf": dict(zip(CALLERS, ["rxw", "rx", "r", "", "", ""], strict=True)),
    "task:Nightly": dict(zip(CALLERS, ["rxw", "", "rw", "", "", ""], strict=True)),
    "event_rule:Down": dict(zip(CALLERS, ["rw", "r", "", "", "", ""], strict=True)),
    "credential:core-cred": dict(zip(CALLERS, ["rxw", "rx", "", "", "", ""], strict=True)),
    "pool:core": dict(zip(CALLERS, ["rxw", "rx", "r", "", "", ""], strict=True)),
}


def _ok(answer: Any, status: int = 201) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _graph(*refs: str) -> dict[str, Any]:
    nodes = [{"id": f"n{i}", "ref": ref, "kind": "service"} for i, ref in enumerate(refs)]
    chain = ["start", *(n["id"] for n in nodes), "end"]
    return {
        "nodes": nodes,
        "edges": [{"source": a, "target": b} for a, b in itertools.pairwise(chain)],
    }


class World:
    """The callers, the groups and one object of each kind, restricted per GRANTS."""

    def __init__(self, admin: TestClient, client_as: ClientFactory) -> None:
        self.admin = admin
        self.clients: dict[str, TestClient] = {"admin": admin}
        self.usernames: dict[str, str] = {
            "admin": admin.get("/api/v1/auth/me").json()["user"]["username"]
        }
        for name, role in ROLES.items():
            self.clients[name] = client_as(role)
            self.usernames[name] = (
                self.clients[name].get("/api/v1/auth/me").json()["user"]["username"]
            )
        for group, (role, members) in GROUPS.items():
            body = {"name": group, "role": role, "members": [self.usernames[m] for m in members]}
            _ok(admin.post("/api/v1/groups", json=body))
        cred = {
            "name": "core-cred",
            "username": "u",
            "password": "p",
            "scope": {"networks": ["127.0.0.0/8"]},
        }
        self.ids: dict[str, int] = {
            "credential:core-cred": _ok(admin.post("/api/v1/credentials", json=cred))["id"]
        }
        for name, host, extra in (
            ("edge1", "127.0.0.1", {}),
            ("core1", "127.0.0.2", {"credential": "core-cred"}),
        ):
            _ok(
                admin.post(
                    "/api/v1/devices",
                    json={"name": name, "host": host, "platform": "cisco_ios", "port": 9, **extra},
                )
            )
        self.ids["pool:core"] = _ok(
            admin.post("/api/v1/pools", json={"name": "core", "devices": ["core1"]})
        )["id"]
        probe = {"type": "reachability", "inputs": {"kind": "tcp", "port": 9}}
        on_edge = {"options": {"targets": {"devices": ["edge1"]}}}
        for name in ("Open check", "Core check"):
            self.ids[f"service:{name}"] = _ok(
                admin.post("/api/v1/services", json={"name": name, **probe, **on_edge})
            )["id"]
        body = {"name": "Core wf", "graph": _graph("Core check"), **on_edge}
        self.ids["workflow:Core wf"] = _ok(admin.post("/api/v1/workflows", json=body))["id"]
        task = {
            "name": "Nightly",
            "automation": "Open check",
            "kind": "interval",
            "interval_seconds": 86400,
            "paused": True,
        }
        self.ids["task:Nightly"] = _ok(admin.post("/api/v1/tasks", json=task))["id"]
        rule = {"name": "Down", "automation": "Open check", "match": {"regex": "DOWN"}}
        self.ids["event_rule:Down"] = _ok(admin.post("/api/v1/event-rules", json=rule))["id"]
        for key, grants in GRANTS.items():
            if grants is not None:
                kind = key.split(":")[0]
                _ok(
                    admin.put(
                        f"/api/v1/access/{kind}/{self.ids[key]}",
                        json={"restricted": True, "grants": grants},
                    ),
                    200,
                )

    # -- doing each right ---------------------------------------------------------------
    def path(self, key: str) -> str:
        """The object's own route (event rules are addressed by name)."""
        kind, name = key.split(":")
        ident = self.ids[key]
        return {
            "service": f"/api/v1/services/{ident}",
            "workflow": f"/api/v1/workflows/{ident}",
            "task": f"/api/v1/tasks/{ident}",
            "event_rule": f"/api/v1/event-rules/{name}",
            "credential": f"/api/v1/credentials/{ident}",
            "pool": f"/api/v1/pools/{ident}",
        }[kind]

    def read(self, who: str, key: str) -> bool:
        kind, name = key.split(":")
        client, item = self.clients[who], self.path(key)
        listing = {
            "service": "/api/v1/services?limit=500",
            "workflow": "/api/v1/workflows?limit=500",
            "task": "/api/v1/tasks?limit=500",
            "event_rule": "/api/v1/event-rules",
            "credential": "/api/v1/credentials",
            "pool": "/api/v1/pools?limit=500",
        }[kind]
        got = client.get(item)
        assert got.status_code in (200, 404), got.text
        answer = client.get(listing).json()
        names = {row["name"] for row in (answer if isinstance(answer, list) else answer["items"])}
        assert (got.status_code == 200) == (name in names), f"{who}: {key} item vs list"
        if got.status_code == 404:
            assert "no " in got.json()["detail"]
        return got.status_code == 200

    def run(self, who: str, key: str) -> bool:
        kind, name = key.split(":")
        client = self.clients[who]
        if kind == "task":
            answer = client.post(f"/api/v1/tasks/{self.ids[key]}/run")
        elif kind == "credential":  # a run on the device that logs in with it
            answer = client.post("/api/v1/run/Open check", json={"targets": {"devices": ["core1"]}})
        elif kind == "pool":  # a run aimed at the pool
            answer = client.post("/api/v1/run/Open check", json={"targets": {"pools": ["core"]}})
        else:
            answer = client.post(f"/api/v1/run/{name}", json={})
        assert answer.status_code in (201, 403, 404), answer.text
        if answer.status_code != 201 and ROLES.get(who) is not Role.viewer:
            assert answer.json().get("field"), answer.text  # the refusal names what
        return answer.status_code == 201

    def edit(self, who: str, key: str) -> bool:
        answer = self.clients[who].patch(self.path(key), json={"description": f"edited by {who}"})
        assert answer.status_code in (200, 403, 404), answer.text
        return answer.status_code == 200


@pytest.fixture
def world(admin: TestClient, client_as: ClientFactory) -> World:
    return World(admin, client_as)


def test_the_groups_by_objects_matrix_holds_over_the_api(world: World) -> None:
    found: dict[str, dict[str, str]] = {}
    for key, expected in EXPECTED.items():
        row = found.setdefault(key, {})
        for who in CALLERS:  # edit last: it changes an owner (tasks, rules)
            rights = "r" if world.read(who, key) else ""
            if key.startswith("event_rule:"):
                pass
            elif world.run(who, key):
                rights += "x"
            row[who] = rights
        for who in CALLERS:
            if world.edit(who, key):
                row[who] += "w"
        assert row == expected, f"{key}: got {row}, expected {expected}"


def test_the_matrix_endpoint_shows_each_groups_rights(world: World) -> None:
    matrix = _ok(world.admin.get("/api/v1/access/matrix"), 200)
    assert matrix["groups"] == ["helpdesk", "neteng", "noc"]
    rows = {f"{r['kind']}:{r['name']}": r for r in matrix["rows"]}
    cells = {key: {c["group"]: c["rights"] for c in rows[key]["cells"]} for key in GRANTS}
    assert cells["service:Core check"] == {
        "helpdesk": ["read"],
        "neteng": ["read", "run", "edit"],
        "noc": [],
    }
    assert cells["service:Open check"] == {
        "helpdesk": ["read"],
        "neteng": ["read", "run", "edit"],
        "noc": ["read", "run", "edit"],
    }
    assert cells["credential:core-cred"] == {"helpdesk": [], "neteng": ["read", "run"], "noc": []}
    assert cells["pool:core"]["noc"] == ["read"]
    assert (
        rows["service:Core check"]["restricted"] is True
        and rows["service:Open check"]["restricted"] is False
    )
    assert _ok(world.clients["ann"].get("/api/v1/access/matrix"), 403)  # admins only


def test_a_workflow_is_no_way_around_a_restricted_step(world: World) -> None:
    # olga cannot see "Core check"; a workflow of her own that calls it does not run it
    olga = world.clients["olga"]
    made = olga.post("/api/v1/workflows", json={"name": "Sneaky", "graph": _graph("Core check")})
    _ok(made)
    refused = olga.post("/api/v1/run/Sneaky", json={"targets": {"devices": ["edge1"]}})
    assert refused.status_code == 403, refused.text
    assert "'Core check'" in refused.json()["detail"] and "run right" in refused.json()["detail"]
    # a task or an event rule of hers cannot be aimed at it either
    task = {"name": "t", "automation": "Core check", "kind": "interval", "interval_seconds": 60}
    assert olga.post("/api/v1/tasks", json=task).status_code == 404
    rule = {"name": "r", "automation": "Core check", "match": {"regex": "X"}}
    assert olga.post("/api/v1/event-rules", json=rule).status_code == 404


def test_a_restricted_credential_is_not_used_by_a_job_without_its_use_right(world: World) -> None:
    body = {"driver": "netmiko", "connection_args": {"host": "core1"}, "command": "show clock"}
    refused = world.clients["nick"].post("/device/exec", json=body)
    assert refused.status_code == 403, refused.text
    assert "core-cred" in refused.json()["detail"]
    assert world.clients["ann"].post("/device/exec", json=body).status_code == 201


def test_owners_manage_their_objects_permissions_and_only_admins_hand_them_over(
    world: World,
) -> None:
    olga, nick, ann = world.clients["olga"], world.clients["nick"], world.clients["ann"]
    mine = _ok(
        olga.post(
            "/api/v1/services",
            json={"name": "Olga's", "type": "reachability", "inputs": {"kind": "tcp", "port": 9}},
        )
    )
    access = _ok(olga.get(f"/api/v1/access/service/{mine['id']}"), 200)
    assert access["owner"] == world.usernames["olga"] and access["restricted"] is False
    assert access["manage"] is True and access["mine"] == ["read", "run", "edit"]
    grant = {"restricted": True, "grants": [{"group": "noc", "read": True}]}
    _ok(olga.put(f"/api/v1/access/service/{mine['id']}", json=grant), 200)
    assert nick.get(f"/api/v1/services/{mine['id']}").status_code == 200
    assert _ok(nick.get(f"/api/v1/access/service/{mine['id']}"), 200)["mine"] == ["read"]
    assert ann.get(f"/api/v1/services/{mine['id']}").status_code == 404
    assert olga.get(f"/api/v1/services/{mine['id']}").status_code == 200  # the owner

    # not hers: refused; handing over: admins only; a bad group is named
    core = world.ids["service:Open check"]
    assert olga.put(f"/api/v1/access/service/{core}", json=grant).status_code == 403
    give = {**grant, "owner": world.usernames["ann"]}
    assert olga.put(f"/api/v1/access/service/{mine['id']}", json=give).json()["field"] == "owner"
    bad = olga.put(
        f"/api/v1/access/service/{mine['id']}",
        json={"restricted": True, "grants": [{"group": "nope"}]},
    )
    assert bad.status_code == 404 and bad.json()["field"] == "grants[0].group"
    loose = olga.put(
        f"/api/v1/access/service/{mine['id']}",
        json={"restricted": False, "grants": [{"group": "noc"}]},
    )
    assert loose.status_code == 422 and loose.json()["field"] == "grants"
    handed = _ok(world.admin.put(f"/api/v1/access/service/{mine['id']}", json=give), 200)
    assert handed["owner"] == world.usernames["ann"]
    assert ann.get(f"/api/v1/services/{mine['id']}").status_code == 200  # now hers
    assert olga.get(f"/api/v1/services/{mine['id']}").status_code == 404

    # the changes are in the changelog
    log = _ok(world.admin.get("/api/v1/changelog", params={"limit": 200}), 200)
    kinds = {row["object_type"] for row in log["items"]}
    assert {"object_access", "object_grant"} <= kinds


def test_a_deleted_objects_permissions_do_not_pass_to_a_new_one(world: World) -> None:
    admin = world.admin
    probe = {"type": "reachability", "inputs": {"kind": "tcp", "port": 9}}
    first = _ok(admin.post("/api/v1/services", json={"name": "Temp", **probe}))
    _ok(admin.put(f"/api/v1/access/service/{first['id']}", json={"restricted": True}), 200)
    assert world.clients["olga"].get(f"/api/v1/services/{first['id']}").status_code == 404
    assert admin.delete(f"/api/v1/services/{first['id']}").status_code == 204
    second = _ok(admin.post("/api/v1/services", json={"name": "Temp2", **probe}))
    assert _ok(admin.get(f"/api/v1/access/service/{second['id']}"), 200)["restricted"] is False
    assert world.clients["olga"].get(f"/api/v1/services/{second['id']}").status_code == 200


def test_runs_of_what_a_caller_may_not_read_are_not_listed(world: World) -> None:
    admin, olga = world.admin, world.clients["olga"]
    _ok(admin.post("/api/v1/run/Core check", json={}))
    _ok(admin.post("/api/v1/run/Open check", json={}))
    names = {run["name"] for run in olga.get("/api/v1/runs").json()["items"]}
    assert names == {"Open check"}
    assert {run["name"] for run in admin.get("/api/v1/runs").json()["items"]} >= {"Core check"}
    shown = {run["name"] for run in world.clients["hal"].get("/api/v1/runs").json()["items"]}
    assert "Core check" in shown  # helpdesk reads it


def test_a_run_of_what_a_caller_may_not_read_is_not_found_by_its_id(world: World) -> None:
    admin, olga, hal = world.admin, world.clients["olga"], world.clients["hal"]
    run = _ok(admin.post("/api/v1/run/Core check", json={"wait": 20}))
    assert run["status"] in ("success", "failure")
    results = _ok(admin.get(f"/api/v1/runs/{run['id']}/results"), 200)
    assert results
    result_id = results[0]["id"]
    for path in (
        f"/api/v1/runs/{run['id']}",
        f"/api/v1/runs/{run['id']}/results",
        f"/api/v1/runs/{run['id']}/events",
        f"/api/v1/results/{result_id}",
        f"/api/v1/results/compare?first={result_id}&second={result_id}",
    ):
        assert olga.get(path).status_code == 404, path
        assert hal.get(path).status_code == 200 or path.endswith("/events"), path
    restart = olga.post(f"/api/v1/runs/{run['id']}/restart", json={"start_at": "main"})
    assert restart.status_code == 404
    ann_restart = world.clients["ann"].post(
        f"/api/v1/runs/{run['id']}/restart", json={"start_at": "main"}
    )
    assert ann_restart.status_code == 201, ann_restart.text  # neteng: run right


def test_the_calendar_shows_only_what_a_caller_may_read(world: World) -> None:
    from datetime import UTC, datetime, timedelta

    admin, nick, olga = world.admin, world.clients["nick"], world.clients["olga"]
    _ok(admin.post(f"/api/v1/tasks/{world.ids['task:Nightly']}/resume"), 200)
    _ok(admin.post("/api/v1/run/Core check", json={"wait": 20}))
    now = datetime.now(UTC)
    window = {
        "from": (now - timedelta(hours=1)).isoformat(),
        "to": (now + timedelta(days=2)).isoformat(),
    }

    def seen(client: TestClient) -> set[str]:
        events = _ok(client.get("/api/v1/calendar", params=window), 200)
        return {f"{e['kind']}:{e['task'] or e['title']}" for e in events}

    assert {"run:Core check", "firing:Nightly"} <= seen(admin)
    assert "firing:Nightly" in seen(nick) and "run:Core check" not in seen(nick)
    assert not {"firing:Nightly", "run:Core check"} & seen(olga)


def test_the_dashboard_lists_only_failures_of_what_a_caller_may_read(world: World) -> None:
    admin, olga = world.admin, world.clients["olga"]
    for name in ("Core check", "Open check"):  # port 9 refuses: both runs fail
        assert _ok(admin.post(f"/api/v1/run/{name}", json={"wait": 20}))["status"] == "failure"
    mine = {f["name"] for f in _ok(olga.get("/api/v1/dashboard"), 200)["recent_failures"]}
    theirs = {f["name"] for f in _ok(admin.get("/api/v1/dashboard"), 200)["recent_failures"]}
    assert theirs >= {"Core check", "Open check"} and mine == {"Open check"}

"""Groups (issue 19, item 2): a group carries a role and pool fences; a user's rights are the
union of their own and their groups' (the highest role; for acting on devices, every pool
of a grant that allows acting, and no fence at all when one such grant has none). Changes
apply at once, to sessions and API keys alike, and are in the changelog."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from netweave.db.models import Role
from tests.fixtures.api import ClientFactory


@pytest.fixture
def world(admin: TestClient) -> dict[str, int]:
    """Two devices, pool-a holding d-a and pool-b holding d-b; their ids."""
    ids = {}
    for name, host in (("d-a", "10.9.0.1"), ("d-b", "10.9.0.2")):
        made = admin.post(
            "/api/v1/devices", json={"name": name, "host": host, "platform": "cisco_ios"}
        )
        assert made.status_code == 201, made.text
        ids[name] = made.json()["id"]
    for pool, device in (("pool-a", "d-a"), ("pool-b", "d-b")):
        assert (
            admin.post("/api/v1/pools", json={"name": pool, "devices": [device]}).status_code == 201
        )
    return ids


def _rights(admin: TestClient, user_id: int) -> dict[str, object]:
    answer = admin.get(f"/api/v1/users/{user_id}/rights")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _edit(client: TestClient, device_id: int) -> int:
    return client.patch(f"/api/v1/devices/{device_id}", json={"site": "PAR1"}).status_code


def test_rights_are_the_union_of_the_users_and_their_groups(
    admin: TestClient, client_as: ClientFactory, world: dict[str, int]
) -> None:
    gina = client_as(Role.viewer)
    me = gina.get("/api/v1/auth/me").json()
    user_id, username = me["user"]["id"], me["user"]["username"]
    assert _edit(gina, world["d-a"]) == 403  # a viewer

    ops_a = {"name": "ops-a", "role": "operator", "pools": ["pool-a"], "members": [username]}
    made = admin.post("/api/v1/groups", json=ops_a)
    assert made.status_code == 201, made.text
    group_a = made.json()
    assert group_a["members"] == [username] and group_a["pools"] == ["pool-a"]
    assert _rights(admin, user_id) == {"role": "operator", "pools": ["pool-a"], "groups": ["ops-a"]}
    assert _edit(gina, world["d-a"]) == 200  # at once: the same API key, now an operator
    assert _edit(gina, world["d-b"]) == 403  # fenced to pool-a by the group

    ops_b = {"name": "ops-b", "role": "operator", "pools": ["pool-b"], "members": [username]}
    assert admin.post("/api/v1/groups", json=ops_b).status_code == 201
    assert _rights(admin, user_id)["pools"] == ["pool-a", "pool-b"]  # the union
    assert _edit(gina, world["d-b"]) == 200

    # a viewer grant without a fence does not lift the acting fence...
    everyone = {"name": "readers", "role": "viewer", "members": [username]}
    assert admin.post("/api/v1/groups", json=everyone).status_code == 201
    assert _rights(admin, user_id)["pools"] == ["pool-a", "pool-b"]
    # ...an operator grant without one does
    patched = admin.patch(f"/api/v1/groups/{group_a['id']}", json={"pools": []})
    assert patched.status_code == 200 and patched.json()["pools"] == []
    assert _rights(admin, user_id)["pools"] is None

    admins = admin.post(
        "/api/v1/groups", json={"name": "admins", "role": "admin", "members": [username]}
    )
    assert admins.status_code == 201
    assert gina.get("/api/v1/users").status_code == 200  # an admin through the group
    assert gina.post("/api/v1/groups", json={"name": "mine", "role": "admin"}).status_code == 201
    left = admin.patch(f"/api/v1/groups/{admins.json()['id']}", json={"members": []})
    assert left.status_code == 200
    assert gina.get("/api/v1/users").status_code == 403  # at once, not at the key cache's end
    assert gina.post("/api/v1/groups", json={"name": "again", "role": "admin"}).status_code == 403

    assert admin.delete(f"/api/v1/groups/{group_a['id']}").status_code == 204
    assert _rights(admin, user_id)["groups"] == ["ops-b", "readers"]
    changes = admin.get("/api/v1/changelog", params={"object_type": "group", "limit": 50}).json()
    done = {(c["action"], c["object_name"]) for c in changes["items"]}
    assert {("create", "ops-a"), ("update", "ops-a"), ("delete", "ops-a")} <= done, done


def test_groups_are_for_admins_and_bad_input_names_the_field(
    admin: TestClient, operator: TestClient, viewer: TestClient, world: dict[str, int]
) -> None:
    body = {"name": "x", "role": "admin"}
    assert operator.post("/api/v1/groups", json=body).status_code == 403
    assert viewer.get("/api/v1/groups").status_code == 403
    cases = [
        ({"name": "g1", "pools": ["nope"]}, 404, "pools[0]"),
        ({"name": "g1", "members": ["ghost"]}, 404, "members[0]"),
        ({"name": "g1", "directory_groups": [" "]}, 422, "directory_groups[0]"),
        ({"name": "g1", "role": "superuser"}, 422, "role"),
        ({"name": "bad/name"}, 422, "name"),
        ({"name": "g1", "colour": "red"}, 422, "colour"),
    ]
    for sent, status, field in cases:
        answer = admin.post("/api/v1/groups", json=sent)
        assert answer.status_code == status, (sent, answer.text)
        assert field in answer.text, (sent, answer.text)
    assert admin.post("/api/v1/groups", json={"name": "g1"}).status_code == 201
    again = admin.post("/api/v1/groups", json={"name": "g1"})
    assert again.status_code == 409 and "name" in again.text
    assert admin.get("/api/v1/groups").json()[0]["name"] == "g1"

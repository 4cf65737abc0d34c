"""Directory sign-in (issue 19, item 1) against a real OpenLDAP slapd: a directory user
signs in with their directory password, their directory groups map to NetWeave groups and
rights (refreshed at every sign-in), a wrong password, a disabled user, a user in no mapped
group and a directory account tried as local are refused; local accounts (the first admin)
keep working; an unreachable directory is a 503 naming it, never a password."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from netweave.api.app import create_app
from netweave.api.deps import CSRF_COOKIE, CSRF_HEADER
from netweave.core.runtime import Runtime
from netweave.db.models import User
from tests.fixtures.ldap import Directory


@pytest.fixture
def with_directory(runtime: Runtime, ldap_directory: Directory) -> Iterator[Runtime]:
    original = runtime.settings
    runtime.settings = original.model_copy(
        update={
            "directory_url": ldap_directory.url,
            "directory_start_tls": True,
            "directory_ca_file": ldap_directory.ca_file,
            "directory_bind_dn": ldap_directory.bind_dn,
            "directory_bind_password": original.admin_password.__class__(
                ldap_directory.bind_password
            ),
            "directory_user_base": ldap_directory.user_base,
            "directory_group_base": ldap_directory.group_base,
        }
    )
    yield runtime
    runtime.settings = original


def _login(client: TestClient, username: str, password: str) -> tuple[int, dict[str, object]]:
    answer = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    if answer.status_code == 200:  # the UI echoes the double-submit token on every change
        client.headers[CSRF_HEADER] = client.cookies.get(CSRF_COOKIE) or ""
    return answer.status_code, answer.json()


def test_directory_users_sign_in_with_their_groups_rights(
    with_directory: Runtime, admin: TestClient, ldap_directory: Directory
) -> None:
    runtime = with_directory
    made = admin.post(
        "/api/v1/groups",
        json={"name": "network ops", "role": "operator", "directory_groups": ["NetOps"]},
    )
    assert made.status_code == 201, made.text
    group_id = made.json()["id"]
    assert (
        admin.post("/api/v1/groups", json={"name": "noc", "directory_groups": ["noc"]}).status_code
        == 201
    )
    pw = ldap_directory.passwords

    with TestClient(create_app(runtime)) as alice:
        status, body = _login(alice, "alice", pw["alice"])
        assert status == 200, body
        me = alice.get("/api/v1/auth/me").json()
        # netops in the directory (names compare case-insensitively) -> the operator group
        assert me["user"]["role"] == "operator" and me["groups"] == ["network ops"]
        assert alice.post("/api/v1/services", json={
            "name": "Clock", "type": "netmiko_commands", "inputs": {"commands": ["show clock"]}
        }).status_code == 201  # fmt: skip
    group = admin.get(f"/api/v1/groups/{group_id}").json()
    assert group["directory_members"] == ["alice"] and group["members"] == []
    with runtime.transaction() as session:
        row = session.scalar(select(User).where(User.username == "alice"))
        assert row is not None and row.source == "directory"

    with TestClient(create_app(runtime)) as carol:  # in netops and noc: both groups
        assert _login(carol, "carol", pw["carol"])[0] == 200
        assert carol.get("/api/v1/auth/me").json()["groups"] == ["network ops", "noc"]

    with TestClient(create_app(runtime)) as other:
        assert _login(other, "alice", "not-her-password")[0] == 401
        assert _login(other, "alice", "")[0] == 401  # refused before LDAP (an unauthenticated bind)
        assert _login(other, "dave", pw["dave"])[0] == 401  # in no mapped group
        assert _login(other, "nobody", "whatever-1234")[0] == 401
        assert _login(other, "*", "whatever-1234")[0] == 401  # no LDAP filter injection
        # the first admin is local and keeps signing in with its local password
        admin_name = runtime.settings.admin_username
        admin_password = runtime.settings.admin_password
        assert admin_password is not None
        assert _login(other, admin_name, admin_password.get_secret_value())[0] == 200

    # leaving the directory group leaves the NetWeave group at the next sign-in: here the
    # mapping moves instead, and alice's rights follow
    admin.patch(f"/api/v1/groups/{group_id}", json={"directory_groups": ["noc"]})
    with TestClient(create_app(runtime)) as alice:
        assert _login(alice, "alice", pw["alice"])[0] == 401  # now in no mapped group
    assert admin.get(f"/api/v1/groups/{group_id}").json()["directory_members"] == ["carol"]

    # an admin disables a directory user: the directory's yes no longer lets them in
    carol_id = next(u["id"] for u in admin.get("/api/v1/users").json() if u["username"] == "carol")
    assert admin.patch(f"/api/v1/users/{carol_id}", json={"is_active": False}).status_code == 200
    with TestClient(create_app(runtime)) as carol:
        assert _login(carol, "carol", pw["carol"])[0] == 401
    failures = admin.get("/api/v1/audit/auth-failures", params={"limit": 50}).json()
    reasons = {(f["username"], f["reason"]) for f in failures["items"]}
    assert ("carol", "user disabled") in reasons
    assert (
        "dave",
        "directory user 'dave' is in no NetWeave group (map a directory group to one)",
    ) in reasons


def test_an_unreachable_directory_is_a_503_and_local_accounts_still_sign_in(
    with_directory: Runtime,
) -> None:
    runtime = with_directory
    runtime.settings = runtime.settings.model_copy(
        update={"directory_url": "ldap://127.0.0.1:9", "directory_timeout": 1}
    )
    with TestClient(create_app(runtime)) as client:
        status, body = _login(client, "alice", "her-password-1")
        assert status == 503 and "ldap://127.0.0.1:9" in str(body)
        assert "her-password-1" not in str(body)
        admin_password = runtime.settings.admin_password
        assert admin_password is not None
        local = _login(client, runtime.settings.admin_username, admin_password.get_secret_value())
        assert local[0] == 200


def test_directory_groups_carry_per_object_permissions(
    with_directory: Runtime, admin: TestClient, ldap_directory: Directory
) -> None:
    """Issue 19, items 3 and 5 with the directory: a restricted service granted to the
    NetWeave group mapped to the directory group netops is read and run by alice (netops),
    read only by bob (noc: granted read), and invisible to a local operator in no group."""
    runtime = with_directory
    for name, mapped in (("neteng", "netops"), ("noc", "noc")):
        body = {"name": name, "role": "operator", "directory_groups": [mapped]}
        assert admin.post("/api/v1/groups", json=body).status_code == 201
    probe = {"type": "reachability", "inputs": {"kind": "tcp", "port": 9}}
    made = admin.post(
        "/api/v1/devices", json={"name": "e1", "host": "127.0.0.1", "platform": "cisco_ios"}
    )
    assert made.status_code == 201, made.text
    body = {"name": "Core", **probe, "options": {"targets": {"devices": ["e1"]}}}
    service = admin.post("/api/v1/services", json=body).json()
    grants = [{"group": "neteng", "run": True}, {"group": "noc", "read": True}]
    answer = admin.put(
        f"/api/v1/access/service/{service['id']}", json={"restricted": True, "grants": grants}
    )
    assert answer.status_code == 200, answer.text
    pw = ldap_directory.passwords
    seen: dict[str, tuple[int, int]] = {}
    for username in ("alice", "bob"):
        with TestClient(create_app(runtime)) as client:
            assert _login(client, username, pw[username])[0] == 200
            read = client.get(f"/api/v1/services/{service['id']}").status_code
            run = client.post("/api/v1/run/Core", json={}).status_code
            listed = {s["name"] for s in client.get("/api/v1/services").json()["items"]}
            assert ("Core" in listed) == (read == 200)
            seen[username] = (read, run)
    assert seen == {"alice": (200, 201), "bob": (200, 403)}
    matrix = admin.get("/api/v1/access/matrix", params={"kind": "service"}).json()
    row = next(r for r in matrix["rows"] if r["name"] == "Core")
    assert {c["group"]: c["rights"] for c in row["cells"]} == {
        "neteng": ["read", "run"],
        "noc": ["read"],
    }

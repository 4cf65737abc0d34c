"""RADIUS sign-in (issue 19, item 1's RADIUS option) against a real FreeRADIUS: a RADIUS
user signs in with their password, the reply's Filter-Id values map to NetWeave groups and
rights (refreshed at every sign-in), a wrong or empty password, a user in no mapped group
and a disabled user are refused; the local admin keeps signing in; a server that does not
answer, or one that does not share the secret, is a 503 naming it, never the password."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from netweave.api.app import create_app
from netweave.api.deps import CSRF_COOKIE, CSRF_HEADER
from netweave.core.runtime import Runtime
from tests.fixtures.database import ONE_BACKEND
from tests.fixtures.radius import RadiusServer

pytestmark = ONE_BACKEND


@pytest.fixture
def with_radius(runtime: Runtime, radius_server: RadiusServer) -> Iterator[Runtime]:
    original = runtime.settings
    runtime.settings = original.model_copy(
        update={
            "radius_server": radius_server.host,
            "radius_port": radius_server.port,
            "radius_secret": SecretStr(radius_server.secret),
            "radius_timeout": 5.0,  # a loaded machine; the silent-server test sets its own
            "radius_retries": 0,
        }
    )
    yield runtime
    runtime.settings = original


def _login(client: TestClient, username: str, password: str) -> tuple[int, dict[str, object]]:
    answer = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    if answer.status_code == 200:
        client.headers[CSRF_HEADER] = client.cookies.get(CSRF_COOKIE) or ""
    return answer.status_code, answer.json()


def test_radius_users_sign_in_with_their_groups_rights(
    with_radius: Runtime, admin: TestClient, radius_server: RadiusServer
) -> None:
    runtime, pw = with_radius, radius_server.passwords
    for name, role, mapped in (("network ops", "operator", "NetOps"), ("noc", "viewer", "noc")):
        body = {"name": name, "role": role, "directory_groups": [mapped]}
        assert admin.post("/api/v1/groups", json=body).status_code == 201

    with TestClient(create_app(runtime)) as alice:
        status, body = _login(alice, "alice", pw["alice"])
        assert status == 200, body
        me = alice.get("/api/v1/auth/me").json()
        assert me["user"]["role"] == "operator" and me["groups"] == ["network ops"]
    with TestClient(create_app(runtime)) as carol:  # two Filter-Id values: both groups
        assert _login(carol, "carol", pw["carol"])[0] == 200
        assert carol.get("/api/v1/auth/me").json()["groups"] == ["network ops", "noc"]
    users = {u["username"]: u for u in admin.get("/api/v1/users").json()}
    assert users["alice"]["source"] == "directory"

    with TestClient(create_app(runtime)) as other:
        assert _login(other, "alice", "not-her-password")[0] == 401
        assert _login(other, "alice", "")[0] in (401, 422)  # never sent to the server
        assert _login(other, "dave", pw["dave"])[0] == 401  # in no mapped group
        assert _login(other, "nobody", "whatever-1234")[0] == 401
        admin_password = runtime.settings.admin_password
        assert admin_password is not None
        local = _login(other, runtime.settings.admin_username, admin_password.get_secret_value())
        assert local[0] == 200  # the first admin is local: never asked of RADIUS

    assert (
        admin.patch(f"/api/v1/users/{users['alice']['id']}", json={"is_active": False}).status_code
        == 200
    )
    with TestClient(create_app(runtime)) as alice:
        assert _login(alice, "alice", pw["alice"])[0] == 401  # RADIUS says yes, NetWeave no
    failures = admin.get("/api/v1/audit/auth-failures", params={"limit": 50}).json()
    reasons = {(f["username"], f["reason"]) for f in failures["items"]}
    assert ("alice", "user disabled") in reasons


def test_a_silent_server_or_a_wrong_secret_is_a_503_naming_the_server(
    with_radius: Runtime, radius_server: RadiusServer
) -> None:
    runtime = with_radius
    silent = {"radius_timeout": 0.5}  # a wrong secret's reply is dropped: pyrad waits it out
    for update in (
        {"radius_secret": SecretStr("not-the-shared-secret"), **silent},
        {"radius_port": 9, **silent},
    ):
        runtime.settings = runtime.settings.model_copy(update=update)
        with TestClient(create_app(runtime)) as client:
            status, body = _login(client, "alice", radius_server.passwords["alice"])
            assert status == 503, body
            assert f"radius://127.0.0.1:{runtime.settings.radius_port}" in str(body)
            assert radius_server.passwords["alice"] not in str(body)
            assert radius_server.secret not in str(body)

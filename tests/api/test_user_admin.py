"""User management (issue 15, item 7): role, enabled, one-time password reset, delete, pool
fences; admins only, with the refusals (yourself, the last admin) as 409s naming the field."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from netweave.api.app import create_app
from netweave.core.runtime import Runtime
from tests.fixtures.api import ClientFactory

PASSWORD = "a-long-enough-password"


def _user(admin: TestClient, name: str, role: str = "operator") -> dict:
    created = admin.post(
        "/api/v1/users", json={"username": name, "password": PASSWORD, "role": role}
    )
    assert created.status_code == 201, created.text
    return created.json()


def _key_of(runtime: Runtime, username: str, password: str) -> str:
    """An API key the user creates for themselves after signing in."""
    with TestClient(create_app(runtime)) as browser:
        login = browser.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )
        assert login.status_code == 200, login.text
        csrf = browser.cookies["netweave_csrf"]
        made = browser.post("/api/v1/api-keys", json={"name": "k"}, headers={"X-CSRF-Token": csrf})
        assert made.status_code == 201, made.text
        return str(made.json()["key"])


@pytest.fixture
def browser(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as client:
        yield client


def _sign_in(client: TestClient, username: str, password: str) -> int:
    return client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    ).status_code


def _csrf(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.cookies["netweave_csrf"]}


def test_admin_changes_role_and_the_change_is_in_the_changelog(admin: TestClient) -> None:
    alice = _user(admin, "alice", "viewer")
    changed = admin.patch(f"/api/v1/users/{alice['id']}", json={"role": "operator"})
    assert changed.status_code == 200 and changed.json()["role"] == "operator"
    log = admin.get("/api/v1/changelog", params={"object_type": "user"}).json()
    entries = log["items"]
    updates = [e for e in entries if e["action"] == "update" and e["object_name"] == "alice"]
    assert updates and updates[0]["changes"]["role"] == {"from": "viewer", "to": "operator"}
    assert updates[0]["actor"] == "admin"


def test_disabling_a_user_stops_their_keys_and_sessions_at_once(
    admin: TestClient, runtime: Runtime, browser: TestClient
) -> None:
    bob = _user(admin, "bob")
    key = _key_of(runtime, "bob", PASSWORD)
    assert _sign_in(browser, "bob", PASSWORD) == 200
    with TestClient(create_app(runtime), headers={"X-API-KEY": key}) as scripted:
        assert scripted.get("/api/v1/devices").status_code == 200  # cached as valid now
        disabled = admin.patch(f"/api/v1/users/{bob['id']}", json={"is_active": False})
        assert disabled.status_code == 200 and disabled.json()["is_active"] is False
        refused = scripted.get("/api/v1/devices")
        assert refused.status_code == 401 and "disabled" in refused.json()["detail"]
    assert browser.get("/api/v1/auth/me").status_code == 401
    assert _sign_in(browser, "bob", PASSWORD) == 401
    admin.patch(f"/api/v1/users/{bob['id']}", json={"is_active": True})
    assert _sign_in(browser, "bob", PASSWORD) == 200


def test_one_time_password_signs_in_once_and_forces_a_change(
    admin: TestClient, runtime: Runtime, browser: TestClient
) -> None:
    carol = _user(admin, "carol")
    assert _sign_in(browser, "carol", PASSWORD) == 200
    reset = admin.post(f"/api/v1/users/{carol['id']}/password-reset")
    assert reset.status_code == 200, reset.text
    once = reset.json()["password"]
    assert len(once) >= 12 and reset.json()["user"]["must_change_password"] is True
    assert browser.get("/api/v1/auth/me").status_code == 401  # open sessions ended
    assert _sign_in(browser, "carol", PASSWORD) == 401  # the old password is gone

    assert _sign_in(browser, "carol", once) == 200
    me = browser.get("/api/v1/auth/me").json()
    assert me["user"]["must_change_password"] is True
    blocked = browser.get("/api/v1/devices")
    assert blocked.status_code == 403 and "new password" in blocked.json()["detail"]
    with TestClient(create_app(runtime)) as second:
        assert _sign_in(second, "carol", once) == 401  # a one-time password signs in once

    short = browser.post(
        "/api/v1/auth/password", json={"new_password": "short"}, headers=_csrf(browser)
    )
    assert short.status_code == 422 and "new_password" in short.text
    changed = browser.post(
        "/api/v1/auth/password",
        json={"new_password": "her-new-password-1"},
        headers=_csrf(browser),
    )
    assert changed.status_code == 200 and changed.json()["must_change_password"] is False
    assert browser.get("/api/v1/devices").status_code == 200
    with TestClient(create_app(runtime)) as later:
        assert _sign_in(later, "carol", once) == 401
        assert _sign_in(later, "carol", "her-new-password-1") == 200


def test_changing_your_own_password_needs_the_current_one(
    admin: TestClient, browser: TestClient
) -> None:
    _user(admin, "dave", "viewer")
    assert _sign_in(browser, "dave", PASSWORD) == 200
    missing = browser.post(
        "/api/v1/auth/password", json={"new_password": "his-new-password-1"}, headers=_csrf(browser)
    )
    assert missing.status_code == 422 and missing.json()["field"] == "current_password"
    wrong = browser.post(
        "/api/v1/auth/password",
        json={"current_password": "not-my-password", "new_password": "his-new-password-1"},
        headers=_csrf(browser),
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "current_password"
    ok = browser.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "his-new-password-1"},
        headers=_csrf(browser),
    )
    assert ok.status_code == 200
    assert browser.get("/api/v1/auth/me").status_code == 200  # this session stays


def test_delete_user_and_the_refusals(admin: TestClient, runtime: Runtime) -> None:
    erin = _user(admin, "erin")
    key = _key_of(runtime, "erin", PASSWORD)
    assert admin.delete(f"/api/v1/users/{erin['id']}").status_code == 204
    assert admin.get(f"/api/v1/users/{erin['id']}").status_code == 404
    with TestClient(create_app(runtime), headers={"X-API-KEY": key}) as scripted:
        assert scripted.get("/api/v1/devices").status_code == 401

    me = admin.get("/api/v1/auth/me").json()["user"]
    yourself = admin.delete(f"/api/v1/users/{me['id']}")
    assert yourself.status_code == 409 and "yourself" in yourself.json()["detail"]
    assert admin.patch(f"/api/v1/users/{me['id']}", json={"is_active": False}).status_code == 409
    assert admin.post(f"/api/v1/users/{me['id']}/password-reset").status_code == 409

    # another admin may not remove the last active admin either
    frank = _user(admin, "frank", "admin")
    frank_key = _key_of(runtime, "frank", PASSWORD)
    with TestClient(create_app(runtime), headers={"X-API-KEY": frank_key}) as other:
        assert (
            other.patch(f"/api/v1/users/{me['id']}", json={"role": "operator"}).status_code == 200
        )
        # frank is now the only admin: the original admin (an operator now) cannot be used
    demote = admin.patch(f"/api/v1/users/{frank['id']}", json={"role": "viewer"})
    assert demote.status_code == 403  # the caller is no longer an admin
    with TestClient(create_app(runtime), headers={"X-API-KEY": frank_key}) as other:
        last = other.patch(f"/api/v1/users/{frank['id']}", json={"role": "viewer"})
        assert last.status_code == 409 and "last active admin" in last.json()["detail"]
        assert last.json()["field"] == "role"
        gone = other.delete(f"/api/v1/users/{me['id']}")
        assert gone.status_code == 204


def test_non_admins_are_refused_user_management(client_as: ClientFactory) -> None:
    from netweave.db.models import Role

    for role in (Role.operator, Role.viewer):
        client = client_as(role)
        me = client.get("/api/v1/auth/me").json()["user"]
        for method, path, body in (
            ("PATCH", f"/api/v1/users/{me['id']}", {"role": "admin"}),
            ("POST", f"/api/v1/users/{me['id']}/password-reset", None),
            ("DELETE", f"/api/v1/users/{me['id']}", None),
            ("PUT", f"/api/v1/users/{me['id']}/pools", {"pools": []}),
            ("GET", "/api/v1/users", None),
        ):
            refused = client.request(method, path, json=body)
            assert refused.status_code == 403, (role, method, path, refused.text)
        # their own keys: allowed
        made = client.post("/api/v1/api-keys", json={"name": "mine"})
        assert made.status_code == 201
        assert client.delete(f"/api/v1/api-keys/{made.json()['id']}").status_code == 200


def test_pool_fence_set_by_admin(admin: TestClient) -> None:
    henry = _user(admin, "henry")
    pool = admin.post("/api/v1/pools", json={"name": "lab"})
    assert pool.status_code == 201, pool.text
    fenced = admin.put(f"/api/v1/users/{henry['id']}/pools", json={"pools": ["lab"]})
    assert fenced.status_code == 200 and fenced.json()["restricted"] is True
    unknown = admin.put(f"/api/v1/users/{henry['id']}/pools", json={"pools": ["nope"]})
    assert unknown.status_code in (404, 422) and "pools[0]" in unknown.text
    log = admin.get("/api/v1/changelog", params={"object_type": "user"}).json()
    entries = log["items"]
    assert any(e["object_name"] == "henry" and "pool_ids" in e["changes"] for e in entries)

import re

from fastapi.testclient import TestClient

from netweave.api.app import create_app
from netweave.core.runtime import Runtime
from tests.fixtures.database import TEST_ADMIN_PASSWORD


def test_every_openapi_route_but_health_requires_auth(
    anon_client: TestClient, runtime: Runtime
) -> None:
    spec = create_app(runtime).openapi()
    public = {"/health", "/api/v1/auth/login", "/api/v1/auth/logout"}
    checked = 0
    for path, operations in spec["paths"].items():
        if path in public:
            continue
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        for method in operations:
            response = anon_client.request(method.upper(), concrete)
            assert response.status_code == 401, (method, path, response.text)
            checked += 1
    assert checked >= 20
    assert anon_client.get("/health").json()["status"] == "ok"


def test_bad_api_key_is_401_with_message(anon_client: TestClient) -> None:
    response = anon_client.get("/api/v1/devices", headers={"X-API-KEY": "nwk_nope_nope"})
    assert response.status_code == 401
    assert "invalid API key" in response.json()["detail"]


def test_viewer_reads_but_cannot_change(viewer: TestClient) -> None:
    assert viewer.get("/api/v1/devices").status_code == 200
    denied = viewer.post(
        "/api/v1/devices", json={"name": "r1", "host": "10.0.0.1", "platform": "cisco_ios"}
    )
    assert denied.status_code == 403
    assert "operator" in denied.json()["detail"]
    assert viewer.post("/api/v1/credentials", json={}).status_code in (403, 422)
    assert viewer.get("/api/v1/users").status_code == 403


def test_operator_edits_inventory_but_not_users(operator: TestClient) -> None:
    created = operator.post(
        "/api/v1/devices", json={"name": "r1", "host": "10.0.0.1", "platform": "cisco_ios"}
    )
    assert created.status_code == 201
    assert operator.get("/api/v1/users").status_code == 403
    assert (
        operator.post(
            "/api/v1/users", json={"username": "x", "password": "long-enough-pass"}
        ).status_code
        == 403
    )


def test_admin_manages_users_and_new_user_logs_in(admin: TestClient, runtime: Runtime) -> None:
    response = admin.post(
        "/api/v1/users",
        json={"username": "alice", "password": "her-long-password-1", "role": "operator"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["role"] == "operator" and "password" not in body and "password_hash" not in body
    short = admin.post("/api/v1/users", json={"username": "bob", "password": "xq7tiny"})
    assert short.status_code == 422 and "password" in short.json()["detail"]
    assert "xq7tiny" not in short.text  # the rejected secret is not echoed back

    with TestClient(create_app(runtime)) as browser:
        assert (
            browser.post(
                "/api/v1/auth/login", json={"username": "alice", "password": "nope-nope-nope"}
            ).status_code
            == 401
        )
        login = browser.post(
            "/api/v1/auth/login", json={"username": "alice", "password": "her-long-password-1"}
        )
        assert login.status_code == 200
        assert "httponly" in login.headers["set-cookie"].lower()
        me = browser.get("/api/v1/auth/me").json()
        assert me["user"]["username"] == "alice" and me["via"] == "session"
        # a cookie session changes nothing without the double-submit CSRF token
        forged = browser.post("/api/v1/api-keys", json={"name": "forged"})
        assert forged.status_code == 403 and "X-CSRF-Token" in forged.json()["detail"]
        wrong = browser.post(
            "/api/v1/api-keys", json={"name": "forged"}, headers={"X-CSRF-Token": "0" * 40}
        )
        assert wrong.status_code == 403
        csrf = browser.cookies["netweave_csrf"]
        key = browser.post(
            "/api/v1/api-keys", json={"name": "laptop"}, headers={"X-CSRF-Token": csrf}
        ).json()
        assert key["key"].startswith("nwk_")
        listed = browser.get("/api/v1/api-keys").json()
        assert [k["name"] for k in listed] == ["laptop"] and "key" not in listed[0]
        assert browser.post("/api/v1/auth/logout").status_code == 204
        assert browser.get("/api/v1/auth/me").status_code == 401

    with TestClient(create_app(runtime), headers={"X-API-KEY": key["key"]}) as scripted:
        assert scripted.get("/api/v1/auth/me").json()["via"] == "api_key"
        assert scripted.delete(f"/api/v1/api-keys/{key['id']}").json()["revoked_at"]
        assert scripted.get("/api/v1/auth/me").status_code == 401


def test_admin_password_from_env_works_for_login(anon_client: TestClient) -> None:
    ok = anon_client.post(
        "/api/v1/auth/login", json={"username": "admin", "password": TEST_ADMIN_PASSWORD}
    )
    assert ok.status_code == 200 and ok.json()["role"] == "admin"

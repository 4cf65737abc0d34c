"""API keys that expire or are revoked, the API key lifetime cap, the login rate limit and
the audit of auth failures (bounded, without the presented secrets)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from netweave.api.app import create_app
from netweave.core.access import failures, tokens, users
from netweave.core.access.schemas import ApiKeyCreate, UserCreate
from netweave.core.runtime import Runtime
from netweave.db.models import ApiKey, AuthFailure, Role
from netweave.foundation.settings import Settings
from tests.fixtures.database import TEST_ADMIN_PASSWORD

PASSWORD = "alice-long-password"


def _alice(runtime: Runtime, role: Role = Role.operator) -> str:
    """A user alice and an API key of hers."""
    with runtime.transaction() as session:
        user = users.create_user(
            session, UserCreate(username="alice", password=PASSWORD, role=role)
        )
        principal = tokens.Principal(user.id, user.username, role, "test")
        _, key = tokens.create_api_key(session, principal, ApiKeyCreate(name="laptop"))
    return key


def _stored_text(runtime: Runtime) -> str:
    """Every value of every auth-failure row, as one string."""
    with runtime.transaction() as session:
        rows = session.scalars(select(AuthFailure)).all()
        return " ".join(
            str(getattr(row, column.key)) for row in rows for column in AuthFailure.__table__.c
        )


def _failures(admin: TestClient, **params: str) -> list[dict[str, object]]:
    answer = admin.get("/api/v1/audit/auth-failures", params=params)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, object]] = answer.json()["items"]
    return items


def test_expired_and_revoked_keys_are_401_and_audited_without_the_key(
    runtime: Runtime, admin: TestClient, anon_client: TestClient
) -> None:
    key = _alice(runtime)
    assert anon_client.get("/api/v1/devices", headers={"X-API-KEY": key}).status_code == 200
    with runtime.transaction() as session:
        session.execute(
            update(ApiKey)
            .where(ApiKey.name == "laptop")
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    tokens.key_cache.clear()  # as after TTL seconds: the cache never outlives an expiry
    expired = anon_client.get("/api/v1/devices", headers={"X-API-KEY": key})
    assert expired.status_code == 401 and expired.json()["detail"] == "API key expired"
    assert expired.headers["WWW-Authenticate"] == "APIKey"
    bearer = anon_client.get("/metrics", headers={"Authorization": f"Bearer {key}"})
    assert bearer.status_code == 401 and bearer.json()["detail"] == "API key expired"

    with runtime.transaction() as session:
        session.execute(update(ApiKey).where(ApiKey.name == "laptop").values(expires_at=None))
        row = session.scalar(select(ApiKey).where(ApiKey.name == "laptop"))
        assert row is not None
        key_id = row.id
    assert admin.delete(f"/api/v1/api-keys/{key_id}").status_code == 200
    revoked = anon_client.get("/api/v1/devices", headers={"X-API-KEY": key})
    assert revoked.status_code == 401 and revoked.json()["detail"] == "API key revoked"
    forged = key[:-4] + "AAAA"
    assert anon_client.get("/jobs", headers={"X-API-KEY": forged}).status_code == 401

    rows = _failures(admin, kind="api_key")
    reasons = {(r["username"], r["path"], str(r["reason"]).split(" (")[0]) for r in rows}
    assert ("alice", "/api/v1/devices", "API key expired") in reasons
    assert ("alice", "/metrics", "API key expired") in reasons
    assert ("alice", "/api/v1/devices", "API key revoked") in reasons
    assert (None, "/jobs", "invalid API key") in reasons  # the owner is not trusted from a bad key
    prefix = key.split("_")[1]
    assert any(prefix in str(r["reason"]) for r in rows)  # the public prefix names the key
    stored = _stored_text(runtime)
    # the secret part (it may itself contain "_": split at the first two only)
    assert key.split("_", 2)[2] not in stored and forged.split("_", 2)[2] not in stored


def test_api_key_lifetime_is_capped_by_the_setting(runtime: Runtime, admin: TestClient) -> None:
    runtime.settings.api_key_max_days = 30
    capped = admin.post("/api/v1/api-keys", json={"name": "ci"})
    assert capped.status_code == 201
    expires = datetime.fromisoformat(capped.json()["expires_at"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    later = (datetime.now(UTC) + timedelta(days=31)).isoformat()
    too_long = admin.post("/api/v1/api-keys", json={"name": "ci2", "expires_at": later})
    assert too_long.status_code == 422 and too_long.json()["field"] == "expires_at"
    assert "30 days" in too_long.json()["detail"]
    sooner = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    ok = admin.post("/api/v1/api-keys", json={"name": "ci3", "expires_at": sooner})
    assert ok.status_code == 201


def _login(client: TestClient, username: str, password: str) -> int:
    return client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    ).status_code


def _browser(runtime: Runtime, address: str) -> TestClient:
    return TestClient(create_app(runtime), client=(address, 40000))


def test_login_rate_limit_per_username_and_address(runtime: Runtime) -> None:
    _alice(runtime)
    with _browser(runtime, "10.0.0.1") as one, _browser(runtime, "10.0.0.2") as two:
        # per (username, address): five failures, then 429 even for the password
        for attempt in range(5):
            assert _login(one, "alice", f"wrong-{attempt}") == 401
        refused = one.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "try again" in refused.json()["detail"]
        assert _login(one, "admin", TEST_ADMIN_PASSWORD) == 200  # other users are unaffected
        # the guesser does not lock alice out from her own address
        assert _login(two, "alice", PASSWORD) == 200

    runtime.settings.login_max_failures_per_address = 5
    with _browser(runtime, "10.0.0.3") as three, _browser(runtime, "10.0.0.4") as four:
        # per address: failures for different names (spraying), then the address waits
        for attempt in range(5):
            assert _login(three, f"nobody-{attempt}", "wrong-password") == 401
        assert _login(three, "admin", TEST_ADMIN_PASSWORD) == 429
        assert _login(four, "admin", TEST_ADMIN_PASSWORD) == 200

    runtime.settings.login_max_failures_per_address = 100
    with _browser(runtime, "10.0.0.5") as five:
        # a success resets: four failures, a success, four more failures are all 401
        for _ in range(4):
            assert _login(five, "admin", "wrong-password") == 401
        assert _login(five, "admin", TEST_ADMIN_PASSWORD) == 200
        assert [_login(five, "admin", "wrong-password") for _ in range(5)] == [401] * 5
        assert _login(five, "admin", "wrong-password") == 429


def test_login_rate_limit_holds_across_threads_and_processes(
    runtime: Runtime, settings: Settings
) -> None:
    """Two runtimes on one database stand for two server processes (nothing is shared
    in memory); ten concurrent attempts from one address: exactly five are checked, five
    refused."""
    _alice(runtime)
    second = Runtime.open(settings, migrate=False, bootstrap=False)
    try:
        clients = [_browser(runtime, "10.0.1.1"), _browser(second, "10.0.1.1")]
        with ThreadPoolExecutor(10) as pool:
            codes = list(
                pool.map(lambda n: _login(clients[n % 2], "alice", f"guess-{n}"), range(10))
            )
        assert sorted(codes) == [401] * 5 + [429] * 5
        assert _login(clients[1], "alice", PASSWORD) == 429
        for client in clients:
            client.close()
    finally:
        second.close()


def test_login_limit_setting_zero_turns_it_off(runtime: Runtime) -> None:
    runtime.settings.login_max_failures = 0
    with _browser(runtime, "10.0.2.1") as client:
        assert [_login(client, "admin", "wrong-password") for _ in range(7)] == [401] * 7
        assert _login(client, "admin", TEST_ADMIN_PASSWORD) == 200


def test_auth_failures_audited_for_admins_without_secrets(
    runtime: Runtime, admin: TestClient, viewer: TestClient
) -> None:
    _alice(runtime)
    with _browser(runtime, "10.0.3.1") as browser:
        for _ in range(3):
            assert _login(browser, "alice", "Tr0ub4dor&3-secret") == 401
        assert _login(browser, "Tr0ub4dor&3-typed-as-name", "x") == 401
        assert _login(browser, "alice", PASSWORD) == 200
        csrf = browser.post("/api/v1/api-keys", json={"name": "forged"})  # no X-CSRF-Token
        assert csrf.status_code == 403
    assert viewer.post("/api/v1/devices", json={}).status_code == 403
    assert viewer.get("/api/v1/audit/auth-failures").status_code == 403

    logins = _failures(admin, kind="login")
    wrong = [r for r in logins if r["username"] == "alice"]
    assert len(wrong) == 1 and wrong[0]["count"] == 3  # three identical failures, one row
    assert wrong[0]["reason"] == "wrong password" and wrong[0]["client_ip"] == "10.0.3.1"
    assert wrong[0]["path"] == "/api/v1/auth/login" and wrong[0]["method"] == "POST"
    unknown = [r for r in logins if r["reason"] == "unknown user"]
    assert len(unknown) == 1 and unknown[0]["username"] is None  # not the typed name
    (csrf_row,) = _failures(admin, kind="csrf")
    assert csrf_row["username"] == "alice" and csrf_row["path"] == "/api/v1/api-keys"
    assert "X-CSRF-Token" in str(csrf_row["reason"])
    forbidden = _failures(admin, kind="forbidden")
    assert any(
        r["path"] == "/api/v1/devices"
        and "operator" in str(r["reason"])
        and str(r["username"]).startswith("viewer")
        for r in forbidden
    )
    assert any(r["path"] == "/api/v1/audit/auth-failures" for r in forbidden)
    stored = _stored_text(runtime)
    assert "Tr0ub4dor" not in stored and PASSWORD not in stored


def test_a_flood_of_failures_stays_bounded(runtime: Runtime) -> None:
    bounded = failures.Bounds(coalesce=60, max_rows=100)

    def failure(path: str) -> failures.Failure:
        return failures.Failure("api_key", None, "10.9.9.9", "GET", path, "invalid API key")

    with runtime.transaction() as session:
        for _ in range(500):  # the same failure again and again: one row
            failures.record(session, failure("/jobs"), bounded)
        for n in range(250):  # all different: the newest max_rows are kept
            failures.record(session, failure(f"/api/v1/devices/{n}"), bounded)
    with runtime.transaction() as session:
        rows = session.scalars(select(AuthFailure).order_by(AuthFailure.id)).all()
        assert len(rows) <= bounded.max_rows
        assert rows[-1].path == "/api/v1/devices/249"
        assert all(r.path != "/jobs" for r in rows)  # the oldest row went first
    with runtime.transaction() as session:
        failures.record(session, failure("/jobs"), bounded)
        failures.record(session, failure("/jobs"), bounded)
        latest = session.scalar(select(AuthFailure).order_by(AuthFailure.id.desc()).limit(1))
        assert latest is not None and latest.path == "/jobs" and latest.count == 2

"""User lifecycle (issue 19, item 4): the password policy (length, character classes, no
username, no reuse of recent passwords) on every password a person chooses; expiry; a change
forced at the next sign-in without a reset; a directory user's password is the directory's;
deleting a user hands what they own over to another user who could own it, in one
transaction, recorded in the changelog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from netweave.api.app import create_app
from netweave.core.access import password_policy, users
from netweave.core.runtime import Runtime
from netweave.db.models import Automation, EventRule, Role, Task, Trigger
from netweave.foundation.errors import Conflict
from netweave.foundation.settings import Settings
from tests.fixtures.api import ClientFactory
from tests.fixtures.database import TEST_ADMIN_PASSWORD

GOOD = "Quiet-Harbor-4821"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The suite's settings with a stricter policy: 3 classes, the last 2 passwords kept."""
    return Settings(
        mode="dev",
        data_dir=tmp_path / "data",
        database_url=database_url,
        admin_password=TEST_ADMIN_PASSWORD,
        password_min_length=14,
        password_min_classes=3,
        password_history=1,
        password_max_age_days=30,
    )


def _ok(answer: Any, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    return dict(answer.json()) if answer.content else {}


def _refused(answer: Any, status: int, field: str, *words: str) -> str:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body.get("field") == field or field in body["detail"], body
    for word in words:
        assert word in body["detail"], body
    return str(body["detail"])


def _sign_in(client: TestClient, username: str, password: str) -> int:
    body = {"username": username, "password": password}
    return client.post("/api/v1/auth/login", json=body).status_code


def _change(client: TestClient, new: str, current: str | None = None) -> Any:
    body: dict[str, str] = {"new_password": new}
    if current is not None:
        body["current_password"] = current
    csrf = {"X-CSRF-Token": client.cookies["netweave_csrf"]}
    return client.post("/api/v1/auth/password", json=body, headers=csrf)


def test_the_policy_applies_to_every_chosen_password(admin: TestClient, runtime: Runtime) -> None:
    def create(password: str) -> Any:
        body = {"username": "alice", "password": password, "role": "operator"}
        return admin.post("/api/v1/users", json=body)

    for password, rule in (
        ("Short-1a-xyz", "password_min_length"),
        ("alllowercaseletters", "password_min_classes"),
        ("Alice-Wonder-2024", "username"),
    ):
        detail = _refused(create(password), 422, "password", rule)
        assert password not in detail  # never echoed
    alice = _ok(create(GOOD), 201)
    assert alice["source"] == "local" and alice["password_changed_at"] is not None

    # an admin setting it: the same rules, and not the current one again
    path = f"/api/v1/users/{alice['id']}"
    _refused(admin.patch(path, json={"password": "weakweakweakweak"}), 422, "password", "classes")
    _refused(admin.patch(path, json={"password": GOOD}), 422, "password", "must differ")
    second = "Silver-Canyon-5530"
    _ok(admin.patch(path, json={"password": second}))

    # her own change: the policy, and neither of the last 2 (password_history 1 + current)
    with TestClient(create_app(runtime)) as browser:
        assert _sign_in(browser, "alice", second) == 200
        _refused(_change(browser, "tooweakpassword", second), 422, "new_password", "classes")
        _refused(_change(browser, GOOD, second), 422, "new_password", "last 2 passwords")
        third = "Amber-Meadow-9917"
        _ok(_change(browser, third, second))
        _ok(_change(browser, GOOD, third))  # 2 changes ago: allowed again
    log = admin.get("/api/v1/changelog", params={"object_type": "user", "limit": 50}).json()
    for entry in log["items"]:  # hashes of old passwords are secret like the current one
        assert entry["changes"].get("password_history", "***") == "***"


def test_forced_change_and_expiry_and_directory_users(admin: TestClient, runtime: Runtime) -> None:
    bob = _ok(admin.post("/api/v1/users", json={"username": "bob", "password": GOOD}), 201)
    path = f"/api/v1/users/{bob['id']}"
    with TestClient(create_app(runtime)) as early:  # a session open before the flag
        assert _sign_in(early, "bob", GOOD) == 200
        forced = _ok(admin.patch(path, json={"must_change_password": True}))
        assert forced["must_change_password"] is True
        held = early.get("/api/v1/devices")  # open sessions are held to it at once
        assert held.status_code == 403 and "new password" in held.json()["detail"]
    with TestClient(create_app(runtime)) as browser:
        assert _sign_in(browser, "bob", GOOD) == 200  # the current password, once
        assert browser.get("/api/v1/auth/me").json()["user"]["must_change_password"] is True
        with TestClient(create_app(runtime)) as second:
            assert _sign_in(second, "bob", GOOD) == 401  # spent by that sign-in
        _refused(_change(browser, GOOD), 422, "new_password", "must differ")  # the same again
        _ok(_change(browser, "Copper-Lantern-3308"))  # no current password asked
        assert browser.get("/api/v1/devices").status_code == 200

    # expiry (password_max_age_days 30): the sign-in's check, for local users only
    with runtime.transaction() as session:
        user = users.get_user(session, bob["id"])
        assert not password_policy.password_expired(user, runtime.settings)
        user.password_changed_at = datetime.now(UTC) - timedelta(days=31)
        assert password_policy.password_expired(user, runtime.settings)
        assert password_policy.apply_expiry(user, runtime.settings)
        assert user.must_change_password
        user.source = "directory"
        assert not password_policy.password_expired(user, runtime.settings)
        user.source = "local"
        never = password_policy.PasswordPolicy(max_age_days=0)
        assert not password_policy.password_expired(user, never)
    # and through a real sign-in: an expired password opens a change-only session
    with runtime.transaction() as session:
        expired = users.get_user(session, bob["id"])
        expired.must_change_password = False
        expired.password_changed_at = datetime.now(UTC) - timedelta(days=31)
    with TestClient(create_app(runtime)) as browser:
        assert _sign_in(browser, "bob", "Copper-Lantern-3308") == 200
        assert browser.get("/api/v1/auth/me").json()["user"]["must_change_password"] is True
        assert browser.get("/api/v1/devices").status_code == 403
    reset = _ok(admin.post(f"{path}/password-reset"))
    changed_at = datetime.fromisoformat(reset["user"]["password_changed_at"])
    assert datetime.now(UTC) - changed_at < timedelta(minutes=5)  # a reset restarts the clock

    # a directory user's password is the directory's
    with runtime.transaction() as session:
        user = users.get_user(session, bob["id"])
        user.source = "directory"
    for answer, field in (
        (admin.patch(path, json={"password": "Velvet-Thunder-6402"}), "password"),
        (admin.patch(path, json={"must_change_password": True}), "must_change_password"),
        (admin.post(f"{path}/password-reset"), "user_id"),
    ):
        _refused(answer, 409, field, "directory")
    with runtime.transaction() as session, pytest.raises(Conflict, match="directory"):
        users.change_password(session, bob["id"], None, "Velvet-Thunder-6402", None)


def _key_for(admin: TestClient, user_id: int) -> TestClient:
    made = _ok(admin.post("/api/v1/api-keys", json={"name": "k", "user_id": user_id}), 201)
    return TestClient(admin.app, headers={"X-API-KEY": made["key"]})


def _owners(runtime: Runtime) -> dict[str, str]:
    with runtime.transaction() as session:
        found: dict[str, str] = {}
        for model in (Automation, Task, Trigger, EventRule):
            for name, owner in session.execute(select(model.name, model.created_by)):
                found[name] = owner
        return found


def test_delete_hands_ownership_over_to_a_user_who_can_own_it(
    admin: TestClient, client_as: ClientFactory, runtime: Runtime
) -> None:
    for name, host in (("d-a", "10.9.0.1"), ("d-b", "10.9.0.2")):
        body = {"name": name, "host": host, "platform": "cisco_ios"}
        _ok(admin.post("/api/v1/devices", json=body), 201)
    _ok(admin.post("/api/v1/pools", json={"name": "pool-a", "devices": ["d-a"]}), 201)
    people = {}
    for name, role in (("olga", "admin"), ("otto", "operator"), ("fay", "operator")):
        body = {"username": name, "password": GOOD, "role": role}
        people[name] = _ok(admin.post("/api/v1/users", json=body), 201)
    _ok(admin.put(f"/api/v1/users/{people['fay']['id']}/pools", json={"pools": ["pool-a"]}))
    viewer = client_as(Role.viewer)
    viewer_name = viewer.get("/api/v1/auth/me").json()["user"]["username"]

    olga = _key_for(admin, people["olga"]["id"])
    check = {"name": "Check", "type": "reachability", "inputs": {"kind": "tcp", "port": 9}}
    _ok(olga.post("/api/v1/services", json=check), 201)
    task: dict[str, Any] = {"name": "nightly", "automation": "Check", "kind": "interval"}
    task |= {"interval_seconds": 86400, "paused": True, "targets": {"devices": ["d-b"]}}
    _ok(olga.post("/api/v1/tasks", json=task), 201)
    hook = {"name": "hook", "automation": "Check", "targets": {"pools": ["pool-a"]}}
    _ok(olga.post("/api/v1/triggers", json=hook), 201)
    rule = {"name": "down", "automation": "Check", "match": {"regex": "DOWN", "pool": "pool-a"}}
    _ok(olga.post("/api/v1/event-rules", json=rule), 201)
    with runtime.transaction() as session:  # a privileged service (code on a NetWeave host)
        play = Automation(name="Play", kind="service", type="ansible_playbook", created_by="olga")
        session.add(play)
    owned = {"Check", "Play", "nightly", "hook", "down"}
    path = f"/api/v1/users/{people['olga']['id']}"

    detail = _refused(admin.delete(path), 409, "transfer_to", "transfer_to=")
    assert "2 services and workflows, 1 tasks, 1 triggers, 1 event rules" in detail
    _refused(admin.delete(path, params={"transfer_to": "nobody"}), 404, "transfer_to", "nobody")
    _refused(admin.delete(path, params={"transfer_to": viewer_name}), 409, "transfer_to", "viewer")
    _refused(admin.delete(path, params={"transfer_to": "otto"}), 409, "transfer_to", "'Play'")
    _ok(admin.delete(f"/api/v1/services/{_service_id(admin, 'Play')}"), 204)
    owned.discard("Play")
    # fay's fence (pool-a) does not hold the task's d-b: its firings would act outside it
    _refused(admin.delete(path, params={"transfer_to": "fay"}), 409, "transfer_to", "'nightly'")
    assert {name: _owners(runtime)[name] for name in owned} == dict.fromkeys(owned, "olga")

    _ok(admin.delete(path, params={"transfer_to": "otto"}), 204)
    assert {name: _owners(runtime)[name] for name in owned} == dict.fromkeys(owned, "otto")
    assert admin.get(path).status_code == 404
    log = admin.get("/api/v1/changelog", params={"action": "update", "limit": 100}).json()
    moved = {
        e["object_name"]
        for e in log["items"]
        if e["changes"].get("created_by") == {"from": "olga", "to": "otto"}
    }
    assert moved == owned
    # nothing left to hand over: a plain delete
    _ok(admin.delete(f"/api/v1/users/{people['fay']['id']}"), 204)


def _service_id(admin: TestClient, name: str) -> int:
    rows = admin.get("/api/v1/services").json()
    rows = rows if isinstance(rows, list) else rows["items"]
    return int(next(r["id"] for r in rows if r["name"] == name))

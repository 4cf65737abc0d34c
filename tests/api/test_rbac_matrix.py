"""The authorization matrix: every route the app serves — OpenAPI routes, the WebSocket
terminal, /metrics, the UI — against one declared table of minimum roles.

For each route: no credentials → 401 (unless it is a listed public exemption), and for a
viewer, an operator and an admin either "allowed" (anything but 401/403: the request may
still be a 404 or 422, success is not the point) or 403, exactly as the table says. A
trigger-scoped API key gets 403 everywhere but on firing a trigger.

A route missing from the table fails the suite: nobody adds an unguarded route unnoticed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route
from starlette.websockets import WebSocketDisconnect

from netweave.api.app import create_app
from netweave.core.access import tokens, users
from netweave.core.access.schemas import ApiKeyCreate, UserCreate
from netweave.core.runtime import Runtime
from netweave.db.models import Role
from netweave.web import mount_ui
from tests.fixtures.database import ONE_BACKEND

pytestmark = ONE_BACKEND  # the subject does not depend on the SQL backend

V, OP, A = Role.viewer, Role.operator, Role.admin
TRIGGER = "trigger"  # an operator (full key or session), or an operator's trigger-scoped key

# Reachable without credentials, and why. Nothing else is.
PUBLIC: dict[tuple[str, str], str] = {
    ("GET", "/health"): "liveness probe for load balancers: status, version, database ok",
    ("POST", "/api/v1/auth/login"): "how a browser gets credentials (rate limited, audited)",
    ("POST", "/api/v1/auth/logout"): "ends the caller's own login session (nothing without one)",
    ("GET", "/"): "redirects to /ui/",
    ("GET", "/ui"): "the UI's static single-page shell (its data comes from the guarded API)",
    ("GET", "/ui/{path:path}"): "the UI's static single-page shell for client-side routes",
    ("MOUNT", "/ui/assets"): "the UI's static assets (JS, CSS, offline map data)",
    ("GET", "/openapi.json"): "the API description, no data (the UI's forms and /docs read it)",
    ("GET", "/docs"): "Swagger UI page for the API description (static HTML)",
    ("GET", "/docs/oauth2-redirect"): "part of Swagger UI (static HTML)",
    ("MOUNT", "/docs/assets"): "Swagger UI's scripts and styles (served here: no CDN)",
    ("GET", "/favicon.ico"): "the site icon browsers ask for (static)",
    ("GET", "/favicon.svg"): "the site icon (static)",
    ("GET", "/ui/favicon.ico"): "the site icon under the UI's path (static)",
    ("GET", "/ui/favicon.svg"): "the site icon under the UI's path (static)",
}

# The minimum role of every guarded route.
MINIMUM: dict[tuple[str, str], Role | str] = {
    # identity, users, keys, audit
    ("GET", "/api/v1/auth/me"): V,
    ("POST", "/api/v1/auth/password"): V,  # one's own password
    ("GET", "/api/v1/users"): A,
    ("POST", "/api/v1/users"): A,
    ("GET", "/api/v1/users/{user_id}"): A,
    ("PATCH", "/api/v1/users/{user_id}"): A,
    ("DELETE", "/api/v1/users/{user_id}"): A,
    ("POST", "/api/v1/users/{user_id}/password-reset"): A,
    ("GET", "/api/v1/users/{user_id}/pools"): A,
    ("PUT", "/api/v1/users/{user_id}/pools"): A,
    ("GET", "/api/v1/users/{user_id}/rights"): A,
    ("GET", "/api/v1/groups"): A,
    ("POST", "/api/v1/groups"): A,
    ("GET", "/api/v1/groups/{group_id}"): A,
    ("PATCH", "/api/v1/groups/{group_id}"): A,
    ("DELETE", "/api/v1/groups/{group_id}"): A,
    ("GET", "/api/v1/access/matrix"): A,
    ("GET", "/api/v1/access/groups"): OP,  # owners grant rights to groups
    ("GET", "/api/v1/access/{kind}/{object_id}"): V,  # what the caller may do with it
    ("PUT", "/api/v1/access/{kind}/{object_id}"): OP,  # admins and the object's owner
    ("GET", "/api/v1/api-keys"): V,  # one's own keys (admins: ?all_users=true)
    ("POST", "/api/v1/api-keys"): V,
    ("DELETE", "/api/v1/api-keys/{key_id}"): V,
    ("GET", "/api/v1/audit/auth-failures"): A,
    ("GET", "/api/v1/changelog"): V,
    # inventory
    ("GET", "/api/v1/credentials"): V,
    ("POST", "/api/v1/credentials"): A,
    ("GET", "/api/v1/credentials/{credential_id}"): V,
    ("PATCH", "/api/v1/credentials/{credential_id}"): A,
    ("DELETE", "/api/v1/credentials/{credential_id}"): A,
    ("POST", "/api/v1/credentials/bulk-delete"): A,
    ("GET", "/api/v1/bastions"): V,
    ("POST", "/api/v1/bastions"): A,
    ("GET", "/api/v1/bastions/{bastion_id}"): V,
    ("PATCH", "/api/v1/bastions/{bastion_id}"): A,
    ("DELETE", "/api/v1/bastions/{bastion_id}"): A,
    ("POST", "/api/v1/bastions/bulk-delete"): A,
    ("GET", "/api/v1/devices"): V,
    ("POST", "/api/v1/devices"): OP,
    ("GET", "/api/v1/devices/{device_id}"): V,
    ("PATCH", "/api/v1/devices/{device_id}"): OP,
    ("DELETE", "/api/v1/devices/{device_id}"): OP,
    ("PATCH", "/api/v1/devices/bulk"): OP,
    ("POST", "/api/v1/devices/bulk-delete"): OP,
    ("GET", "/api/v1/links"): V,
    ("POST", "/api/v1/links"): OP,
    ("GET", "/api/v1/links/{link_id}"): V,
    ("PATCH", "/api/v1/links/{link_id}"): OP,
    ("DELETE", "/api/v1/links/{link_id}"): OP,
    ("POST", "/api/v1/links/bulk-delete"): OP,
    ("GET", "/api/v1/pools"): V,
    ("POST", "/api/v1/pools"): OP,
    ("GET", "/api/v1/pools/{pool_id}"): V,
    ("GET", "/api/v1/pools/{pool_id}/devices"): V,
    ("PATCH", "/api/v1/pools/{pool_id}"): OP,
    ("DELETE", "/api/v1/pools/{pool_id}"): OP,
    ("POST", "/api/v1/pools/bulk-delete"): OP,
    ("POST", "/api/v1/inventory/import"): OP,
    ("GET", "/api/v1/inventory/export"): V,
    # device operations (NetPulse v0.4)
    ("POST", "/device/test"): OP,
    ("POST", "/device/exec"): OP,
    ("POST", "/device/bulk"): OP,
    ("GET", "/jobs"): V,
    ("DELETE", "/jobs"): OP,
    ("GET", "/jobs/{job_id}"): V,
    ("DELETE", "/jobs/{job_id}"): OP,
    ("GET", "/detached-tasks"): V,
    ("POST", "/detached-tasks/discover"): OP,
    ("GET", "/detached-tasks/{task_id}"): V,
    ("DELETE", "/detached-tasks/{task_id}"): OP,
    ("GET", "/workers"): V,
    ("DELETE", "/workers/{name}"): A,  # stops a worker node for everyone
    ("DELETE", "/workers"): A,  # stops worker nodes for everyone
    ("GET", "/system/stats"): V,
    ("GET", "/storage/fetch/{file_id}"): V,  # its owner's files; operators: their devices'
    ("POST", "/template/render"): OP,
    ("POST", "/template/parse"): V,
    ("POST", "/template/render/{name}"): OP,
    ("POST", "/template/parse/{name}"): V,
    ("GET", "/metrics"): V,
    # automation
    ("GET", "/api/v1/service-types"): V,
    ("POST", "/api/v1/service-types/discover"): A,
    ("GET", "/api/v1/service-types/{name}"): V,
    ("PATCH", "/api/v1/service-types/{name}"): A,  # enabling custom code
    ("GET", "/api/v1/services"): V,
    ("POST", "/api/v1/services"): OP,
    ("GET", "/api/v1/services/{service_id}"): V,
    ("GET", "/api/v1/services/{service_id}/variables"): V,
    ("PATCH", "/api/v1/services/{service_id}"): OP,
    ("DELETE", "/api/v1/services/{service_id}"): OP,
    ("POST", "/api/v1/services/bulk-delete"): OP,
    ("POST", "/api/v1/services/bulk-run"): OP,
    ("GET", "/api/v1/workflows"): V,
    ("POST", "/api/v1/workflows"): OP,
    ("GET", "/api/v1/workflows/{workflow_id}"): V,
    ("GET", "/api/v1/workflows/{workflow_id}/variables"): V,
    ("POST", "/api/v1/migrate/enms"): A,  # makes credentials from the devices' logins
    ("PATCH", "/api/v1/workflows/{workflow_id}"): OP,
    ("DELETE", "/api/v1/workflows/{workflow_id}"): OP,
    ("POST", "/api/v1/workflows/bulk-delete"): OP,
    ("POST", "/api/v1/workflows/bulk-run"): OP,
    ("GET", "/api/v1/automations/export"): V,
    ("POST", "/api/v1/automations/import"): OP,
    ("POST", "/api/v1/run/{name}"): OP,
    ("GET", "/api/v1/runs"): V,
    ("GET", "/api/v1/runs/{run_id}"): V,
    ("POST", "/api/v1/runs/{run_id}/stop"): OP,
    ("POST", "/api/v1/runs/{run_id}/restart"): OP,
    ("GET", "/api/v1/runs/{run_id}/results"): V,
    ("GET", "/api/v1/runs/{run_id}/events"): V,
    ("GET", "/api/v1/results/compare"): V,
    ("GET", "/api/v1/results/{result_id}"): V,
    ("GET", "/api/v1/devices/{device_id}/configs"): V,
    ("GET", "/api/v1/devices/{device_id}/configs/diff"): V,
    ("GET", "/api/v1/devices/{device_id}/configs/{version}"): V,
    ("GET", "/api/v1/configs/search"): V,
    ("POST", "/api/v1/devices/{device_id}/configs/backup"): OP,
    ("POST", "/api/v1/devices/{device_id}/configs/push"): OP,
    ("POST", "/api/v1/devices/{device_id}/configs/rollback"): OP,
    ("GET", "/api/v1/devices/{device_id}/configs/git/log"): V,
    ("GET", "/api/v1/devices/{device_id}/configs/git/show"): V,
    ("GET", "/api/v1/devices/{device_id}/configs/git/diff"): V,
    ("GET", "/api/v1/devices/{device_id}/configs/git/blame"): V,
    ("GET", "/api/v1/configs/git/status"): V,
    ("POST", "/api/v1/configs/git/sync"): A,
    ("GET", "/api/v1/devices/{device_id}/operational"): V,
    ("GET", "/api/v1/devices/{device_id}/operational/{slug}"): V,
    ("GET", "/api/v1/devices/{device_id}/operational/{slug}/history"): V,
    ("GET", "/api/v1/devices/{device_id}/operational/{slug}/diff"): V,
    # scheduling and events
    ("GET", "/api/v1/tasks"): V,
    ("POST", "/api/v1/tasks"): OP,
    ("POST", "/api/v1/tasks/preview"): V,  # computes next firings, stores nothing
    ("GET", "/api/v1/tasks/{task_id}"): V,
    ("PATCH", "/api/v1/tasks/{task_id}"): OP,
    ("DELETE", "/api/v1/tasks/{task_id}"): OP,
    ("POST", "/api/v1/tasks/bulk-delete"): OP,
    ("POST", "/api/v1/tasks/{task_id}/pause"): OP,
    ("POST", "/api/v1/tasks/{task_id}/resume"): OP,
    ("POST", "/api/v1/tasks/{task_id}/run"): OP,
    ("GET", "/api/v1/tasks/{task_id}/firings"): V,
    ("GET", "/api/v1/calendar"): V,
    ("GET", "/api/v1/triggers"): V,
    ("POST", "/api/v1/triggers"): OP,
    ("GET", "/api/v1/triggers/{name}"): V,
    ("PATCH", "/api/v1/triggers/{name}"): OP,
    ("DELETE", "/api/v1/triggers/{name}"): OP,
    ("POST", "/api/v1/triggers/{name}/fire"): TRIGGER,
    ("GET", "/api/v1/syslog"): V,
    ("GET", "/api/v1/syslog/severities"): V,
    ("GET", "/api/v1/syslog/stats"): V,
    ("GET", "/api/v1/syslog/{message_id}"): V,
    ("GET", "/api/v1/event-rules"): V,
    ("POST", "/api/v1/event-rules"): OP,
    ("POST", "/api/v1/event-rules/test"): V,  # tries criteria on a message, runs nothing
    ("GET", "/api/v1/event-rules/{name}"): V,
    ("PATCH", "/api/v1/event-rules/{name}"): OP,
    ("DELETE", "/api/v1/event-rules/{name}"): OP,
    ("POST", "/api/v1/event-rules/bulk-delete"): OP,
    ("GET", "/api/v1/event-rules/{name}/firings"): V,
    # terminal, views
    ("WEBSOCKET", "/api/v1/devices/{device_id}/terminal"): OP,
    ("GET", "/api/v1/terminal-sessions"): V,  # one's own (admins: everyone's)
    ("GET", "/api/v1/terminal-sessions/{session_id}"): V,
    ("GET", "/api/v1/dashboard"): V,
    ("GET", "/api/v1/network/geo"): V,
    ("GET", "/api/v1/network/topology"): V,
    ("GET", "/api/v1/ui/settings"): V,
}

UUID = "00000000-0000-4000-8000-000000000000"
PATH_VALUES = {
    "job_id": UUID,
    "run_id": UUID,
    "name": "no-such-name",
    "slug": "show-version",
    "path:path": "devices",
    "kind": "service",
}
MISSING_ID = "999999"  # any other {..._id} and {version}


def served_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of everything the app answers: HTTP methods, WEBSOCKET, MOUNT."""
    found: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path
        assert path is not None, route
        if isinstance(route, APIWebSocketRoute):
            found.add(("WEBSOCKET", path))
        elif isinstance(route, Mount):
            found.add(("MOUNT", path))
        elif isinstance(route, APIRoute | Route):
            methods = set(context.methods or ())
            if "GET" in methods:
                methods.discard("HEAD")  # Starlette adds HEAD to every GET
            found |= {(method, path) for method in methods}
        else:
            found.add((type(route).__name__, repr(route)))
    return found


def unlisted(app: FastAPI) -> set[tuple[str, str]]:
    return served_routes(app) - set(PUBLIC) - set(MINIMUM)


def concrete(path: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in PATH_VALUES:
            return PATH_VALUES[name]
        assert name.endswith("_id") or name == "version", f"add a value for {{{name}}}"
        return MISSING_ID

    return re.sub(r"\{([^}]+)\}", value, path)


@dataclass
class Callers:
    app: FastAPI
    anonymous: TestClient
    by_role: dict[Role, TestClient]
    trigger_key: TestClient


def _key(runtime: Runtime, role: Role, scope: str = "full") -> str:
    with runtime.transaction() as session:
        if role is Role.admin:
            user = users.find_user(session, runtime.settings.admin_username)
            assert user is not None
        else:
            name = f"rbac-{role.value}-{scope}"
            user = users.create_user(
                session, UserCreate(username=name, password="a-long-enough-password", role=role)
            )
        principal = tokens.Principal(user.id, user.username, Role(user.role), "test")
        _, key = tokens.create_api_key(
            session,
            principal,
            ApiKeyCreate(name="rbac", scope="trigger" if scope == "trigger" else "full"),
        )
    return key


@pytest.fixture
def callers(runtime: Runtime) -> Iterator[Callers]:
    app = create_app(runtime)
    assert mount_ui(app), "the UI is part of what the app serves"
    keys = {role: _key(runtime, role) for role in (V, OP, A)}
    trigger = _key(runtime, OP, "trigger")

    def client(key: str | None) -> TestClient:
        headers = {"X-API-KEY": key} if key else {}
        return TestClient(app, headers=headers, raise_server_exceptions=False)

    opened = [client(None), *(client(keys[r]) for r in (V, OP, A)), client(trigger)]
    yield Callers(app, opened[0], dict(zip((V, OP, A), opened[1:4], strict=True)), opened[4])
    for each in opened:
        each.close()


def _status(client: TestClient, method: str, path: str) -> int:
    """The HTTP status, or for a WebSocket the close code minus 4000 (4403 → 403)."""
    url = concrete(path)
    if method == "WEBSOCKET":
        try:
            with client.websocket_connect(url) as socket:
                socket.receive_bytes()
        except WebSocketDisconnect as closed:
            return closed.code - 4000 if closed.code >= 4000 else closed.code
        raise AssertionError(f"{url}: the terminal opened for a device that does not exist")
    if method == "MOUNT":
        method, url = "GET", f"{url}/{_an_asset()}"
    return client.request(method, url).status_code


def _an_asset() -> str:
    from netweave.web.mount import STATIC

    return next(p.name for p in (STATIC / "assets").iterdir() if p.is_file())


def test_every_served_route_is_in_the_table(callers: Callers) -> None:
    missing = unlisted(callers.app)
    assert not missing, (
        f"route(s) without a declared minimum role: {sorted(missing)}; add them to MINIMUM "
        "(or, with a reason, to PUBLIC) in tests/api/test_rbac_matrix.py"
    )
    stale = (set(MINIMUM) | set(PUBLIC)) - served_routes(callers.app)
    assert not stale, f"the table lists routes the app no longer serves: {sorted(stale)}"
    documented = {
        (method.upper(), path)
        for path, operations in callers.app.openapi()["paths"].items()
        for method in operations
    }
    assert documented <= served_routes(callers.app)  # the enumeration misses nothing
    assert len(documented) >= 100


def test_an_unlisted_route_is_reported(runtime: Runtime) -> None:
    app = create_app(runtime)

    @app.get("/api/v1/sneaky")
    def sneaky() -> dict[str, str]:
        return {"guard": "none"}

    assert unlisted(app) == {("GET", "/api/v1/sneaky")}


def test_unauthenticated_gets_401_except_the_public_routes(callers: Callers) -> None:
    wrong = {}
    for method, path in sorted(MINIMUM):
        status = _status(callers.anonymous, method, path)
        if status != 401:
            wrong[(method, path)] = status
    assert not wrong, f"reachable without credentials: {wrong}"
    for method, path in PUBLIC:
        status = _status(callers.anonymous, method, path)
        assert status not in (401, 403) and status < 500, (method, path, status)


@pytest.mark.parametrize("role", [V, OP, A], ids=lambda r: r.value)
def test_each_role_is_allowed_or_refused_as_declared(callers: Callers, role: Role) -> None:
    client = callers.by_role[role]
    wrong = {}
    for (method, path), minimum in sorted(MINIMUM.items(), key=lambda item: item[0]):
        needed = Role.operator if minimum == TRIGGER else minimum
        assert isinstance(needed, Role)
        status = _status(client, method, path)
        expected = "allowed" if role.rank >= needed.rank else "403"
        got = "403" if status == 403 else "401" if status == 401 else "allowed"
        if got != expected or status >= 500:
            wrong[(method, path)] = (expected, status)
    assert not wrong, f"{role.value}: {wrong}"


def test_trigger_scoped_key_only_fires_triggers(callers: Callers) -> None:
    client = callers.trigger_key
    wrong = {}
    for method, path in sorted(MINIMUM):
        status = _status(client, method, path)
        fires = MINIMUM[(method, path)] == TRIGGER
        if (status == 403) == fires or status == 401:
            wrong[(method, path)] = status
    assert not wrong, f"trigger-scoped key: {wrong}"
    refused = client.get("/api/v1/devices")
    assert refused.status_code == 403
    assert "may only fire triggers" in refused.json()["detail"]
    fired = client.post("/api/v1/triggers/no-such-name/fire", json={})
    assert fired.status_code == 404 and "no-such-name" in fired.json()["detail"]

"""Issue 20 items 1 and 3: ``GET /jobs/{id}`` and a JSON ``POST /device/exec`` from a
caller whose API key is cached are answered before FastAPI's routing
(netweave/api/hot_paths.py), with the route's very answer: the same status, headers and
bytes, errors included. Everything else is the route's: unknown jobs, bad or unknown query
parameters, bodies that do not parse, trigger-scoped keys, keys not yet verified, login
cookies, too low a role."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from netweave.api.hot_paths import POLL, SUBMIT, HotPaths
from netweave.core.access import tokens, users
from netweave.core.access.schemas import ApiKeyCreate, UserCreate
from netweave.core.runtime import Runtime
from netweave.db.models import Role
from netweave.lab import LabThread
from tests.fixtures.api import ClientFactory
from tests.fixtures.database import ONE_BACKEND, TEST_ADMIN_PASSWORD

pytestmark = ONE_BACKEND  # the subject is the HTTP layer


def _fast_path(client: TestClient) -> HotPaths:
    """The app's HotPaths middleware (the stack is built on the first request)."""
    layer: Any = client.app.middleware_stack  # type: ignore[attr-defined]
    while layer is not None and not isinstance(layer, HotPaths):
        layer = getattr(layer, "app", None)
    assert isinstance(layer, HotPaths), "HotPaths is not in the application's stack"
    return layer


def _exec_body(lab: LabThread) -> dict[str, Any]:
    device = lab.devices[0]
    return {
        "connection_args": {
            "host": device.host,
            "port": device.port,
            "username": "netweave",
            "password": "netweave",
            "device_type": "cisco_ios",
        },
        "command": "show clock",
    }


def _finished_job(operator: TestClient, lab: LabThread) -> str:
    accepted = operator.post("/device/exec", json=_exec_body(lab))
    assert accepted.status_code in (200, 201), accepted.text
    job_id: str = accepted.json()["id"]
    done = operator.get(f"/jobs/{job_id}", params={"wait": 30})
    assert done.json()["status"] == "finished", done.text
    return job_id


def _key(runtime: Runtime, name: str, role: Role, scope: str = "full") -> str:
    with runtime.transaction() as session:
        user = users.create_user(
            session, UserCreate(username=name, password="a-long-enough-password", role=role)
        )
        principal = tokens.Principal(user.id, user.username, role, "test")
        _, key = tokens.create_api_key(session, principal, ApiKeyCreate(name=name, scope=scope))
    return key


def test_a_cached_key_gets_the_routes_answer_without_the_route(
    client_as: ClientFactory, lab: LabThread
) -> None:
    operator = client_as(Role.operator)
    job_id = _finished_job(operator, lab)
    viewer = client_as(Role.viewer)
    poll = _fast_path(viewer)
    before = poll.answered[POLL]
    by_route = viewer.get(f"/jobs/{job_id}")  # the key's first use: verified by the route
    assert poll.answered[POLL] == before
    for query in ("", "?wait=0", "?wait=2.5"):
        fast = viewer.get(f"/jobs/{job_id}{query}")
        assert fast.status_code == by_route.status_code == 200
        assert fast.content == by_route.content
        assert dict(fast.headers) == dict(by_route.headers)  # security headers included
    assert fast.headers["content-security-policy"].startswith("default-src 'self'")
    assert poll.answered[POLL] == before + 3
    discovered = viewer.get(f"/jobs/task_{job_id}")  # NetPulse's discover_jobs ids
    assert discovered.content == by_route.content and poll.answered[POLL] == before + 4


def test_everything_else_is_answered_by_the_route(
    client_as: ClientFactory, runtime: Runtime, lab: LabThread
) -> None:
    operator = client_as(Role.operator)
    job_id = _finished_job(operator, lab)
    viewer = client_as(Role.viewer)
    assert viewer.get(f"/jobs/{job_id}").status_code == 200  # the key is cached now
    poll = _fast_path(viewer)
    before = poll.answered[POLL]

    missing = viewer.get("/jobs/no-such-job")
    assert missing.status_code == 404 and "no-such-job" in missing.json()["detail"]
    too_long = viewer.get(f"/jobs/{job_id}", params={"wait": 61})
    assert too_long.status_code == 422 and "wait" in too_long.text
    not_a_number = viewer.get(f"/jobs/{job_id}", params={"wait": "soon"})
    assert not_a_number.status_code == 422 and "wait" in not_a_number.text
    unknown = viewer.get(f"/jobs/{job_id}", params={"verbose": 1})
    assert unknown.status_code == 422 and "verbose" in unknown.text
    assert viewer.get(f"/jobs/{job_id}/extra").status_code == 404
    oversized = viewer.request("GET", f"/jobs/{job_id}", content=b"x" * ((2 << 20) + 1))
    assert oversized.status_code == 413  # a GET with a body: the body limit judges it
    anonymous = TestClient(viewer.app).get(f"/jobs/{job_id}")
    assert anonymous.status_code == 401
    assert poll.answered[POLL] == before  # none of these was the fast path's

    trigger_key = _key(runtime, "poll-trigger", Role.operator, scope="trigger")
    with TestClient(viewer.app, headers={"X-API-KEY": trigger_key}) as trigger_only:
        for _ in range(2):  # uncached, then cached: refused by the route both times
            refused = trigger_only.get(f"/jobs/{job_id}")
            assert refused.status_code == 403 and "trigger" in refused.json()["detail"]
    assert poll.answered[POLL] == before

    signed_in = TestClient(viewer.app)
    login = signed_in.post(
        "/api/v1/auth/login",
        json={"username": runtime.settings.admin_username, "password": TEST_ADMIN_PASSWORD},
    )
    assert login.status_code == 200, login.text
    by_cookie = signed_in.get(f"/jobs/{job_id}")
    assert by_cookie.status_code == 200 and by_cookie.json()["id"] == job_id
    assert poll.answered[POLL] == before  # a login session is checked by the route


def test_a_submission_from_a_cached_operator_key_is_the_routes_answer(
    client_as: ClientFactory, lab: LabThread
) -> None:
    operator = client_as(Role.operator)
    by_route = operator.post("/device/exec", json=_exec_body(lab))  # the key's first use
    paths = _fast_path(operator)
    assert paths.answered[SUBMIT] == 0 and by_route.status_code == 201, by_route.text
    fast = operator.post("/device/exec", json=_exec_body(lab))
    assert paths.answered[SUBMIT] == 1
    assert fast.status_code == 201 and fast.json().keys() == by_route.json().keys()
    assert dict(fast.headers).keys() == dict(by_route.headers).keys()
    assert fast.headers["content-security-policy"] == by_route.headers["content-security-policy"]
    assert fast.json()["id"] != by_route.json()["id"]
    done = operator.get(f"/jobs/{fast.json()['id']}", params={"wait": 30}).json()
    assert done["status"] == "finished" and "show clock" in done["result"]["retval"][0]["command"]


def test_submissions_the_fast_path_refuses_or_hands_over_read_as_the_route_says(
    client_as: ClientFactory, runtime: Runtime, lab: LabThread
) -> None:
    operator = client_as(Role.operator)
    nowhere = {
        "driver": "netmiko",
        "connection_args": {"host": "192.0.2.9", "credential": "no-such-credential"},
        "command": "x",
    }
    by_route = operator.post("/device/exec", json=nowhere)  # uncached: the route
    paths = _fast_path(operator)
    by_fast = operator.post("/device/exec", json=nowhere)  # cached: the service's error
    assert paths.answered[SUBMIT] == 1
    assert by_fast.status_code == by_route.status_code and 400 <= by_fast.status_code < 500
    assert by_fast.content == by_route.content

    bad = {**_exec_body(lab), "connection_args": {"host": "x", "device_type": 7}}
    refused = operator.post("/device/exec", json=bad)  # refused by the service, as by the route
    assert refused.status_code == 422 and "device_type" in refused.text
    answered = paths.answered[SUBMIT]
    broken = operator.post(
        "/device/exec", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 422 and "JSON" in broken.text
    queried = operator.post("/device/exec", params={"x": 1}, json=_exec_body(lab))
    assert queried.status_code == 422 and "x" in queried.json()["detail"]
    viewer = client_as(Role.viewer)
    viewer.get("/jobs")  # the viewer's key is cached now
    assert viewer.post("/device/exec", json=_exec_body(lab)).status_code == 403
    assert paths.answered[SUBMIT] == answered  # none of these was the fast path's

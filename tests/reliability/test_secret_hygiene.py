"""Secret hygiene: with known, unique secrets in play — a device password and enable secret
(a stored credential and inline), the admin password, an API key, a job webhook's token, a
REST call's token in a service's inputs and one in a credential — run jobs that succeed and
fail (authentication too), a workflow with a notification webhook, and the rq executor on a
private Redis; then look for every secret, in plain text, in every API response, the logs
(DEBUG), the worker's log, every Redis key and value, every row of every table and the
SQLite files. Only the receiving end (the device, the webhook receiver) may see them."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from netweave.api.app import create_app
from netweave.core.runtime import Runtime
from netweave.foundation.settings import Settings
from netweave.lab import Fault, LabThread, build_specs
from tests.fixtures.database import _wipe
from tests.fixtures.workers import start_worker, stop_worker
from tests.reliability.harness import admin_key, settle, wait_for
from tests.reliability.haystacks import (
    Receiver,
    Recorder,
    RedisWatch,
    database_dump,
    serve_receiver,
    sqlite_files,
)

TAG = uuid.uuid4().hex[:12]
DEVICE_PASSWORD = f"devpw-{TAG}-q1"
ENABLE_SECRET = f"enable-{TAG}-w2"
ADMIN_PASSWORD = f"admin-{TAG}-e3"
WEBHOOK_TOKEN = f"hook-{TAG}-r4"
REST_TOKEN = f"rest-{TAG}-t5"
REST_CREDENTIAL = f"restcred-{TAG}-y6"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from serve_receiver()


@pytest.fixture
def server(settings: Settings) -> Iterator[Runtime]:
    """A server on a wiped database whose first admin gets this test's admin password."""
    mine = settings.model_copy(update={"admin_password": SecretStr(ADMIN_PASSWORD)})
    bare = Runtime.open(mine, migrate=False, bootstrap=False)
    _wipe(bare)
    bare.close()
    opened = Runtime.open(mine, migrate=False, bootstrap=True)
    yield opened
    opened.close()


def _inventory(client: TestClient, lab: LabThread) -> list[str]:
    for body in (
        {
            "name": "lab",
            "username": "netweave",
            "password": DEVICE_PASSWORD,
            "enable_secret": ENABLE_SECRET,
            "scope": {"networks": ["127.0.0.0/8"]},
        },
        {
            "name": "rest",
            "username": "svc",
            "password": REST_CREDENTIAL,
            "scope": {"networks": ["127.0.0.0/8"]},
        },
    ):
        created = client.post("/api/v1/credentials", json=body)
        assert created.status_code == 201, created.text
    names = []
    for device in lab.devices:
        created = client.post(
            "/api/v1/devices",
            json={
                "name": device.name,
                "host": device.host,
                "port": device.port,
                "platform": "cisco_ios",
                "credential": "lab",
            },
        )
        assert created.status_code == 201, created.text
        names.append(device.name)
    return names


def _jobs(client: TestClient, lab: LabThread, receiver: Receiver, tag: str) -> list[str]:
    """Successes and failures through the NetPulse API: by inventory name (stored
    credential), inline secrets with a webhook carrying a token, a refused login, a rejected
    configuration line, a bulk request."""
    good, refusing, other = lab.devices
    inline = {
        "host": good.host,
        "port": good.port,
        "username": "netweave",
        "password": DEVICE_PASSWORD,
        "secret": ENABLE_SECRET,
        "device_type": "cisco_ios",
    }
    requests: list[dict[str, Any]] = [
        {
            "connection_args": {"host": good.name},
            "command": ["show version", "show running-config"],
            "enable_mode": True,
        },
        {
            "connection_args": inline,
            "command": "show clock",
            "enable_mode": True,
            "webhook": {
                "url": f"{receiver.url}/job-{tag}",
                "headers": {"Authorization": f"Bearer {WEBHOOK_TOKEN}"},
            },
        },
        {"connection_args": {"host": refusing.name}, "command": "show clock"},
        {
            "connection_args": {**inline, "host": refusing.host, "port": refusing.port},
            "command": "x",
        },
        {"connection_args": {"host": other.name}, "config": ["interface Loopback9", "frobnicate"]},
    ]
    ids = []
    for body in requests:
        created = client.post("/device/exec", json=body)
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    bulk = client.post(
        "/device/bulk",
        json={
            "connection_args": {k: v for k, v in inline.items() if k not in ("host", "port")},
            "devices": [{"host": d.host, "port": d.port} for d in (good, other)],
            "command": "show clock",
        },
    )
    assert bulk.status_code == 201 and not bulk.json()["failed"], bulk.text
    return ids + [job["id"] for job in bulk.json()["succeeded"]]


def _automations(client: TestClient, receiver: Receiver) -> None:
    services = [
        {"name": "Show", "type": "netmiko_commands", "inputs": {"commands": ["show version"]}},
        {
            "name": "Call",
            "type": "rest_call",
            "inputs": {
                "method": "POST",
                "url": f"{receiver.url}/rest",
                "headers": {"Authorization": f"Bearer {REST_TOKEN}", "X-Device": "{{ vars.x }}"},
                "payload": {"hello": "{{ vars.x }}"},
            },
        },
        {
            "name": "Bearer",
            "type": "rest_call",
            "inputs": {"url": f"{receiver.url}/bearer", "auth": "bearer", "credential": "rest"},
        },
    ]
    for body in services:
        created = client.post("/api/v1/services", json=body)
        assert created.status_code == 201, created.text
    workflow = {
        "name": "Flow",
        "graph": {
            "nodes": [{"id": n.lower(), "ref": n} for n in ("Show", "Call", "Bearer")],
            "edges": [
                {"source": "start", "target": "show"},
                {"source": "show", "target": "call"},
                {"source": "call", "target": "bearer"},
                {"source": "bearer", "target": "end"},
            ],
        },
        "options": {"notification": {"webhook": f"{receiver.url}/notify"}},
    }
    created = client.post("/api/v1/workflows", json=workflow)
    assert created.status_code == 201, created.text


def _run_flow(client: TestClient, devices: list[str]) -> dict[str, Any]:
    run = client.post(
        "/api/v1/run/Flow",
        json={"targets": {"devices": devices}, "variables": {"x": "42"}, "wait": 90},
    )
    assert run.status_code == 201, run.text
    body: dict[str, Any] = run.json()
    assert body["status"] == "failure", body  # the device refusing logins fails its path
    assert client.get(f"/api/v1/runs/{body['id']}/results").status_code == 200
    return body


def _bad_requests(client: TestClient, device: Any) -> None:
    """Refused input that carries secrets: the 4xx names the field, never echoes a value."""
    refused = [
        client.post(
            "/device/exec",
            json={
                "connection_args": {"host": device.host, "password": DEVICE_PASSWORD},
                "command": "show clock",
                "ttl": "soon",
            },
        ),
        client.post(
            "/api/v1/credentials",
            json={
                "name": "not valid!",
                "password": DEVICE_PASSWORD,
                "enable_secret": ENABLE_SECRET,
                "source": "nowhere",
            },
        ),
        client.post(
            "/api/v1/services",
            json={
                "name": "Broken",
                "type": "rest_call",
                "inputs": {
                    "url": "http://127.0.0.1/",
                    "headers": {"Authorization": f"Bearer {REST_TOKEN}"},
                    "timeout": "never",
                },
            },
        ),
        client.post(
            "/api/v1/auth/login", json={"username": "admin", "password": f"{ADMIN_PASSWORD}!"}
        ),
    ]
    assert [r.status_code for r in refused] == [422, 422, 422, 401], [r.text for r in refused]


def _read_everything(client: TestClient, job_ids: list[str]) -> None:
    for job_id in job_ids:
        assert client.get(f"/jobs/{job_id}").status_code == 200
    for path in (
        "/jobs",
        "/api/v1/credentials",
        "/api/v1/services",
        "/api/v1/workflows",
        "/api/v1/runs",
        "/api/v1/changelog",
        "/api/v1/automations/export?names=Flow",
        "/api/v1/auth/me",
        "/api/v1/devices",
        "/system/stats",
        "/workers",
    ):
        assert client.get(path).status_code == 200, path


def test_no_secret_in_responses_logs_queue_or_database(
    server: Runtime,
    receiver: Receiver,
    private_redis: tuple[str, Callable[[], None]],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    key = admin_key(server)
    with LabThread(
        build_specs(
            3,
            platforms=("cisco_ios",),
            prefix="hyg",
            password=DEVICE_PASSWORD,
            enable_secret=ENABLE_SECRET,
        )
    ) as lab:
        lab.set_fault(lab.devices[1].name, Fault("refuse_auth"))
        names = [d.name for d in lab.devices]
        # -- the local executor: everything in this process (caplog sees the worker side)
        with Recorder(create_app(server), seen=seen) as anon:
            login = anon.post(
                "/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
            )
            assert login.status_code == 200, login.text
            assert anon.get("/api/v1/auth/me").status_code == 200
        with Recorder(create_app(server), seen=seen, headers={"X-API-KEY": key}) as client:
            assert _inventory(client, lab) == names
            local_jobs = _jobs(client, lab, receiver, "local")
            done = settle(server, local_jobs)
            assert [j.status for j in done] == [
                "finished",
                "finished",
                "failed",
                "failed",
                "failed",
                "finished",
                "finished",
            ], [(j.status, j.result and j.result.error) for j in done]
            assert done[2].result and done[2].result.error
            assert done[2].result.error.message.startswith("authentication failed")
            for device in (lab.devices[0], lab.devices[1]):
                tested = client.post(
                    "/device/test",
                    json={
                        "connection_args": {
                            "host": device.host,
                            "port": device.port,
                            "username": "netweave",
                            "password": DEVICE_PASSWORD,
                        }
                    },
                )
                assert tested.status_code == 200, tested.text
            _bad_requests(client, lab.devices[0])
            _automations(client, receiver)
            _run_flow(client, names[:2])
            # the form sends ******** back for a secret it did not change: it is kept
            stored = client.get("/api/v1/services", params={"name": "Call"}).json()["items"][0]
            assert stored["inputs"]["headers"] == {
                "Authorization": "********",
                "X-Device": "********",
            }
            patched = client.patch(
                f"/api/v1/services/{stored['id']}",
                json={"inputs": {**stored["inputs"], "url": f"{receiver.url}/rest"}},
            )
            assert patched.status_code == 200, patched.text
            again = client.post("/api/v1/run/Call", json={"variables": {"x": "7"}, "wait": 60})
            assert again.status_code == 201 and again.json()["status"] == "success", again.text
            _read_everything(client, local_jobs)
        # -- the rq executor on a private Redis, with a `netweave worker` process at DEBUG
        url, _ = private_redis
        rq = server.settings.model_copy(
            update={"executor": "rq", "redis_url": url, "queue_name": f"hyg{TAG[:6]}"}
        )
        producer = Runtime.open(rq, migrate=False, bootstrap=False)
        watch = RedisWatch(url)
        monkeypatch.setenv("NETWEAVE_LOG_LEVEL", "DEBUG")
        worker_log = ""
        try:
            with Recorder(create_app(producer), seen=seen, headers={"X-API-KEY": key}) as client:
                rq_jobs = _jobs(client, lab, receiver, "rq")
                watch.snapshot()  # queued: only in Redis so far
                node = start_worker(rq, threads=4, node="hyg", redis_url=url)
                try:
                    done = settle(producer, rq_jobs, timeout=90)
                    watch.snapshot()
                    assert [j.status for j in done].count("finished") == 4, [
                        (j.status, j.result and j.result.error) for j in done
                    ]
                    _run_flow(client, names[:2])
                    watch.snapshot()
                    override = client.post(  # run-time inputs are sealed in the run too
                        "/api/v1/run/Call",
                        json={
                            "inputs": {
                                "headers": {
                                    "Authorization": f"Bearer {REST_TOKEN}",
                                    "X-Device": "override",
                                }
                            },
                            "variables": {"x": "o"},
                            "wait": 60,
                        },
                    )
                    assert override.status_code == 201, override.text
                    assert override.json()["status"] == "success", client.get(
                        f"/api/v1/runs/{override.json()['id']}/results"
                    ).text
                    _read_everything(client, rq_jobs)
                finally:
                    worker_log = stop_worker(node)
                watch.snapshot()
        finally:
            watch.close()
            producer.close()
    # the secrets were really used: the receiver got them, so did the devices
    assert any(
        d.headers.get("Authorization") == f"Bearer {WEBHOOK_TOKEN}"
        for d in receiver.to("/job-local")
    )
    assert any(
        d.headers.get("Authorization") == f"Bearer {WEBHOOK_TOKEN}" for d in receiver.to("/job-rq")
    )
    rest_calls = receiver.to("/rest")
    assert len(rest_calls) == 4 and all(
        d.headers.get("Authorization") == f"Bearer {REST_TOKEN}" for d in rest_calls
    ), rest_calls
    assert {d.headers.get("X-Device") for d in rest_calls} == {
        "42",
        "7",
        "override",
    }  # still templated
    assert all(
        d.headers.get("Authorization") == f"Bearer {REST_CREDENTIAL}"
        for d in receiver.to("/bearer")
    )
    wait_for(lambda: len(receiver.to("/notify")) == 2, 10, "both run notifications")
    captured = capfd.readouterr()
    places = {
        "API responses": "\n".join(seen),
        "log records (DEBUG)": caplog.text
        + "\n".join(repr(vars(record)) for record in caplog.records),
        "stdout/stderr": captured.out + captured.err,
        "worker log (DEBUG)": worker_log,
        "Redis keys and values": "\n".join(watch.snapshots),
        "Redis pub/sub": "\n".join(watch.messages),
        "webhook and notification bodies": "\n".join(d.body for d in receiver.deliveries),
        "database rows": database_dump(server),
        "SQLite files": sqlite_files(server),
    }
    # each place holds what was done (a search that can find things)
    for place in ("API responses", "database rows", "worker log (DEBUG)"):
        assert names[0] in places[place], place
    assert rq_jobs[0] in places["Redis keys and values"]
    assert "DEBUG" in places["worker log (DEBUG)"] and "paramiko" in places["log records (DEBUG)"]
    secrets = {
        "device password": DEVICE_PASSWORD,
        "enable secret": ENABLE_SECRET,
        "admin password": ADMIN_PASSWORD,
        "API key": key,
        "webhook token": WEBHOOK_TOKEN,
        "REST token in inputs": REST_TOKEN,
        "REST credential": REST_CREDENTIAL,
    }
    leaks = [
        f"{secret} in {place}"
        for secret, value in secrets.items()
        for place, haystack in places.items()
        if value in haystack
    ]
    assert not leaks, leaks

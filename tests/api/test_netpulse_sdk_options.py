"""``netpulse-sdk`` 0.4.x, unchanged, with NetPulse's options: template engines by name,
``use_ntc_template``, the ``vault_kv`` credential reference, ``execution_timeout`` beyond an
hour, webhooks (auth, headers, cookies, retries) and stopping worker nodes."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from netpulse_sdk import NetPulseClient
from netpulse_sdk.error import NetPulseError
from sqlalchemy import text

from netweave.core.inventory import credentials
from netweave.core.inventory.schemas import CredentialCreate, CredentialScope
from netweave.core.jobs.housekeeping import _verdict, aware
from netweave.core.runtime import Runtime
from netweave.db.models import Job
from netweave.foundation.settings import Settings
from netweave.lab import LabThread
from tests.fixtures.api import LiveApi, serve
from tests.fixtures.database import ONE_BACKEND
from tests.fixtures.lab import first
from tests.fixtures.vault import SecretLab, VaultServer, with_vault
from tests.fixtures.workers import rq_variant

pytestmark = ONE_BACKEND  # wire options and transfers: no SQL in the subject

LOGIN = {"username": "netweave", "password": "netweave", "secret": "netweave"}
CLOCK = "*10:15:52.123 UTC Mon Dec 7 2026"


@pytest.fixture
def settings(settings: Settings, vault_server: VaultServer) -> Settings:
    """Vault configured (AppRole, the role reads ``secret/netweave/*`` only)."""
    return with_vault(settings, vault_server)


def _client(api: LiveApi, **defaults: object) -> NetPulseClient:
    return NetPulseClient(
        base_url=api.url,
        api_key=api.key,
        driver="netmiko",
        default_connection_args={**LOGIN, "device_type": "cisco_ios", **defaults},
    )


def _post(api: LiveApi, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{api.url}{path}", json=body, headers={"X-API-KEY": api.key}, timeout=60)


def _field(response: httpx.Response) -> set[str]:
    body = response.json()
    return {e["field"] for e in body.get("errors", [])} | (
        {body["field"]} if "field" in body else set()
    )


# -- templates ------------------------------------------------------------------------------


def test_templates_render_and_parse_by_engine_name_as_netpulse_answers(live_api: LiveApi) -> None:
    client = _client(live_api)
    assert client.render_template("hostname {{ h }}", {"h": "r9"}) == "hostname r9"
    assert _post(live_api, "/template/render/jinja2", {"template": "x{{ 1 }}"}).json() == "x1"
    unknown = _post(live_api, "/template/render/mako", {"template": "x"})
    assert unknown.status_code == 404 and _field(unknown) == {"name"}
    sandboxed = _post(live_api, "/template/render/jinja2", {"template": "{{ ''.__class__ }}"})
    assert sandboxed.status_code == 422 and "template" in _field(sandboxed)

    by_args = client.parse_template(
        CLOCK,
        name="textfsm",
        use_ntc_template=True,
        ntc_template_args={"platform": "cisco_ios", "command": "show clock"},
    )
    assert by_args[0]["time"] == "10:15:52.123"
    by_name = client.parse_template(
        CLOCK, name="textfsm", use_ntc_template=True, template="cisco_ios_show_clock"
    )
    assert by_name == by_args
    on_path = _post(
        live_api,
        "/template/parse/textfsm",
        {
            "name": "ttp",
            "use_ntc_template": False,
            "template": "Value T (\\S+)\n\nStart\n  ^${T}\n",
            "context": "a",
        },
    )
    assert on_path.status_code == 200 and on_path.json() == [{"t": "a"}]

    outside = _post(
        live_api,
        "/template/parse",
        {
            "name": "textfsm",
            "use_ntc_template": True,
            "template": "../../../etc/passwd",
            "context": "x",
        },
    )
    assert outside.status_code == 422 and "parsing.template" in _field(outside)
    needs_args = _post(
        live_api, "/template/parse/textfsm", {"use_ntc_template": True, "context": CLOCK}
    )
    assert needs_args.status_code == 422 and "ntc_template_args" in needs_args.json()["detail"]
    missing = _post(live_api, "/template/parse/genie", {"context": "x"})
    assert missing.status_code == 404 and _field(missing) == {"name"}
    macro = "<macro>\ndef f(data):\n    return data\n</macro>\n{{ a | macro('f') }}"
    code = _post(
        live_api, "/template/parse/ttp", {"name": "textfsm", "template": macro, "context": "x"}
    )
    assert code.status_code == 422 and "<macro>" in code.json()["detail"]  # path name: checked too


def test_use_ntc_template_in_a_job_gives_structured_output(
    live_api: LiveApi, lab: LabThread
) -> None:
    device = first(lab, "cisco_ios")
    client = _client(live_api, port=device.port)
    by_platform = client.collect(
        device.host, "show version", parsing={"name": "textfsm", "use_ntc_template": True}
    ).wait(timeout=60)
    assert by_platform.results()[0].parsed[0]["hostname"] == device.name
    by_args = client.collect(
        device.host,
        "show clock",
        parsing={
            "name": "textfsm",
            "use_ntc_template": True,
            "ntc_template_args": {"platform": "cisco_ios", "command": "show clock"},
        },
    ).wait(timeout=60)
    assert set(by_args.results()[0].parsed[0]) >= {"time", "timezone", "year"}
    with pytest.raises(NetPulseError, match="use_ntc_template"):
        client.collect(device.host, "show clock", parsing={"name": "ttp", "use_ntc_template": True})


# -- the vault_kv credential reference --------------------------------------------------------


def test_vault_kv_reference_logs_in_through_a_registered_scoped_credential(
    live_api: LiveApi, operator: TestClient, secret_lab: SecretLab, vault_server: VaultServer
) -> None:
    runtime = live_api.runtime
    path = f"netweave/sdk-{secrets.token_hex(4)}"
    vault_server.put(
        path, username="netweave", password=secret_lab.password, enable_secret=secret_lab.enable
    )
    with runtime.transaction() as session:
        credentials.create_credential(
            session,
            runtime.box,
            CredentialCreate(  # type: ignore[call-arg]
                name="kv",
                source="vault",
                vault_path=path,
                scope=CredentialScope(networks=["127.0.0.0/8"]),
            ),
        )
    device = secret_lab.lab.devices[0]
    client = NetPulseClient(
        base_url=live_api.url,
        api_key=live_api.key,
        driver="netmiko",
        default_connection_args={"device_type": "cisco_ios", "port": device.port},
        default_credential={"name": "vault_kv", "ref": path, "mount": "secret"},
    )
    job = client.collect(device.host, "show clock", enable_mode=True).wait(timeout=60)
    assert job.status == "finished" and job.results()[0].ok, job._data["result"]
    assert vault_server.reads_of(f"secret/data/{path}") >= 1
    probe = client.test_connection(device.host, credential=client.default_credential)
    assert probe.ok, probe.error

    reads = vault_server.reads_of(f"secret/data/{path}")
    base = {"connection_args": {"host": device.host, "port": device.port}, "command": "x"}

    def refused(credential: dict[str, Any], status: int, where: str) -> None:
        answer = _post(live_api, "/device/exec", {**base, "credential": credential})
        assert answer.status_code == status and where in _field(answer), answer.text
        assert secret_lab.password not in answer.text

    refused({"name": "vault_kv", "ref": "netweave/not-registered"}, 404, "credential.ref")
    refused({"name": "vault_kv", "ref": path, "version": 7}, 404, "credential.ref")
    refused({"name": "vault_kv", "ref": path, "mount": "kv"}, 404, "credential.ref")
    refused(
        {"name": "vault_kv", "ref": path, "field_mapping": {"password": "pw"}},
        422,
        "credential.field_mapping.password",
    )
    refused({"name": "vault_kv", "ref": path, "namespace": "tenant-a"}, 422, "credential.namespace")
    refused({"name": "other", "ref": path}, 422, "credential")
    with pytest.raises(NetPulseError, match="no vault credential"):
        client.collect(
            device.host, "show clock", credential={"name": "vault_kv", "ref": "netweave/nope"}
        )
    # an operator cannot aim the secret at a host of its own: the credential's scope holds
    outside = operator.post(
        "/device/exec",
        json={
            "connection_args": {"host": "192.0.2.10", "port": 22},
            "credential": {"name": "vault_kv", "ref": path},
            "command": "show clock",
        },
    )
    assert outside.status_code == 403 and "kv" in outside.json()["detail"], outside.text
    assert vault_server.reads_of(f"secret/data/{path}") == reads  # none of these asked vault


# -- execution_timeout ------------------------------------------------------------------------


def test_execution_timeout_beyond_an_hour_is_accepted_and_honoured(
    live_api: LiveApi, lab: LabThread
) -> None:
    device = first(lab, "cisco_ios")
    client = _client(live_api, port=device.port)
    job = client.collect(device.host, "show clock", execution_timeout=7200).wait(timeout=60)
    assert job.status == "finished"
    runtime = live_api.runtime
    with runtime.sessions() as session:
        row = session.get(Job, job.id)
        assert row is not None and row.execution_timeout == 7200
        assert runtime.jobs.runner._options(row)["read_timeout"] == 7200  # per command too
        started = aware(row.started_at)
        assert started is not None
        row.status = "started"  # as if it still ran: the reaper leaves it alone past 1 h
        assert _verdict(row, None, started + timedelta(seconds=3700)) is None
        late = _verdict(row, None, started + timedelta(seconds=7300))
        assert late is not None and late["type"] == "timeout"
        session.rollback()
    with pytest.raises(NetPulseError, match="execution_timeout"):
        client.collect(device.host, "show clock", execution_timeout=86_401)
    day = client.collect(  # a day, and commands that may each take more than an hour
        device.host, "show clock", execution_timeout=86_400, driver_args={"read_timeout": 5000}
    ).wait(timeout=60)
    assert day.status == "finished"


# -- webhooks ---------------------------------------------------------------------------------


@dataclass
class Receiver:
    url: str
    hits: list[dict[str, Any]] = field(default_factory=list)
    failures: int = 1  # answer 500 this many times first

    def wait_for(self, count: int, timeout: float = 30) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.hits) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.hits


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            state.hits.append(
                {
                    "path": self.path,
                    "body": json.loads(self.rfile.read(length)),
                    "authorization": self.headers.get("Authorization"),
                    "token": self.headers.get("X-Token"),
                    "cookie": self.headers.get("Cookie"),
                }
            )
            failing = state.failures > 0
            state.failures -= 1
            self.send_response(500 if failing else 200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_port}/hook"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()


def test_webhook_is_netpulse_shaped_authenticated_and_retried(
    live_api: LiveApi, lab: LabThread, receiver: Receiver
) -> None:
    device = first(lab, "cisco_ios")
    client = _client(live_api, port=device.port)
    hook = {
        "name": "basic",
        "url": receiver.url,
        "method": "PUT",
        "headers": {"X-Token": "tok-123"},
        "cookies": {"session": "c00kie"},
        "auth": ["hook", "hook-pass-77"],
        "timeout": 5,
        "max_retries": 2,
        "retry_intervals": [0.2],
    }
    job = client.collect(device.host, "show clock", webhook=hook).wait(timeout=60)
    assert job.status == "finished"
    hits = receiver.wait_for(2)
    assert len(hits) == 2, hits  # a first 500, then delivered
    basic = "Basic " + base64.b64encode(b"hook:hook-pass-77").decode()
    for hit in hits:
        assert hit["authorization"] == basic and hit["token"] == "tok-123"
        assert hit["cookie"] == "session=c00kie"
    body = hits[1]["body"]
    assert body["id"] == job.id and body["status"] == "success"
    assert body["result"].startswith("Command: show clock\nOutput:\n")
    assert body["device"] == {"host": device.host, "device_type": "cisco_ios"}
    assert (body["driver"], body["command"]) == ("netmiko", "show clock")
    assert body["netweave"]["status"] == "finished"
    assert body["netweave"]["result"]["retval"][0]["stdout"] in body["result"]

    with live_api.runtime.engine.connect() as connection:  # sealed in the job row
        stored = connection.execute(text("SELECT webhook FROM jobs WHERE id = :i"), {"i": job.id})
        assert "hook-pass-77" not in str(stored.one()[0]) and "tok-123" not in str(stored)
    answered = httpx.get(f"{live_api.url}/jobs/{job.id}", headers={"X-API-KEY": live_api.key})
    assert "hook-pass-77" not in answered.text

    receiver.hits.clear()
    receiver.failures = 10
    before = live_api.runtime.jobs.webhooks.failed
    once = {**hook, "max_retries": 0}
    failed = client.collect(device.host, "show clock", webhook=once).wait(timeout=60)
    assert failed.status == "finished"
    deadline = time.monotonic() + 30
    while live_api.runtime.jobs.webhooks.failed == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live_api.runtime.jobs.webhooks.failed == before + 1
    assert len(receiver.hits) == 1  # max_retries 0: no retry

    for bad, where in (
        ({**hook, "retry_intervals": [99_999]}, "webhook.retry_intervals"),
        ({**hook, "max_retries": 11}, "webhook.max_retries"),
        ({**hook, "name": "slack"}, "webhook.name"),
        ({**hook, "timeout": 0.1}, "webhook.timeout"),
    ):
        answer = _post(
            live_api,
            "/device/exec",
            {"connection_args": {"host": device.host}, "command": "x", "webhook": bad},
        )
        assert answer.status_code == 422 and where in _field(answer), answer.text


# -- worker nodes -----------------------------------------------------------------------------


def test_delete_workers_by_queue_host_and_name_as_the_sdk_calls_them(
    live_api: LiveApi, settings: Settings, runtime: Runtime, lab: LabThread
) -> None:
    local = _client(live_api)
    with pytest.raises(NetPulseError, match="local executor"):
        local.delete_workers()

    rq = rq_variant(settings)
    producer = Runtime.open(rq, migrate=False, bootstrap=False)
    nodes = {name: Runtime.open(rq, migrate=False, bootstrap=False) for name in ("na", "nb")}
    try:
        for name, node in nodes.items():
            node.start_worker(2, node=name)
        with serve(producer) as api:
            client = _client(api)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                names = {w.name for w in client.list_workers()}
                if {"na.0", "na.1", "nb.0", "nb.1"} <= names:
                    break
                time.sleep(0.1)
            assert {"na.0", "na.1", "nb.0", "nb.1"} <= names

            device = first(lab, "cisco_ios")
            job = client.collect(
                device.host, "show clock", connection_args={**LOGIN, "port": device.port}
            ).wait(timeout=60)
            assert job.status == "finished"
            owner = str(job._data["worker"]).rsplit(".", 1)[0]
            other = ({"na", "nb"} - {owner}).pop()

            assert client.delete_workers(host="192.0.2.99") == []
            assert client.delete_workers(queue="no-such-queue") == []
            assert client.delete_workers(host=device.host) == [owner]
            assert client.delete_workers(queue=f"{rq.queue_name}.node.{other}") == [other]
            for name in (owner, other):
                stop = nodes[name].jobs.executor.stop_requested  # type: ignore[attr-defined]
                assert stop.wait(timeout=30), name
                stop.clear()
            assert client.delete_worker(f"{other}.1") is True
            stopped = nodes[other].jobs.executor.stop_requested  # type: ignore[attr-defined]
            assert stopped.wait(timeout=30)
            assert not nodes[owner].jobs.executor.stop_requested.is_set()  # type: ignore[attr-defined]
            with pytest.raises(NetPulseError, match="no live worker node"):
                client.delete_worker("nz.0")
    finally:
        producer.close()
        for node in nodes.values():
            node.close()

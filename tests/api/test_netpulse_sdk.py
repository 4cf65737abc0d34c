"""``netpulse-sdk`` 0.4.x, unchanged, against NetWeave and the lab (issue 3's "done when")."""

from __future__ import annotations

import httpx
from netpulse_sdk import NetPulseClient

from netweave.core.inventory import devices
from netweave.core.inventory.schemas import DeviceCreate
from netweave.lab import LabThread
from tests.fixtures.api import LiveApi
from tests.fixtures.lab import add_lab_credential, first

LOGIN = {"username": "netweave", "password": "netweave", "secret": "netweave"}


def _client(api: LiveApi, **defaults: object) -> NetPulseClient:
    return NetPulseClient(
        base_url=api.url,
        api_key=api.key,
        driver="netmiko",
        default_connection_args={**LOGIN, "device_type": "cisco_ios", **defaults},
    )


def test_sdk_test_connection_and_collect_reuses_sessions(
    live_api: LiveApi, fault_lab: LabThread
) -> None:
    device = first(fault_lab, "cisco_ios")
    client = _client(live_api, port=device.port)
    probe = client.test_connection(device.host)
    assert probe.ok and probe.latency is not None and probe.prompt == device.name
    bad = client.test_connection(
        device.host, connection_args={**LOGIN, "password": "wrong", "port": device.port}
    )
    assert not bad.ok and "authentication" in (bad.error or "")

    first_job = client.collect(device.host, "show version").wait(timeout=30)
    result = first_job.results()[0]
    assert result.ok and f"{device.name} uptime is" in result.stdout
    assert result.metadata["session_reused"] is False
    second = client.collect(device.host, ["show clock", "show ip interface brief"]).wait(timeout=30)
    outputs = second.results()
    assert [r.command for r in outputs] == ["show clock", "show ip interface brief"]
    assert all(r.metadata["session_reused"] for r in outputs)

    fault_lab.kill_sessions(device.name)  # a killed session is recovered on the next job
    third = client.collect(device.host, "show clock").wait(timeout=30)
    assert third.results()[0].ok and third.results()[0].metadata["session_reused"] is False


def test_sdk_bulk_config_and_job_listing(live_api: LiveApi, fault_lab: LabThread) -> None:
    ios_like = [d for d in fault_lab.devices if d.spec.platform in ("cisco_ios", "arista_eos")]
    client = _client(live_api)
    group = client.collect(
        [{"host": d.host, "port": d.port, "device_type": d.spec.platform} for d in ios_like],
        "show version",
    )
    group.wait(timeout=60)
    results = group.results()
    assert len(results) == len(ios_like) and all(r.ok for r in results)
    assert {r.metadata["port"] for r in results} == {d.port for d in ios_like}

    device = first(fault_lab, "cisco_ios")
    job = client.run(
        device.host,
        config=["interface GigabitEthernet0/2", "description set-by-sdk"],
        connection_args={**LOGIN, "device_type": "cisco_ios", "port": device.port},
        save=True,
    ).wait(timeout=30)
    assert job.status == "finished" and job.results()[0].ok, job._data["result"]
    assert job.results()[0].metadata["saved"] is True
    running = client.collect(
        device.host,
        "show running-config | include set-by-sdk",
        connection_args={**LOGIN, "device_type": "cisco_ios", "port": device.port},
    ).wait(timeout=30)
    assert "description set-by-sdk" in running.results()[0].stdout

    failing = client.run(
        device.host,
        config=["interface Gi0/3", "no such thing", "description late"],
        connection_args={**LOGIN, "device_type": "cisco_ios", "port": device.port},
    ).wait(timeout=30)
    assert failing.status == "failed"
    assert failing.results()[0].metadata["failed_line"] == "no such thing"
    assert failing.results()[0].metadata["skipped"] == ["description late"]

    listed = client.list_jobs()
    assert {job.id, failing.id} <= {j.id for j in listed}
    assert client.get_job(job.id).status == "finished"


def test_inventory_names_need_no_password_on_the_wire(live_api: LiveApi, lab: LabThread) -> None:
    device = first(lab, "arista_eos")
    runtime = live_api.runtime
    add_lab_credential(runtime)
    with runtime.transaction() as session:
        devices.create_device(
            session,
            DeviceCreate(
                name="spine-1",
                host=device.host,
                port=device.port,
                platform="arista_eos",
                credential="lab",
            ),
        )
    client = NetPulseClient(base_url=live_api.url, api_key=live_api.key, driver="netmiko")
    job = client.collect("spine-1", "show version").wait(timeout=30)
    result = job.results()[0]
    assert result.ok and "Arista DCS-7050TX-64" in result.stdout
    assert result.metadata["device"] == "spine-1"
    raw = httpx.get(f"{live_api.url}/jobs/{job.id}", headers={"X-API-KEY": live_api.key}).text
    assert "netweave" not in raw.replace("netweave.", "")  # the stored password never shows


def test_parsing_rendering_cancel_and_stats(live_api: LiveApi, lab: LabThread) -> None:
    device = first(lab, "cisco_ios")
    client = _client(live_api, port=device.port)
    parsed = client.collect(device.host, "show version", parsing={"name": "ntc_templates"}).wait(
        timeout=30
    )
    assert parsed.results()[0].parsed[0]["hostname"] == device.name
    rendered = client.collect(
        device.host,
        "ignored",
        rendering={"name": "jinja2", "template": "show {{ what }}", "context": {"what": "clock"}},
    ).wait(timeout=30)
    assert rendered.results()[0].command == "show clock"
    headers = {"X-API-KEY": live_api.key}
    render = httpx.post(
        f"{live_api.url}/template/render",
        json={"template": "hostname {{ h }}", "context": {"h": "r9"}},
        headers=headers,
    )
    assert render.json() == "hostname r9"  # the text, as NetPulse answers
    sandbox = httpx.post(
        f"{live_api.url}/template/render",
        json={"template": "{{ ''.__class__.__mro__ }}"},
        headers=headers,
    )
    assert sandbox.status_code == 422 and "template" in sandbox.json()["detail"]
    parse = httpx.post(
        f"{live_api.url}/template/parse",
        json={
            "name": "textfsm",
            "template": "Value HOST (\\S+)\n\nStart\n  ^${HOST} uptime -> Record\n",
            "context": "r1 uptime is 1 day",
        },
        headers=headers,
    )
    assert parse.json() == [{"host": "r1"}]
    stats = httpx.get(f"{live_api.url}/system/stats", headers=headers).json()
    assert stats["executor"] == "local" and stats["sessions"]["sessions"] >= 1
    assert stats["jobs"]["finished"] >= 2
    workers = httpx.get(f"{live_api.url}/workers", headers=headers).json()
    assert len(workers) == live_api.runtime.settings.worker_threads
    bad = httpx.post(
        f"{live_api.url}/device/exec",
        json={"driver": "netmiko", "connection_args": {"host": "x"}},
        headers=headers,
    )
    assert bad.status_code == 422 and "command or config" in bad.json()["detail"]
    unknown = httpx.post(
        f"{live_api.url}/device/exec",
        json={"driver": "telnet", "connection_args": {"host": "x"}, "command": "x"},
        headers=headers,
    )
    assert unknown.status_code == 422 and unknown.json()["field"] == "driver"
    missing_job = httpx.get(f"{live_api.url}/jobs/does-not-exist", headers=headers)
    assert missing_job.status_code == 404


def test_prometheus_metrics_with_a_bearer_key(live_api: LiveApi, lab: LabThread) -> None:
    device = first(lab, "cisco_ios")
    client = _client(live_api, port=device.port)
    client.collect(device.host, "show clock").wait(timeout=30)
    assert httpx.get(f"{live_api.url}/metrics").status_code == 401
    response = httpx.get(
        f"{live_api.url}/metrics", headers={"Authorization": f"Bearer {live_api.key}"}
    )
    assert response.status_code == 200
    lines = response.text.splitlines()
    assert 'netweave_jobs{status="finished"} 1' in lines
    assert "netweave_device_sessions 1" in lines
    assert 'netweave_session_events_total{event="opened"} 1' in lines
    assert "# TYPE netweave_jobs gauge" in lines

"""``netpulse-sdk``'s job and worker calls (``list_jobs``/``cancel_jobs``/``list_workers``
with their filters, ``cancel_job``, ``ping``, ``get_health``, ``test_connections``) against
a live server, and the rule that keeps the whole SDK honest: every public
``NetPulseClient`` method is driven by one of the SDK test files."""

from __future__ import annotations

import ast
import inspect
import socket
from pathlib import Path

import httpx
import pytest
from netpulse_sdk import NetPulseClient

from netweave.core.runtime import Runtime
from netweave.lab import LabThread
from netweave.lab.device import Fault, LabDevice
from tests.fixtures.api import LiveApi

LOGIN = {"username": "netweave", "password": "netweave", "secret": "netweave"}
SDK_TESTS = sorted(Path(__file__).parent.glob("test_netpulse_sdk*.py"))


def _client(api: LiveApi) -> NetPulseClient:
    return NetPulseClient(
        base_url=api.url,
        api_key=api.key,
        driver="netmiko",
        default_connection_args={**LOGIN, "device_type": "cisco_ios"},
    )


def _called_methods(path: Path) -> set[str]:
    """Names called as ``something.name(...)`` in a test file."""
    tree = ast.parse(path.read_text())
    return {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }


def test_every_public_sdk_method_is_driven_by_a_test() -> None:
    public = {
        name
        for name, member in inspect.getmembers(NetPulseClient, inspect.isfunction)
        if not name.startswith("_")
    }
    assert {"run", "collect", "upload", "download", "list_detached_tasks"} <= public
    called: set[str] = set()
    for path in SDK_TESTS:
        called |= _called_methods(path)
    assert sorted(public - called) == []


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_reachability_health_and_connection_tests(live_api: LiveApi, lab: LabThread) -> None:
    client = _client(live_api)
    assert client.ping() is True
    assert (
        NetPulseClient(base_url=f"http://127.0.0.1:{_closed_port()}", api_key="x").ping() is False
    )
    health = client.get_health()
    assert health["status"] == "ok" and health["database"] == "ok"
    device = next(d for d in lab.devices if d.spec.platform == "cisco_ios")
    results = client.test_connections(
        ["127.0.0.1", "localhost"], connection_args={**LOGIN, "port": device.port}
    )
    assert [r.ok for r in results] == [True, True]
    assert {r.prompt for r in results} == {device.name}
    refused = client.test_connections(
        ["127.0.0.1"], connection_args={**LOGIN, "port": _closed_port()}
    )
    assert not refused[0].ok and "refused" in (refused[0].error or "")


def test_job_and_worker_filters_and_cancels(
    runtime: Runtime, live_api: LiveApi, fault_lab: LabThread, lab: LabThread
) -> None:
    runtime.settings.worker_threads = 1  # one worker: what follows the slow job waits queued
    slow = next(d for d in fault_lab.devices if d.spec.platform == "cisco_ios")
    first, second = [d for d in lab.devices if d.spec.platform in ("cisco_ios", "arista_eos")][:2]
    fault_lab.set_fault(slow.name, Fault("slow", delay=3.0))
    client = _client(live_api)
    try:
        blocker = client.collect(
            slow.host,
            "show clock",
            connection_args={**LOGIN, "port": slow.port, "device_type": slow.spec.platform},
        )

        def queued(device: LabDevice, strategy: str) -> str:
            job = client.collect(
                "127.0.0.1",
                "show clock",
                connection_args={**LOGIN, "port": device.port, "device_type": device.spec.platform},
                queue_strategy=strategy,  # type: ignore[arg-type]
            )
            return str(job.id)

        on_first = queued(first, "pinned")
        on_second = queued(second, "pinned")
        fifo = queued(second, "fifo")
        waiting = {str(j.id) for j in client.list_jobs(status="queued")}
        assert {on_first, on_second, fifo} <= waiting
        assert client.cancel_jobs(queue=f"pinned:127.0.0.1:{first.port}") == [on_first]
        assert client.cancel_job(fifo) is True
        assert client.get_job(fifo).status == "canceled"
        assert client.cancel_jobs(host="127.0.0.1") == [on_second]
        assert client.get_job(on_second).status == "canceled"
        done = blocker.wait(timeout=60)
        assert done.status == "finished"
    finally:
        fault_lab.clear_fault(slow.name)

    workers = client.list_workers()
    assert len(workers) == 1
    node = workers[0].hostname
    assert [w.name for w in client.list_workers(node=node)] == [workers[0].name]
    assert client.list_workers(node="no-such-node") == []
    assert len(client.list_workers(queue="local")) == 1
    assert client.list_workers(queue="fifo-elsewhere") == []
    ran = {str(j.id) for j in client.list_jobs(node=node)}
    assert str(blocker.id) in ran and on_first not in ran  # canceled jobs never ran anywhere
    assert client.list_jobs(node="no-such-node") == []


@pytest.mark.parametrize(
    ("path", "param"),
    [("/jobs", "nodes"), ("/workers", "hosts"), ("/api/v1/devices", "platfrom")],
)
def test_an_unknown_query_parameter_is_refused_by_name(
    live_api: LiveApi, path: str, param: str
) -> None:
    answer = httpx.get(
        f"{live_api.url}{path}", params={param: "x"}, headers={"X-API-KEY": live_api.key}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == param and "unknown query parameter" in answer.json()["detail"]

"""Canceling a job that is already on a device (a hung one): the NetPulse ``DELETE /jobs/{id}``
ends it ``canceled`` at once, its session is aborted and discarded, and the next job to
that device gets a fresh session. On both executors: in the server's threads, and on an rq
worker node (the cancel reaches it through the job notice / its look at SQL)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from netweave.core.jobs.schemas import ExecRequest
from netweave.core.runtime import Runtime
from netweave.lab import Fault, LabThread
from netweave.sessions import SessionPool
from tests.fixtures.lab import first
from tests.fixtures.workers import ADMIN, LOGIN, ClusterRuntime


@pytest.fixture
def runtime(engine_runtime: Runtime) -> Runtime:
    """Every test here runs on both executor backends (local and rq)."""
    return engine_runtime


def _pool(runtime: Runtime) -> SessionPool:
    """The session pool of whoever runs the jobs (the worker node's, with rq)."""
    runtime.jobs  # noqa: B018 - starts the engine (and the rq worker node)
    if isinstance(runtime, ClusterRuntime) and runtime.worker is not None:
        return runtime.worker.jobs.pool
    return runtime.jobs.pool


def _until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        time.sleep(0.05)


def test_cancel_a_running_job_on_a_hung_device(
    runtime: Runtime, admin: TestClient, fault_lab: LabThread
) -> None:
    device = first(fault_lab, "cisco_ios")
    request = ExecRequest(
        connection_args={**LOGIN, "host": device.host, "port": device.port},
        command="show version",
        execution_timeout=120,
    )
    pool = _pool(runtime)
    warm = runtime.jobs.wait(runtime.jobs.submit_exec(request, ADMIN).id, 60)
    assert warm.status == "finished", warm.result  # a pooled session, so the hang is mid-read
    assert pool.stats()["sessions"] == 1
    fault_lab.set_fault(device.name, Fault("hang"))
    try:
        hung = runtime.jobs.submit_exec(request, ADMIN)
        _until(lambda: runtime.jobs.get(hung.id).status == "started", 30, "the job started")
        response = admin.delete(f"/jobs/{hung.id}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "canceled"
        assert body["result"]["error"]["type"] == "canceled"
        _until(lambda: pool.stats()["aborted"] == 1, 15, "the session was aborted")
        _until(lambda: fault_lab.session_count == 0, 15, "the device saw its session close")
        assert pool.stats()["sessions"] == 0  # discarded, not back in the pool
        ended = runtime.jobs.get(hung.id)  # the worker's own end did not overwrite it
        assert ended.status == "canceled" and ended.result is not None
        assert ended.result.error is not None and ended.result.error.type == "canceled"
        again = admin.delete(f"/jobs/{hung.id}")
        assert again.status_code == 422 and again.json()["field"] == "id"
        assert "only queued or running" in again.json()["detail"]
    finally:
        fault_lab.clear_fault(device.name)
    following = runtime.jobs.wait(runtime.jobs.submit_exec(request, ADMIN).id, 60)
    assert following.status == "finished", following.result
    assert following.result is not None
    assert following.result.retval[0].metadata["session_reused"] is False  # a new session
    assert "Cisco IOS" in following.result.retval[0].stdout


def test_a_job_outliving_the_shutdown_grace_is_canceled_not_left_started(
    runtime: Runtime, fault_lab: LabThread
) -> None:
    device = first(fault_lab, "cisco_ios")
    request = ExecRequest(
        connection_args={**LOGIN, "host": device.host, "port": device.port},
        command="show version",
        execution_timeout=120,
    )
    pool = _pool(runtime)
    engine = runtime.worker.jobs if isinstance(runtime, ClusterRuntime) else runtime.jobs
    assert engine is not None
    warm = runtime.jobs.wait(runtime.jobs.submit_exec(request, ADMIN).id, 60)
    assert warm.status == "finished", warm.result  # a pooled session: the hang is mid-read
    fault_lab.set_fault(device.name, Fault("hang"))
    try:
        hung = runtime.jobs.submit_exec(request, ADMIN)
        _until(lambda: runtime.jobs.get(hung.id).status == "started", 30, "the job started")
        engine.stop(grace=0.5)  # what a SIGTERM'd serve or worker does with what is left
        ended = runtime.jobs.get(hung.id)
        assert ended.status == "canceled", ended
        assert ended.result is not None and ended.result.error is not None
        assert "shut down before it ended" in ended.result.error.message
        assert pool.stats()["aborted"] == 1  # its session was cut, not left to the exit
    finally:
        fault_lab.clear_fault(device.name)

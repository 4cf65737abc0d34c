"""Job lifecycle through the service: webhooks, cancel, ttl, result expiry, big bulks."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from sqlalchemy import update

from netweave.core.access.tokens import Principal
from netweave.core.jobs.schemas import BulkRequest, ExecRequest
from netweave.core.runtime import Runtime
from netweave.db.models import Job, Role
from netweave.foundation.errors import InvalidInput, NotFound
from netweave.lab import Fault, LabDevice, LabThread, build_specs
from tests.fixtures.database import FULL_MATRIX
from tests.fixtures.lab import first
from tests.fixtures.workers import claim_as_worker


@pytest.fixture
def runtime(engine_runtime: Runtime) -> Runtime:
    """Every test here runs on both executor backends (local and rq)."""
    return engine_runtime


ADMIN = Principal(1, "admin", Role.admin, "test")
LOGIN = {"username": "netweave", "password": "netweave", "device_type": "cisco_ios"}


def _on(device: LabDevice, command: str = "show clock", **fields: Any) -> ExecRequest:
    """A request for one lab device, logged in with the lab's credentials."""
    args = {**LOGIN, "host": device.host, "port": device.port, "device_type": device.spec.platform}
    return ExecRequest(connection_args=args, command=command, **fields)


def _wait(runtime: Runtime, job_id: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = runtime.jobs.get(job_id)
        if job.status in ("finished", "failed", "canceled"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {job.status}")


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    fail_first = 1

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if _Hook.fail_first > 0:
            _Hook.fail_first -= 1
            self.send_response(503)
        else:
            _Hook.received.append({"body": body, "token": self.headers.get("X-Token")})
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook_server() -> Iterator[str]:
    _Hook.received, _Hook.fail_first = [], 1
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


def test_webhook_is_retried_until_delivered(
    runtime: Runtime, lab: LabThread, hook_server: str
) -> None:
    device = first(lab, "cisco_ios")
    request = ExecRequest(
        connection_args={**LOGIN, "host": device.host, "port": device.port},
        command="show clock",
        webhook={"url": hook_server, "headers": {"X-Token": "abc"}},  # type: ignore[arg-type]
    )
    job = _wait(runtime, runtime.jobs.submit_exec(request, ADMIN).id)
    assert job.status == "finished"
    deadline = time.monotonic() + 10
    while not _Hook.received and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _Hook.received and _Hook.received[0]["body"]["id"] == job.id
    body = _Hook.received[0]["body"]  # NetPulse's shape, plus NetWeave's structured result
    assert body["status"] == "success" and _Hook.received[0]["token"] == "abc"
    assert body["netweave"]["status"] == "finished" and "Command: show clock" in body["result"]
    assert "netweave" not in json.dumps(body["netweave"]["result"]["retval"][0]["metadata"])


def test_cancel_queued_job_and_ttl_expiry(runtime: Runtime, fault_lab: LabThread) -> None:
    runtime.settings.worker_threads = 1
    slow, other = fault_lab.devices[0], fault_lab.devices[1]
    fault_lab.set_fault(slow.name, Fault("slow", delay=1.5))
    try:
        blocker = runtime.jobs.submit_exec(
            _on(slow),
            ADMIN,
        )
        victim = runtime.jobs.submit_exec(
            _on(other),
            ADMIN,
        )
        stale = runtime.jobs.submit_exec(
            _on(other, ttl=1),
            ADMIN,
        )
        assert runtime.jobs.cancel(victim.id).status == "canceled"
        assert _wait(runtime, blocker.id).status == "finished"
        expired = _wait(runtime, stale.id)
        assert expired.status == "failed" and expired.result.error.type == "ttl_expired"
        assert runtime.jobs.get(victim.id).status == "canceled"  # never ran
        with pytest.raises(InvalidInput, match="only queued"):
            runtime.jobs.cancel(blocker.id)
    finally:
        fault_lab.clear_fault(slow.name)


def test_expired_results_disappear(runtime: Runtime, lab: LabThread) -> None:
    device = first(lab, "cisco_ios")
    job = _wait(
        runtime,
        runtime.jobs.submit_exec(
            ExecRequest(
                connection_args={**LOGIN, "host": device.host, "port": device.port},
                command="show clock",
                result_ttl=60,
            ),
            ADMIN,
        ).id,
    )
    runtime.jobs.writer.flush()
    with runtime.transaction() as session:
        session.execute(
            update(Job)
            .where(Job.id == job.id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    with pytest.raises(NotFound):
        runtime.jobs.get(job.id)
    assert job.id not in {j.id for j in runtime.jobs.list_jobs()}
    housekeeper = threading.Thread(
        target=runtime.jobs.housekeeper.loop, args=(0.05, 0.05), daemon=True
    )
    housekeeper.start()
    deadline = time.monotonic() + 5
    while runtime.jobs.housekeeper.counters.purged < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (
        runtime.jobs.housekeeper.counters.purged == 1
    )  # deleted from SQL by the periodic housekeeping
    assert runtime.jobs.housekeeper.purge_expired() == 0


def test_inline_passwords_are_sealed_in_the_database(runtime: Runtime, lab: LabThread) -> None:
    device = first(lab, "cisco_ios")
    job = runtime.jobs.submit_exec(
        ExecRequest(
            connection_args={
                **LOGIN,
                "password": "netweave",
                "host": device.host,
                "port": device.port,
            },
            command="show clock",
        ),
        ADMIN,
    )
    _wait(runtime, job.id)
    runtime.jobs.writer.flush()
    with runtime.engine.connect() as connection:
        row = connection.execute(Job.__table__.select().where(Job.id == job.id)).mappings().one()
    assert "password" not in json.dumps(row["request"])
    assert row["secret_enc"] and "netweave" not in row["secret_enc"]


@FULL_MATRIX
def test_two_hundred_device_bulk_all_finish_without_database_locks(runtime: Runtime) -> None:
    with LabThread(build_specs(200, platforms=("cisco_ios",), prefix="bulk")) as lab:
        request = BulkRequest(
            connection_args=LOGIN,
            devices=[{"host": d.host, "port": d.port} for d in lab.devices] + [{"port": 22}],
            command="show version",
        )
        succeeded, failed = runtime.jobs.submit_bulk(request, ADMIN)
        assert len(succeeded) == 200 and len(failed) == 1 and "host" in failed[0].reason
        statuses = [_wait(runtime, job.id, timeout=120).status for job in succeeded]
    assert statuses.count("finished") == 200


def test_napalm_getter_job_returns_structured_data(runtime: Runtime, lab: LabThread) -> None:
    device = first(lab, "cisco_ios")
    job = runtime.jobs.submit_exec(
        ExecRequest(
            driver="napalm",
            connection_args={**LOGIN, "host": device.host, "port": device.port},
            command=["get_facts"],
        ),
        ADMIN,
    )
    done = _wait(runtime, job.id)
    assert done.status == "finished", done.result
    assert done.result.retval[0].parsed["hostname"] == device.name


def test_napalm_config_job_reports_the_diff(runtime: Runtime, fault_lab: LabThread) -> None:
    device = first(fault_lab, "cisco_ios")
    args = {**LOGIN, "secret": "netweave", "host": device.host, "port": device.port}
    job = runtime.jobs.submit_exec(
        ExecRequest(
            driver="napalm",
            connection_args=args,
            config=["logging host 10.7.7.7"],
            driver_args={"dry_run": True},
        ),
        ADMIN,
    )
    done = _wait(runtime, job.id)
    assert done.status == "finished", done.result
    metadata = done.result.retval[0].metadata
    assert metadata["diff"] == "+logging host 10.7.7.7" and metadata["committed"] is False


def test_execution_timeout_fails_a_job_that_hangs(runtime: Runtime, fault_lab: LabThread) -> None:
    device = first(fault_lab, "cisco_ios")
    warm = ExecRequest(
        connection_args={**LOGIN, "host": device.host, "port": device.port}, command="show clock"
    )
    assert _wait(runtime, runtime.jobs.submit_exec(warm, ADMIN).id).status == "finished"
    fault_lab.set_fault(device.name, Fault("slow", delay=3))
    try:
        job = runtime.jobs.submit_exec(
            ExecRequest(
                connection_args={**LOGIN, "host": device.host, "port": device.port},
                command="show clock",
                execution_timeout=1,
            ),
            ADMIN,
        )
        done = _wait(runtime, job.id)
    finally:
        fault_lab.clear_fault(device.name)
    assert done.status == "failed" and done.result.error.type == "timeout"


def test_ttp_parsing_and_pyeapi_jobs(runtime: Runtime, lab: LabThread) -> None:
    device = first(lab, "arista_eos")
    job = runtime.jobs.submit_exec(
        ExecRequest(
            driver="pyeapi",
            connection_args={
                **LOGIN,
                "host": device.host,
                "port": device.spec.eapi_port,
                "transport": "http",
            },
            command="show interfaces Ethernet1",
            parsing={
                "name": "ttp",
                "template": "{{ name }} is {{ state }}, line protocol is {{ protocol }} {{ ignore }}",
            },  # type: ignore[arg-type]
        ),
        ADMIN,
    )
    done = _wait(runtime, job.id)
    assert done.status == "finished", done.result
    assert done.result.retval[0].parsed == [{"name": "Ethernet1", "state": "up", "protocol": "up"}]


def test_driver_args_are_validated_by_each_drivers_model(runtime: Runtime) -> None:
    base = {"connection_args": {**LOGIN, "host": "127.0.0.1"}, "command": "show clock"}
    with pytest.raises(InvalidInput) as unknown:
        runtime.jobs.submit_exec(ExecRequest(**base, driver_args={"colour": "red"}), ADMIN)  # type: ignore[arg-type]
    assert unknown.value.field == "driver_args.colour"
    with pytest.raises(InvalidInput) as mode:
        runtime.jobs.submit_exec(
            ExecRequest(**base, driver="napalm", driver_args={"mode": "sideways"}), ADMIN
        )  # type: ignore[arg-type]
    assert mode.value.field == "driver_args.mode"
    with pytest.raises(InvalidInput) as regex:
        runtime.jobs.submit_exec(
            ExecRequest(**base, driver_args={"error_pattern": "(unclosed"}), ADMIN
        )  # type: ignore[arg-type]
    assert (
        regex.value.field == "driver_args.error_pattern"
        and "regular expression" in regex.value.message
    )


@FULL_MATRIX
def test_a_job_is_claimed_exactly_once(runtime: Runtime, lab: LabThread) -> None:
    device = first(lab, "cisco_ios")
    runtime.settings.worker_threads = 1
    fault = Fault("slow", delay=0.5)
    lab.set_fault(device.name, fault)
    try:
        blocker = runtime.jobs.submit_exec(
            _on(device),
            ADMIN,
        )
        queued = runtime.jobs.submit_exec(
            _on(device),
            ADMIN,
        )
        assert claim_as_worker(runtime, queued.id) is True  # another process wins
        assert claim_as_worker(runtime, queued.id) is False
        assert _wait(runtime, blocker.id).status == "finished"
        time.sleep(0.3)
        assert runtime.jobs.get(queued.id).status == "started"  # this worker did not run it too
    finally:
        lab.clear_fault(device.name)


def test_reaper_ends_jobs_running_past_their_limit(runtime: Runtime, lab: LabThread) -> None:
    device = first(lab, "cisco_ios")
    runtime.settings.worker_threads = 1
    lab.set_fault(device.name, Fault("slow", delay=0.5))
    try:
        blocker = runtime.jobs.submit_exec(
            _on(device),
            ADMIN,
        )
        queued = runtime.jobs.submit_exec(
            ExecRequest(
                connection_args={**LOGIN, "host": device.host, "port": device.port},
                command="show clock",
                execution_timeout=5,
            ),
            ADMIN,
        )
        assert claim_as_worker(runtime, queued.id)  # as if a worker took it, then went silent
        assert runtime.jobs.housekeeper.reap() == 0  # within its limit
        assert runtime.jobs.housekeeper.reap(now=datetime.now(UTC) + timedelta(seconds=120)) == 1
        ended = runtime.jobs.get(queued.id)
        assert ended.status == "failed" and ended.result and ended.result.error
        assert ended.result.error.type == "timeout"
        assert _wait(runtime, blocker.id).status == "finished"
    finally:
        lab.clear_fault(device.name)

"""Issue 20 item 3: a long poll (``GET /jobs/{id}?wait=``) holds no thread while it waits.
Far more long polls than the server has threads wait at once on one job, a request to a
plain (thread-pool) route is answered while they all still wait, and every one of them is
answered with the finished job when the device answers. Timings are not asserted: the
counts of waiters registered at once and the order of events are."""

from __future__ import annotations

import asyncio
import time

import anyio
import httpx
from anyio import to_thread

from netweave.core.access.tokens import Principal
from netweave.core.jobs.schemas import ExecRequest
from netweave.db.models import Role
from netweave.lab import Fault, LabThread
from tests.fixtures.api import LiveApi
from tests.fixtures.database import ONE_BACKEND

pytestmark = ONE_BACKEND
POLLS = 150  # the server's thread pool has 40 threads (anyio's default)
ADMIN = Principal(1, "admin", Role.admin, "test")


async def _thread_tokens() -> float:
    return to_thread.current_default_thread_limiter().total_tokens


def test_long_polls_wait_on_the_event_loop_not_on_threads(
    live_api: LiveApi, fault_lab: LabThread
) -> None:
    threads = anyio.run(_thread_tokens)
    assert 3 * threads < POLLS
    device = fault_lab.devices[0]
    fault_lab.set_fault(device.name, Fault("slow", delay=3))
    jobs = live_api.runtime.jobs
    login = {"username": "netweave", "password": "netweave", "device_type": "cisco_ios"}
    args = {**login, "host": device.host, "port": device.port}
    job = jobs.submit_exec(ExecRequest(connection_args=args, command="show clock"), ADMIN)
    headers = {"X-API-KEY": live_api.key}

    async def scenario() -> tuple[list[str], int, int, str]:
        limits = httpx.Limits(max_connections=POLLS + 10)
        async with httpx.AsyncClient(
            base_url=live_api.url, headers=headers, timeout=60, limits=limits
        ) as client:
            polls = [
                asyncio.create_task(client.get(f"/jobs/{job.id}", params={"wait": 50}))
                for _ in range(POLLS)
            ]
            deadline = time.monotonic() + 30  # a bound for a loaded machine, not a timing
            most = 0
            while most < POLLS and time.monotonic() < deadline:
                most = max(most, jobs.waiters.waiting())
                await asyncio.sleep(0.05)
            plain = await client.get("/api/v1/devices")  # a thread-pool route, meanwhile
            still = jobs.waiters.waiting()
            answers = await asyncio.gather(*polls)
            return [a.json()["status"] for a in answers], most, still, str(plain.status_code)

    try:
        statuses, most, still, plain = asyncio.run(scenario())
    finally:
        fault_lab.clear_fault(device.name)
    assert most == POLLS  # every long poll waited at once: none held one of the threads
    assert plain == "200" and still == POLLS  # answered while they all still waited
    assert statuses == ["finished"] * POLLS
    assert jobs.waiters.waiting() == 0  # nothing left registered


def test_a_long_poll_answers_from_the_committed_result_without_a_reread(
    live_api: LiveApi, fault_lab: LabThread
) -> None:
    """The result writer hands the end it committed to the job's long polls: the poll
    reads the job once (before it waits), not again when woken, and answers exactly what a
    read of the stored job gives (result through JSON, start, worker, durations)."""
    device = fault_lab.devices[0]
    jobs = live_api.runtime.jobs
    reads: list[str] = []
    original = jobs.get

    def counted(job_id: str) -> object:
        reads.append(job_id)
        return original(job_id)

    login = {"username": "netweave", "password": "netweave", "device_type": "cisco_ios"}
    args = {**login, "host": device.host, "port": device.port}
    request = ExecRequest(connection_args=args, command="show version")
    assert jobs.wait(jobs.submit_exec(request, ADMIN).id, 30).status == "finished"  # logged in
    fault_lab.set_fault(device.name, Fault("slow", delay=0.5))  # well inside one recheck
    job = jobs.submit_exec(request, ADMIN)
    headers = {"X-API-KEY": live_api.key}
    jobs.get = counted  # type: ignore[method-assign]
    try:
        with httpx.Client(base_url=live_api.url, headers=headers, timeout=60) as client:
            polled = client.get(f"/jobs/{job.id}", params={"wait": 50}).json()
            assert reads == [job.id]  # once, before waiting: the end came pushed
            stored = client.get(f"/jobs/{job.id}").json()
    finally:
        jobs.get = original  # type: ignore[method-assign]
        fault_lab.clear_fault(device.name)
    assert polled["status"] == "finished" and "Cisco IOS" in polled["result"]["retval"][0]["stdout"]
    assert polled == stored

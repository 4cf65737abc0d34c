"""The rq executor against the real Redis, with `netweave worker` as a separate process."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import pytest
from redis import Redis
from sqlalchemy import func, select

from netweave.core.jobs.schemas import BulkRequest, ExecRequest, WorkerRead
from netweave.core.runtime import Runtime
from netweave.db.models import Job
from netweave.foundation.errors import Conflict, NotFound
from netweave.foundation.settings import Settings
from netweave.lab import Fault, LabThread, build_specs
from tests.fixtures.database import ON_POSTGRESQL
from tests.fixtures.lab import first
from tests.fixtures.workers import (
    ADMIN,
    LOGIN,
    NODE_HEARTBEAT_TTL,
    REDIS_URL,
    open_files_limits,
    start_worker,
    stop_worker,
    worker_output,
)


def unfinished(producer: Runtime) -> int:
    """Jobs still queued or started (in SQL, the source of truth)."""
    with producer.sessions() as session:
        count = select(func.count()).select_from(Job)
        return int(session.scalar(count.where(Job.status.in_(("queued", "started")))) or 0)


def test_jobs_run_on_a_separate_worker_process(
    producer: Runtime, rq_settings: Settings, lab: LabThread
) -> None:
    device = first(lab, "cisco_ios")
    request = ExecRequest(
        connection_args={**LOGIN, "host": device.host, "port": device.port}, command="show version"
    )
    queued = producer.jobs.submit_exec(request, ADMIN)
    redis = Redis.from_url(REDIS_URL)
    shared = f"netweave:queue:{rq_settings.queue_name}"
    # the job's id, and nothing else (no secret, no command), travels through Redis
    assert redis.lrange(shared, 0, -1) == [queued.id.encode()]
    assert producer.jobs.executor.queued_ids() == {queued.id}
    worker = start_worker(rq_settings, open_files=256)  # started as under a 1024-ish login
    try:
        first_run = producer.jobs.wait(queued.id, 60)
        soft, hard = open_files_limits(worker.pid)  # a descriptor per session, and its pipe
        assert soft == hard and soft > 256, (soft, hard)
        assert first_run.status == "finished", first_run.result
        assert first_run.worker and first_run.worker.startswith(rq_settings.queue_name)
        second = producer.jobs.wait(producer.jobs.submit_exec(request, ADMIN).id, 30)
        assert second.result and second.result.retval[0].metadata["session_reused"] is True
        names = {w.name for w in producer.jobs.workers()}
        assert {f"{rq_settings.queue_name}.{n}" for n in range(4)} <= names
        ios_like = [d for d in lab.devices if d.spec.platform in ("cisco_ios", "arista_eos")]
        bulk = BulkRequest(
            connection_args=LOGIN,
            devices=[
                {"host": d.host, "port": d.port, "device_type": d.spec.platform} for d in ios_like
            ],
            command="show clock",
        )
        jobs, failed = producer.jobs.submit_bulk(bulk, ADMIN)
        assert not failed
        assert [producer.jobs.wait(j.id, 60).status for j in jobs] == ["finished"] * len(ios_like)
    finally:
        output = stop_worker(worker)
    assert "draining" in output


def test_jobs_queued_in_sql_survive_redis_losing_everything(
    producer: Runtime, rq_settings: Settings, lab: LabThread
) -> None:
    device = first(lab, "arista_eos")
    request = ExecRequest(
        connection_args={
            **LOGIN,
            "host": device.host,
            "port": device.port,
            "device_type": "arista_eos",
        },
        command="show clock",
    )
    ids = [producer.jobs.submit_exec(request, ADMIN).id for _ in range(3)]
    redis = Redis.from_url(REDIS_URL)
    # as if Redis restarted empty: this test's keys only (other tests share the server)
    for key in redis.keys(f"netweave:*{rq_settings.queue_name}*"):
        redis.delete(key)
    assert producer.jobs.executor.queue_depth() == 0
    assert producer.jobs.housekeeper.recover() == 3  # re-enqueued from SQL, the source of truth
    worker = start_worker(rq_settings, threads=2)
    try:
        done = [producer.jobs.wait(job_id, 60) for job_id in ids]
        assert [d.status for d in done] == ["finished"] * 3, [
            d.result.error for d in done if d.result
        ]
    finally:
        stop_worker(worker)
    time.sleep(0.1)


@ON_POSTGRESQL
def test_a_job_on_a_killed_worker_node_does_not_stay_started(
    producer: Runtime, rq_settings: Settings, fault_lab: LabThread
) -> None:
    device = first(fault_lab, "cisco_ios")
    request = ExecRequest(
        connection_args={**LOGIN, "host": device.host, "port": device.port}, command="show clock"
    )
    worker = start_worker(rq_settings, threads=2)
    try:
        assert (
            producer.jobs.wait(producer.jobs.submit_exec(request, ADMIN).id, 60).status
            == "finished"
        )
        assert rq_settings.queue_name in (producer.jobs.executor.alive_nodes() or set())
        fault_lab.set_fault(device.name, Fault("slow", delay=30))
        stuck = producer.jobs.submit_exec(request, ADMIN)
        deadline = time.monotonic() + 20
        while producer.jobs.get(stuck.id).status != "started" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert producer.jobs.get(stuck.id).status == "started"
        worker.kill()  # SIGKILL: no drain, no goodbye
        worker.wait(timeout=10)
        ended = producer.jobs.wait(stuck.id, 20)
        assert ended.status == "failed" and ended.result and ended.result.error
        assert (
            ended.result.error.type == "worker_lost"
            and rq_settings.queue_name in ended.result.error.message
        )
        assert rq_settings.queue_name not in (producer.jobs.executor.alive_nodes() or set())
    finally:
        fault_lab.clear_fault(device.name)
        if worker.poll() is None:
            stop_worker(worker)


def test_delete_worker_drains_that_node(
    producer: Runtime, rq_settings: Settings, runtime: Runtime
) -> None:
    worker = start_worker(rq_settings, threads=2)
    try:
        deadline = time.monotonic() + 20
        while rq_settings.queue_name not in (producer.jobs.executor.alive_nodes() or set()):
            assert time.monotonic() < deadline, "the worker never heart-beat"
            time.sleep(0.1)
        with pytest.raises(NotFound):
            producer.jobs.stop_worker("no-such-node")
        assert (
            producer.jobs.stop_worker(f"{rq_settings.queue_name}.1")
            == f"{rq_settings.queue_name}.1"
        )
        worker.wait(timeout=20)
        output = worker_output(worker)
        assert worker.returncode == 0 and "stop requested through the API" in output
        assert rq_settings.queue_name not in (producer.jobs.executor.alive_nodes() or set())
    finally:
        if worker.poll() is None:
            stop_worker(worker)
    with pytest.raises(Conflict):
        runtime.jobs.stop_worker("anything")  # the local executor has no nodes to stop


@ON_POSTGRESQL
def test_kill_a_node_and_restart_redis_during_a_200_device_bulk(
    settings: Settings, runtime: Runtime, private_redis: tuple[str, Callable[[], None]]
) -> None:
    url, restart_redis = private_redis
    rq = settings.model_copy(
        update={
            "executor": "rq",
            "redis_url": url,
            "queue_name": "bulk",
            # the default: with the suite running in two processes on 2 cores, a survivor's
            # heartbeat can lag several seconds while Redis restarts under a 200-device bulk
            "node_heartbeat_ttl": 10,
        }
    )
    producer = Runtime.open(rq, migrate=False, bootstrap=False)
    with LabThread(build_specs(200, platforms=("cisco_ios",), prefix="kill", delay=0.05)) as lab:
        doomed = start_worker(
            rq.model_copy(update={"queue_name": "bulk"}), threads=8, node="node-a", redis_url=url
        )
        survivor = start_worker(rq, threads=8, node="node-b", redis_url=url)
        try:
            request = BulkRequest(
                connection_args=LOGIN,
                devices=[{"host": d.host, "port": d.port} for d in lab.devices],
                command="show version",
            )
            jobs, failed = producer.jobs.submit_bulk(request, ADMIN)
            assert len(jobs) == 200 and not failed
            ids = [job.id for job in jobs]
            deadline = time.monotonic() + 60
            while producer.jobs.stats()["jobs"].get("finished", 0) < 30:
                assert time.monotonic() < deadline, producer.jobs.stats()
                time.sleep(0.1)
            doomed.kill()  # node A dies mid-run
            restart_redis()  # and Redis comes back empty
            queued_when_redis_died = producer.jobs.stats()["jobs"].get("queued", 0)
            deadline = time.monotonic() + 120
            # one COUNT per round, not 200 reads: the poll must not load the SQLite file
            # the two nodes are writing to
            while pending := unfinished(producer):
                assert time.monotonic() < deadline, f"{pending} jobs still queued or started"
                time.sleep(0.5)
            states = [producer.jobs.get(job_id) for job_id in ids]
        finally:
            if doomed.poll() is None:
                doomed.kill()
            stop_worker(survivor)
            producer.close()
    failures = [s for s in states if s.status == "failed"]
    assert len(states) == 200  # none lost
    # Those were only in the emptied Redis: they ran because a process re-enqueued them from SQL.
    assert queued_when_redis_died > 0
    assert all(
        f.result and f.result.error and f.result.error.type == "worker_lost" for f in failures
    )
    # Only node A's jobs fail: the 8 it was running plus those it had finished whose results
    # were still in its write-behind buffer (its claims commit at once, results in batches).
    assert all(f.worker and f.worker.startswith("node-a.") for f in failures), {
        f.worker for f in failures
    }
    assert all(
        "node-a" in (f.result.error.message or "") for f in failures if f.result and f.result.error
    )
    assert len(failures) <= 8 * 4
    assert {s.worker.rsplit(".", 1)[0] for s in states if s.worker} <= {"node-a", "node-b"}, {
        s.worker for s in states
    }
    assert (
        sum(
            1
            for s in states
            if s.status == "finished" and s.worker and s.worker.startswith("node-b")
        )
        > 0
    )


def test_jobs_left_in_rq_queues_by_an_older_version_run_after_the_upgrade(
    producer: Runtime, rq_settings: Settings, lab: LabThread
) -> None:
    """Before NetWeave's own loop, RQ held the ids (``rq:queue:Q`` and a job hash each).
    The first tick of the new version finds no epoch marker for its lists and enqueues
    every job SQL holds as queued again."""
    device = first(lab, "cisco_ios")
    request = ExecRequest(
        connection_args={**LOGIN, "host": device.host, "port": device.port}, command="show clock"
    )
    ids = [producer.jobs.submit_exec(request, ADMIN).id for _ in range(2)]
    redis = Redis.from_url(REDIS_URL)
    queue = rq_settings.queue_name
    redis.delete(f"netweave:queue:{queue}", f"netweave:epoch:{queue}:lists")
    redis.rpush(f"rq:queue:{queue}", *(f"nw-{i}-abcdef" for i in ids))  # what RQ left
    assert producer.jobs.executor.queued_ids() == set()
    producer.jobs.housekeeper.tick()
    assert producer.jobs.executor.queued_ids() == set(ids)
    producer.jobs.housekeeper.tick()  # once: the marker is back
    assert redis.llen(f"netweave:queue:{queue}") == 2
    worker = start_worker(rq_settings, threads=2)
    try:
        assert [producer.jobs.wait(i, 60).status for i in ids] == ["finished"] * 2
    finally:
        stop_worker(worker)
        redis.delete(f"rq:queue:{queue}")


def test_workers_show_the_job_each_thread_runs(
    producer: Runtime, rq_settings: Settings, fault_lab: LabThread
) -> None:
    """``GET /workers`` on rq: every thread of every live node, busy with its job's id while
    it runs it (as of the node's last heartbeat), with its counts once done."""
    device = first(fault_lab, "cisco_ios")
    request = ExecRequest(
        connection_args={**LOGIN, "host": device.host, "port": device.port}, command="show clock"
    )
    worker = start_worker(rq_settings, threads=2, node=f"{rq_settings.queue_name}-w")
    node = f"{rq_settings.queue_name}-w"
    try:
        assert producer.jobs.wait(producer.jobs.submit_exec(request, ADMIN).id, 60).status == (
            "finished"
        )
        fault_lab.set_fault(device.name, Fault("slow", delay=3 * NODE_HEARTBEAT_TTL))
        slow = producer.jobs.submit_exec(request, ADMIN)
        deadline = time.monotonic() + 3 * NODE_HEARTBEAT_TTL
        busy: list[WorkerRead] = []
        while not busy and time.monotonic() < deadline:
            busy = [w for w in producer.jobs.workers() if w.status == "busy"]
            time.sleep(0.2)
        assert [(w.current_job, w.hostname) for w in busy] == [(slow.id, socket.gethostname())]
        listed = producer.jobs.workers()
        assert sorted(w.name for w in listed) == [f"{node}.0", f"{node}.1"]
        assert all(
            w.queues == [f"{rq_settings.queue_name}.node.{node}", rq_settings.queue_name]
            for w in listed
        )
        assert sum(w.successful_job_count for w in listed) >= 1
        assert producer.jobs.workers(queue=f"{rq_settings.queue_name}.node.{node}") == listed
    finally:
        fault_lab.clear_fault(device.name)
        stop_worker(worker)
    assert producer.jobs.workers() == []  # a stopped node takes its threads with it

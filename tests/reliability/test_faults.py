"""Fault injection: devices that drop, hang, crawl or refuse logins; a worker node killed
mid-job; Redis and PostgreSQL restarted; the data dir's disk full. Each case ends with every
accepted job terminal (none stuck queued or started, none lost) with a clear error where it
failed, and the API still answering."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from netweave.core.runtime import Runtime
from netweave.db.models import Job
from netweave.foundation.settings import Settings
from netweave.lab import Fault, LabThread, build_specs
from tests.fixtures.database import ON_POSTGRESQL, ONE_BACKEND, TEST_ADMIN_PASSWORD
from tests.fixtures.workers import start_worker, stop_worker
from tests.reliability.harness import (
    PrivatePostgres,
    SmallDisk,
    admin_key,
    api_client,
    assert_api_answers,
    error_of,
    exec_body,
    settle,
    submit,
    wait_for,
)

TIMEOUT = 2  # execution_timeout of the jobs that meet a hung or slow device
PATIENT = 30  # execution_timeout of the jobs whose device fails otherwise


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with api_client(runtime) as opened:
        yield opened


@ONE_BACKEND
def test_device_faults_end_every_job_with_a_clear_error(
    runtime: Runtime, client: TestClient, fault_lab: LabThread
) -> None:
    """One device per fault, two jobs each (the second queued behind the first on the same
    device): a session dropped mid-command, a device that stops answering, one slower than
    the job's timeout, one refusing logins. Then the faults clear and each device works."""
    dropping, hanging, crawling, refusing = fault_lab.devices  # ios, eos, junos, linux
    command = {d.name: "uname -a" if d is refusing else "show version" for d in fault_lab.devices}
    warm = [submit(client, exec_body(d, command[d.name])) for d in (dropping, hanging, crawling)]
    assert [j.status for j in settle(runtime, warm)] == ["finished"] * 3  # sessions open
    fault_lab.set_fault(dropping.name, Fault("drop"))
    fault_lab.set_fault(hanging.name, Fault("hang"))
    fault_lab.set_fault(crawling.name, Fault("slow", delay=TIMEOUT * 3))
    fault_lab.set_fault(refusing.name, Fault("refuse_auth"))
    # Only the hung and the slow device are there to time out; the others get a timeout a
    # loaded machine's SSH login never reaches, so their own error is the one reported.
    limit = {d.name: TIMEOUT if d in (hanging, crawling) else PATIENT for d in fault_lab.devices}
    try:
        ids = {
            device.name: [
                submit(
                    client,
                    exec_body(device, command[device.name], execution_timeout=limit[device.name]),
                )
                for _ in range(2)
            ]
            for device in fault_lab.devices
        }
        jobs = {name: settle(runtime, job_ids) for name, job_ids in ids.items()}
    finally:
        for device in fault_lab.devices:
            fault_lab.clear_fault(device.name)
    for name, pair in jobs.items():
        assert [job.status for job in pair] == ["failed", "failed"], (name, pair)
    for job in jobs[dropping.name]:  # a lost session, not a timeout on a dead channel
        kind, message = error_of(job)
        assert kind == "connection" and message.startswith("session lost"), job
    for name in (hanging.name, crawling.name):
        for job in jobs[name]:
            kind, message = error_of(job)
            assert kind == "timeout" and message.startswith("timed out after "), job
            # the first job times out on its command; the second, on a fresh login
            assert message.endswith(
                ("s while running 'show version'", "s while waiting for the prompt")
            ), job
    for job in jobs[refusing.name]:
        kind, message = error_of(job)
        assert kind == "authentication" and message.startswith("authentication failed"), job
    every = [job_id for pair in ids.values() for job_id in pair]
    assert_api_answers(client, warm + every)
    healed = [submit(client, exec_body(d, command[d.name])) for d in fault_lab.devices]
    assert [j.status for j in settle(runtime, healed)] == ["finished"] * 4
    assert runtime.jobs.pool.stats()["sessions"] == 4  # the broken sessions were replaced


def _rq(settings: Settings, redis_url: str, queue: str) -> Settings:
    return settings.model_copy(
        update={
            "executor": "rq",
            "redis_url": redis_url,
            "queue_name": queue,
            "node_heartbeat_ttl": 4,  # generous: heartbeats lag on a loaded machine
        }
    )


@ON_POSTGRESQL
def test_a_worker_node_killed_mid_job(
    settings: Settings, runtime: Runtime, private_redis: tuple[str, Callable[[], None]]
) -> None:
    """SIGKILL the node running a job: that job fails ``worker_lost`` naming the node; the
    jobs queued behind it (one thread per node: they wait in its queue) and everything else
    run on the survivor."""
    url, _ = private_redis
    rq = _rq(settings, url, "kill")
    producer = Runtime.open(rq, migrate=False, bootstrap=False)
    nodes = {name: start_worker(rq, threads=1, node=name, redis_url=url) for name in ("a", "b")}
    try:
        with (
            LabThread(build_specs(4, platforms=("cisco_ios",), prefix="kn")) as lab,
            api_client(producer) as client,
        ):
            wait_for(
                lambda: (producer.jobs.executor.alive_nodes() or set()) >= {"a", "b"},
                30,
                "both worker nodes heart-beating",
            )
            victim = lab.devices[0]
            lab.set_fault(victim.name, Fault("slow", delay=60))
            stuck = submit(client, exec_body(victim))
            wait_for(lambda: producer.jobs.get(stuck).status == "started", 30, "the job started")
            behind = [submit(client, exec_body(victim)) for _ in range(2)]
            others = [submit(client, exec_body(d)) for d in lab.devices[1:] for _ in range(2)]
            worker = producer.jobs.get(stuck).worker or ""
            doomed = worker.rsplit(".", 1)[0]
            nodes[doomed].send_signal(signal.SIGKILL)  # no drain, no goodbye
            nodes[doomed].wait(timeout=10)
            lab.clear_fault(victim.name)
            jobs = settle(producer, [stuck, *behind, *others], timeout=90)
            assert_api_answers(client, [stuck, *behind, *others])
            workers = client.get("/workers")
            assert workers.status_code == 200
            assert {w["name"].rsplit(".", 1)[0] for w in workers.json()} == {"a", "b"} - {doomed}
    finally:
        for process in nodes.values():
            if process.poll() is None:
                stop_worker(process)
        producer.close()
    assert jobs[0].status == "failed", jobs[0]
    kind, message = error_of(jobs[0])
    assert kind == "worker_lost" and f"worker node {doomed} " in message
    assert [j.status for j in jobs[1:]] == ["finished"] * (len(jobs) - 1), [
        (j.status, j.result and j.result.error) for j in jobs[1:]
    ]
    survivor = ({"a", "b"} - {doomed}).pop()
    assert all((j.worker or "").startswith(f"{survivor}.") for j in jobs[1:3])  # moved over


@ON_POSTGRESQL
def test_redis_restarted_empty_while_jobs_queue(
    settings: Settings, runtime: Runtime, private_redis: tuple[str, Callable[[], None]]
) -> None:
    """Redis dies (SIGKILL) and comes back empty while jobs wait and run: SQL has them all;
    every one runs exactly once, and jobs keep being accepted."""
    url, restart_redis = private_redis
    rq = _rq(settings, url, "restart")
    producer = Runtime.open(rq, migrate=False, bootstrap=False)
    node = start_worker(rq, threads=4, node="solo", redis_url=url)
    try:
        with (
            LabThread(build_specs(4, platforms=("cisco_ios",), prefix="rr", delay=0.2)) as lab,
            api_client(producer) as client,
        ):
            before = [submit(client, exec_body(d)) for d in lab.devices for _ in range(4)]
            wait_for(
                lambda: producer.jobs.stats()["jobs"].get("finished", 0) >= 2,
                30,
                "the first jobs finished",
            )
            restart_redis()
            assert producer.jobs.executor.queue_depth() == 0  # Redis lost every queued id
            after = [submit(client, exec_body(d)) for d in lab.devices]
            jobs = settle(producer, before + after, timeout=90)
            assert_api_answers(client, before + after)
    finally:
        output = stop_worker(node)
        producer.close()
    assert [j.status for j in jobs] == ["finished"] * len(jobs), [
        (j.status, j.result and j.result.error) for j in jobs
    ]
    with runtime.sessions() as session:
        attempts = session.scalars(select(Job.attempts).where(Job.id.in_(before + after)))
        assert set(attempts) == {1}, "a job ran twice"
    assert "draining" in output  # the node lived through it


def _inventory(client: TestClient, lab: LabThread) -> None:
    """The lab's devices in the inventory (pool ``all``) and a ``Clock`` service."""
    for path, body in [
        (
            "/api/v1/credentials",
            {
                "name": "lab",
                "username": "netweave",
                "password": "netweave",
                "scope": {"networks": ["127.0.0.0/8"]},
            },
        ),
        *[
            (
                "/api/v1/devices",
                {
                    "name": d.name,
                    "host": d.host,
                    "port": d.port,
                    "platform": d.spec.platform,
                    "credential": "lab",
                },
            )
            for d in lab.devices
        ],
        ("/api/v1/pools", {"name": "all", "devices": [d.name for d in lab.devices]}),
        (
            "/api/v1/services",
            {"name": "Clock", "type": "netmiko_commands", "inputs": {"commands": ["show clock"]}},
        ),
    ]:
        created = client.post(path, json=body)
        assert created.status_code == 201, created.text


def test_postgresql_restarted_and_stopped_under_load(
    private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    """``pg_ctl restart -m fast`` cuts every connection while jobs and a service run (its
    steps are jobs too) and wait; then the server is stopped: a new request gets a 503 that
    says why, /health says degraded; once it is back every accepted job has run, the run has
    ended with all its results, none lost, none stuck."""
    server = Runtime.open(
        Settings(
            mode="dev",
            data_dir=tmp_path / "data",
            database_url=private_postgres.url,
            admin_password=TEST_ADMIN_PASSWORD,
            worker_threads=4,
        )
    )
    try:
        with (
            LabThread(build_specs(3, platforms=("cisco_ios",), prefix="pg", delay=0.3)) as lab,
            api_client(server) as client,
        ):
            _inventory(client, lab)
            run = client.post("/api/v1/run/Clock", json={"targets": {"pools": ["all"]}})
            assert run.status_code == 201, run.text
            accepted = [submit(client, exec_body(d)) for d in lab.devices for _ in range(4)]
            wait_for(
                lambda: server.jobs.stats()["jobs"].get("finished", 0) >= 1, 30, "a job finished"
            )
            private_postgres.restart()
            accepted += [submit(client, exec_body(d)) for d in lab.devices]
            private_postgres.stop()
            refused = client.post("/device/exec", json=exec_body(lab.devices[0]))
            health = client.get("/health")
            listing = client.get("/jobs")
            private_postgres.start()
            accepted += [submit(client, exec_body(d)) for d in lab.devices]
            jobs = settle(server, accepted, timeout=90)
            assert_api_answers(client, accepted)
            ended = server.runs.wait(run.json()["id"], 60)
            results = client.get(f"/api/v1/runs/{ended.id}/results")
            with server.sessions() as session:
                steps = list(session.scalars(select(Job.status).where(Job.run_id == ended.id)))
    finally:
        server.close()
    assert ended.status == "success", ended  # the run rode it out, as did its steps
    assert results.status_code == 200 and len(results.json()) == 3, results.text
    assert all(r["success"] for r in results.json()), results.text
    assert steps == ["finished"] * 3, steps
    assert refused.status_code == 503, refused.text
    assert refused.json()["detail"] == "database unavailable; try again shortly"
    assert health.status_code == 200 and health.json()["status"] == "degraded"
    assert listing.status_code == 503  # an answer, not a hung request or a bare 500
    assert [j.status for j in jobs] == ["finished"] * len(accepted), [
        (j.status, j.result and j.result.error) for j in jobs
    ]


def test_disk_full_on_the_data_dir(small_disk: SmallDisk, caplog: pytest.LogCaptureFixture) -> None:
    """The SQLite database lives on an 8 MiB tmpfs. Nearly full: a job whose result does
    not fit fails "no space left on device" (small ones go on). Full: new jobs are refused
    (507, the same words) while reads still answer; accepted jobs keep their results in
    memory, none marked done; once space is freed every one of them finishes."""
    server = Runtime.open(
        Settings(
            mode="dev",
            data_dir=small_disk.path / "data",
            admin_password=TEST_ADMIN_PASSWORD,
            worker_threads=4,
        )
    )
    try:
        with (
            LabThread(build_specs(3, platforms=("cisco_ios",), prefix="df")) as lab,
            api_client(server) as client,
        ):
            big, small, slow = lab.devices
            with server.engine.connect() as connection:  # the WAL restarts from nothing
                busy, _, _ = connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).one()
            assert busy == 0
            small_disk.fill(leave=192 * 1024)
            tiny = submit(client, exec_body(small))
            settle(server, [tiny])
            huge = submit(client, exec_body(big, ["show interfaces"] * 80))  # ~470 kB
            nearly = settle(server, [tiny, huge])
            small_disk.free()
            lab.set_fault(slow.name, Fault("slow", delay=0.3))
            waiting = [submit(client, exec_body(slow)) for _ in range(4)]
            wait_for(lambda: server.jobs.get(waiting[0]).status == "started", 30, "started")
            fresh_key = admin_key(server, "never used before the disk filled")
            small_disk.fill()
            refused = client.post("/device/exec", json=exec_body(small))
            health = client.get("/health")
            listing = client.get("/jobs", params={"limit": 1000})
            with api_client(server, fresh_key) as fresh:  # its last_used_at can't be written
                first_use = fresh.get("/jobs", params={"limit": 1})
            wait_for(
                lambda: any("no space left on device" in r.getMessage() for r in caplog.records),
                30,
                "a result waiting for disk space",
            )
            while_full = [server.jobs.get(job_id).status for job_id in waiting]
            small_disk.free()
            jobs = settle(server, waiting)
            assert_api_answers(client, [huge, tiny, *waiting])
    finally:
        server.close()
    assert [j.status for j in nearly] == ["finished", "failed"], nearly
    kind, message = error_of(nearly[1])
    assert kind == "storage_error" and "no space left on device" in message, message
    assert refused.status_code == 507, refused.text
    assert refused.json()["detail"].startswith("no space left on device")
    assert health.status_code == 200 and listing.status_code == 200  # reads still work
    assert first_use.status_code == 200, first_use.text  # key bookkeeping is best-effort
    assert {j["id"] for j in listing.json()} >= set(waiting)
    assert "finished" not in while_full, while_full  # nothing claimed stored that was not
    assert [j.status for j in jobs] == ["finished"] * 4, [
        (j.status, j.result and j.result.error) for j in jobs
    ]

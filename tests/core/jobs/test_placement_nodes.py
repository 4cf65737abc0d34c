"""Device placement across `netweave worker` processes: affinity, failover, rebalancing."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from netweave.api.routes.metrics import metrics
from netweave.core.jobs.schemas import BulkRequest, JobRead
from netweave.core.runtime import Runtime
from netweave.foundation.errors import InvalidInput
from netweave.foundation.settings import Settings
from netweave.lab import Fault, LabThread, build_specs
from tests.fixtures.database import ON_POSTGRESQL
from tests.fixtures.workers import ADMIN, LOGIN, start_worker, stop_worker, worker_output


@pytest.fixture
def placement_lab() -> Iterator[LabThread]:
    with LabThread(build_specs(8, platforms=("cisco_ios",), prefix="plc")) as running:
        yield running


@pytest.fixture
def names(rq_settings: Settings) -> tuple[str, str]:
    """Node names of this test's own, so the ``worker`` column of a job names this test's
    node whatever other test processes run on the same Redis."""
    return f"{rq_settings.queue_name}-a", f"{rq_settings.queue_name}-b"


def bulk(lab: LabThread, **extra: Any) -> BulkRequest:
    return BulkRequest(
        connection_args=LOGIN,
        devices=[{"host": d.host, "port": d.port} for d in lab.devices],
        command="show clock",
        **extra,
    )


def node_of(job: JobRead) -> str:
    assert job.worker, job
    return job.worker.rsplit(".", 1)[0]


def run_all(producer: Runtime, request: BulkRequest) -> list[JobRead]:
    jobs, failed = producer.jobs.submit_bulk(request, ADMIN)
    assert not failed
    return [producer.jobs.wait(job.id, 60) for job in jobs]


def joined(producer: Runtime) -> int:
    """Node joins the controller (the producer's housekeeping) has handled so far."""
    return int(producer.jobs.stats()["self_healing"]["nodes_joined"])


def until(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


@ON_POSTGRESQL
def test_pinned_devices_stick_to_one_node_and_move_to_the_survivor_when_it_dies(
    producer: Runtime, rq_settings: Settings, placement_lab: LabThread, names: tuple[str, str]
) -> None:
    node_a, node_b = names
    a = start_worker(rq_settings, threads=2, node=node_a, capacity=50)
    b = start_worker(rq_settings, threads=2, node=node_b, capacity=50)
    try:
        until(lambda: len(producer.jobs.executor.nodes() or []) == 2, "both nodes heart-beat")
        # Heart-beating is not enough: the controller rebalances idle devices when it sees a
        # node join (every 2 s). Were that round to come after the first bulk was placed,
        # devices would move between the two runs, so wait until it has taken both in.
        until(lambda: joined(producer) == 2, "the controller saw both nodes join")
        first = run_all(producer, bulk(placement_lab))
        second = run_all(producer, bulk(placement_lab))
        assert all(j.status == "finished" for j in first + second)
        owner = {j.device: node_of(j) for j in first}
        assert {j.device: node_of(j) for j in second} == owner  # same node every time
        assert set(owner.values()) == {node_a, node_b}  # both got devices
        assert all(j.result and j.result.retval[0].metadata["session_reused"] for j in second)
        nodes = {n["name"]: n for n in producer.jobs.stats()["nodes"]}
        assert {n: (v["capacity"], v["owned"]) for n, v in nodes.items()} == {
            node_a: (50, sum(1 for o in owner.values() if o == node_a)),
            node_b: (50, sum(1 for o in owner.values() if o == node_b)),
        }

        until(
            lambda: sum(n["sessions"] for n in producer.jobs.stats()["nodes"]) == 8,
            "each node reports its open sessions in its heartbeat",
        )

        # node A's devices get slow, a backlog builds in A's queue, then A is SIGKILLed.
        on_a = [d for d in placement_lab.devices if owner[f"{d.host}:{d.port}"] == node_a]
        for device in on_a:
            placement_lab.set_fault(device.name, Fault("slow", delay=1.0))
        jobs = []
        for _ in range(3):
            queued, failed = producer.jobs.submit_bulk(bulk(placement_lab, retries=1), ADMIN)
            assert not failed
            jobs += queued
        a_jobs = {j.id for j in jobs if j.device in {f"{d.host}:{d.port}" for d in on_a}}
        until(
            lambda: any(producer.jobs.get(i).status == "started" for i in a_jobs),
            "node A runs one of its jobs",
        )
        a.kill()
        done = [producer.jobs.wait(job.id, 90) for job in jobs]
        stats = producer.jobs.stats()  # before B leaves too
        healing = stats["self_healing"]
        owned_after = {n["name"]: n["owned"] for n in stats["nodes"]}
    finally:
        for device in placement_lab.devices:
            placement_lab.clear_fault(device.name)
        if a.poll() is None:
            a.kill()
        stop_worker(b)
    assert [j.status for j in done] == ["finished"] * len(jobs), [
        j.result.error for j in done if j.result and j.result.error
    ]
    moved = [j for j in done if j.id in a_jobs and node_of(j) == node_b]
    assert moved, "node A's queued jobs ran on node B"
    assert healing["nodes_lost"] == 1, healing
    # A's devices were released by the controller (or claimed from a dead owner first). On
    # a loaded machine a heartbeat can be late while jobs are placed, so A may have claimed
    # one of B's devices in between: the count is bounded by the lab, not by ``on_a``.
    assert 1 <= healing["devices_released"] <= len(placement_lab.devices), healing
    assert owned_after == {node_b: len(placement_lab.devices)}
    assert healing["retried"] >= 1  # the job A was running is run again (retries=1) on B
    assert healing["requeued"] >= 1  # A's queue was dropped, its jobs re-enqueued from SQL


@ON_POSTGRESQL
def test_a_joining_node_takes_over_its_share_of_idle_devices(
    producer: Runtime, rq_settings: Settings, placement_lab: LabThread, names: tuple[str, str]
) -> None:
    node_a, node_b = names
    a = start_worker(rq_settings, threads=2, node=node_a)
    b = None
    try:
        until(lambda: len(producer.jobs.executor.nodes() or []) == 1, "node A heart-beats")
        until(lambda: joined(producer) == 1, "the controller saw node A join")
        before = run_all(producer, bulk(placement_lab))
        assert {node_of(j) for j in before} == {node_a}
        b = start_worker(rq_settings, threads=2, node=node_b)
        until(lambda: joined(producer) == 2, "the controller saw node B join")
        assert producer.jobs.stats()["self_healing"]["devices_moved"] > 0  # B got a share
        nodes = {n["name"]: n["owned"] for n in producer.jobs.stats()["nodes"]}
        assert nodes[node_a] + nodes[node_b] == len(placement_lab.devices)
        assert 2 <= nodes[node_b] <= 6
        exposition = metrics(ADMIN, producer).splitlines()
        assert f'netweave_node_devices{{kind="owned",node="{node_b}"}} {nodes[node_b]}' in (
            exposition
        )
        assert 'netweave_self_healing_total{event="nodes_joined"} 2' in exposition
        after = run_all(producer, bulk(placement_lab))
        assert all(j.status == "finished" for j in after)
        ran_on = [node_of(j) for j in after]
        assert ran_on.count(node_b) == nodes[node_b]
    finally:
        stop_worker(a)
        if b is not None:
            stop_worker(b)


def test_job_notices_reach_other_processes_over_redis(
    producer: Runtime, rq_settings: Settings
) -> None:
    heard: list[set[str]] = []
    other = Runtime.open(rq_settings, migrate=False, bootstrap=False)
    try:
        other.jobs.executor.subscribe(heard.append)

        def announced_and_heard() -> bool:
            # Pub/sub keeps nothing for a subscriber that is not listening yet (its thread
            # may still be connecting on a loaded machine): announce until one is heard.
            producer.jobs.executor.announce({"job-1", "job-2"})
            return {"job-1", "job-2"} in heard

        until(announced_and_heard, "the notice arrives")
    finally:
        other.close()


def test_an_unknown_placement_strategy_is_refused_at_start(rq_settings: Settings) -> None:
    with pytest.raises(InvalidInput, match="unknown placement strategy 'nearest'") as caught:
        Runtime.open(
            rq_settings.model_copy(update={"placement": "nearest"}), migrate=False, bootstrap=False
        )
    assert caught.value.field == "placement"


def test_a_worker_node_refuses_a_database_without_the_current_schema(
    rq_settings: Settings, tmp_path: Path
) -> None:
    empty = rq_settings.model_copy(
        update={"database_url": f"sqlite:///{tmp_path / 'empty.db'}", "data_dir": tmp_path}
    )
    process = start_worker(empty, threads=1, node="early")
    process.wait(timeout=60)
    output = worker_output(process)
    assert process.returncode == 2
    assert "schema is at nothing" in output and "netweave db upgrade" in output

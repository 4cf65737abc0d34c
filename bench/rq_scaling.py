"""The rq executor side by side with the local one, and its scaling curve, in one run.

* warm call (submit + wait through the job service, session open): local vs rq;
* cold and warm bulk over N lab devices: local executor (T threads in the server) vs rq
  with 1, 2 and 4 ``netweave worker`` processes of T threads each;
* time to accept (place + enqueue) a 1,000-device bulk in rq mode.

The lab runs in its own process (``netweave lab up``), every worker node is a separate
process, the database is PostgreSQL (what a multi-node deployment uses) and Redis is the
machine's. Each worker count gets a fresh queue, so sessions start cold.

    .venv/bin/python bench/rq_scaling.py --devices 200 --threads 16
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import create_engine, text

from netweave.core.access.tokens import Principal
from netweave.core.jobs.schemas import BulkRequest, ExecRequest
from netweave.core.runtime import Runtime
from netweave.db.models import Role
from netweave.foundation.settings import Settings
from netweave.lab import LabDeviceSpec

sys.path.insert(0, str(Path(__file__).parent))
from device_ops import LOGIN, start_lab, wait_jobs

ADMIN = Principal(1, "admin", Role.admin, "bench")
PG_ADMIN = os.environ.get(
    "NETWEAVE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS = os.environ.get("NETWEAVE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
console = Console()


def scratch_database() -> str:
    name = f"nwbench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def start_nodes(settings: Settings, count: int, threads: int) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "NETWEAVE_DATABASE_URL": settings.effective_database_url,
        "NETWEAVE_DATA_DIR": str(settings.data_dir),
        "NETWEAVE_MODE": "dev",
        "NETWEAVE_EXECUTOR": "rq",
        "NETWEAVE_REDIS_URL": settings.redis_url or REDIS,
        "NETWEAVE_QUEUE_NAME": settings.queue_name,
        "NETWEAVE_SESSION_IDLE_TTL": "3600",
    }
    return [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "netweave.cli.main",
                "worker",
                "--threads",
                str(threads),
                "--node",
                f"bench-{n}",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in range(count)
    ]


def bulk(runtime: Runtime, specs: list[LabDeviceSpec]) -> float:
    request = BulkRequest(
        connection_args=LOGIN,
        devices=[{"host": s.host, "port": s.port} for s in specs],
        command="show version",
    )
    started = time.perf_counter()
    jobs, failed = runtime.jobs.submit_bulk(request, ADMIN)
    assert not failed
    counts = wait_jobs(runtime, [j.id for j in jobs])
    assert counts.get("finished") == len(specs), counts
    return time.perf_counter() - started


def warm_call(runtime: Runtime, spec: LabDeviceSpec, repeat: int) -> float:
    request = ExecRequest(
        connection_args={**LOGIN, "host": spec.host, "port": spec.port}, command="show clock"
    )
    timings = []
    for attempt in range(repeat + 1):
        started = time.perf_counter()
        job = runtime.jobs.wait(runtime.jobs.submit_exec(request, ADMIN).id, 30)
        assert job.status == "finished", job
        if attempt:
            timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def accept_1000(runtime: Runtime, specs: list[LabDeviceSpec]) -> float:
    devices = [{"host": s.host, "port": s.port} for s in specs]
    devices = (devices * (1000 // len(devices) + 1))[:1000]
    request = BulkRequest(connection_args=LOGIN, devices=devices, command="show clock", ttl=1)
    started = time.perf_counter()
    runtime.jobs.submit_bulk(request, ADMIN)
    accepted = time.perf_counter() - started
    runtime.jobs.cancel_many()
    return accepted


def measure(
    settings: Settings, specs: list[LabDeviceSpec], nodes: int, threads: int, repeat: int
) -> dict[str, Any]:
    """One configuration: ``nodes`` = 0 means the local executor with ``threads``."""
    if nodes:
        settings = settings.model_copy(
            update={"executor": "rq", "queue_name": f"bench-{uuid.uuid4().hex[:6]}"}
        )
    runtime = Runtime.open(settings, migrate=False, bootstrap=False)
    processes = start_nodes(settings, nodes, threads) if nodes else []
    try:
        if nodes:
            deadline = time.monotonic() + 60
            while len(runtime.jobs.executor.nodes() or []) < nodes:
                assert time.monotonic() < deadline, "worker nodes did not come up"
                time.sleep(0.1)
        cold = bulk(runtime, specs)
        warm = bulk(runtime, specs)
        call = warm_call(runtime, specs[0], repeat)
        accept = accept_1000(runtime, specs) if nodes == 1 else None
        return {
            "nodes": nodes,
            "cold_s": cold,
            "warm_s": warm,
            "warm_call_s": call,
            "accept_1000_s": accept,
        }
    finally:
        runtime.close()
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--threads", type=int, default=16, help="threads per process")
    parser.add_argument("--nodes", default="1,2,4", help="worker process counts")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    counts = [int(n) for n in args.nodes.split(",")]
    directory = Path(tempfile.mkdtemp(prefix="nw-rq-bench-"))
    database = scratch_database()
    lab, specs = start_lab(args.devices, directory)
    settings = Settings(
        data_dir=directory,
        mode="dev",
        database_url=database,
        redis_url=REDIS,
        admin_password="x" * 20,
        worker_threads=args.threads,
        session_idle_ttl=3600,
    )
    Runtime.open(settings).close()  # migrate + admin once
    rows = []
    try:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("configurations", total=len(counts) + 1)
            for nodes in [0, *counts]:
                progress.update(task, description=f"{'local' if not nodes else f'{nodes} node(s)'}")
                rows.append(measure(settings, specs, nodes, args.threads, args.repeat))
                progress.advance(task)
    finally:
        lab.terminate()
        drop_database(database)
    local = rows[0]
    table = Table(
        title=f"{args.devices} lab devices, {args.threads} threads per process, "
        "PostgreSQL, netmiko (pinned)"
    )
    for column in (
        "executor",
        "cold bulk s",
        "x local",
        "warm bulk s",
        "x local",
        "jobs/s warm",
        "warm call ms",
    ):
        table.add_column(column)
    for row in rows:
        name = "local (server threads)" if not row["nodes"] else f"rq, {row['nodes']} node(s)"
        table.add_row(
            name,
            f"{row['cold_s']:.2f}",
            f"{local['cold_s'] / row['cold_s']:.2f}",
            f"{row['warm_s']:.2f}",
            f"{local['warm_s'] / row['warm_s']:.2f}",
            f"{args.devices / row['warm_s']:.0f}",
            f"{row['warm_call_s'] * 1000:.1f}",
        )
    console.print(table)
    accept = next(r["accept_1000_s"] for r in rows if r["accept_1000_s"] is not None)
    console.print(f"accept a 1,000-device bulk in rq mode (placed + enqueued): {accept:.3f} s")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(
            json.dumps(
                {
                    "machine": platform.node(),
                    "cores": os.cpu_count(),
                    "devices": args.devices,
                    "threads": args.threads,
                    "rows": rows,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()

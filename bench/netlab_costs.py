"""What the real lab (FRRouting routers in network namespaces, ``netweave lab up --real``)
costs, in one run (root; Debian's frr, lldpd, openssh-server: ``make netlab``):

* start-up of a ring of 10 and of 30 routers: ``up`` (namespaces, cables, daemons, sshd
  answering) and ``up`` + converged (every OSPF adjacency Full, every BGP session up), and
  the memory of the routers' processes (RSS summed, and PSS: shared pages counted once),
  giving routers per GB;
* a NetWeave bulk run (``POST /device/bulk``, the NetPulse-compatible API, local executor)
  over the 10 real routers vs over 10 simulated cisco_ios devices (``netweave lab up`` in
  its own process, as bench/device_ops.py runs it), cold (every session dropped first: an
  SSH login per device) and warm (the sessions reused), medians of ``--repeat`` runs.

    .venv/bin/python bench/netlab_costs.py            # writes bench/results/netlab_costs.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from netweave.api.app import create_app
from netweave.core.access import tokens, users
from netweave.core.access.schemas import ApiKeyCreate
from netweave.core.runtime import Runtime
from netweave.db.models import Job, Role
from netweave.foundation.settings import Settings
from netweave.lab import read_manifest
from netweave.netlab import RealLab, missing_requirements, ring

console = Console()
VERSION, ROUTES = "show version", "show ip route"
SIM_LOGIN = {"username": "netweave", "password": "netweave", "device_type": "cisco_ios"}


def pss_kib(lab: RealLab) -> int:
    total = 0
    for router in lab.routers.values():
        for pid in router.pids():
            try:
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:
                continue
            for line in rollup.splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
    return total


def start_up(count: int) -> dict[str, Any]:
    """A ring of ``count`` routers (no spoke): up, converged, memory; then down."""
    lab = RealLab(ring(count, spoke=False))
    began = time.monotonic()
    lab.up()
    try:
        up_s = time.monotonic() - began
        converged = lab.wait_converged(300)
        converged_s = time.monotonic() - began
        assert converged, f"{count} routers did not converge in 300 s"
        time.sleep(2)  # let the daemons settle after convergence before reading memory
        rss = lab.rss_mib()
        pss = pss_kib(lab) / 1024
        processes = sum(len(r.pids()) for r in lab.routers.values())
    finally:
        down_began = time.monotonic()
        lab.down()
        down_s = time.monotonic() - down_began
    return {
        "routers": count,
        "up_s": round(up_s, 2),
        "converged_s": round(converged_s, 2),
        "down_s": round(down_s, 2),
        "processes": processes,
        "rss_mib": round(rss, 1),
        "pss_mib": round(pss, 1),
        "pss_mib_per_router": round(pss / count, 2),
        "routers_per_gb_pss": int(1024 / (pss / count)),
        "routers_per_gb_rss": int(1024 / (rss / count)),
    }


def start_server(threads: int, directory: Path) -> tuple[Runtime, uvicorn.Server, str, str]:
    runtime = Runtime.open(
        Settings(
            data_dir=directory,
            mode="dev",
            admin_password="x" * 20,
            worker_threads=threads,
            session_idle_ttl=3600,
            embedded_syslog=False,
        )
    )
    with runtime.transaction() as session:
        admin = users.find_user(session, "admin")
        assert admin is not None
        _, key = tokens.create_api_key(
            session,
            tokens.Principal(admin.id, "admin", Role.admin, "bench"),
            ApiKeyCreate(name="bench"),
        )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return runtime, server, f"http://127.0.0.1:{port}", key


def start_simulator(count: int, directory: Path) -> tuple[subprocess.Popen[bytes], list[Any]]:
    manifest = directory / "sim.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "netweave.lab", "up", "--devices", str(count),
         "--platforms", "cisco_ios", "--manifest", str(manifest)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not manifest.exists():
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError("the simulator did not start")
        time.sleep(0.1)
    time.sleep(0.2)
    return process, read_manifest(manifest)


def wait_jobs(runtime: Runtime, ids: list[str], timeout: float = 300) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    counts: dict[str, int] = {}
    while time.monotonic() < deadline:
        with runtime.sessions() as session:
            counts = dict(
                session.execute(
                    select(Job.status, func.count()).where(Job.id.in_(ids)).group_by(Job.status)
                ).all()
            )
        if sum(counts.get(s, 0) for s in ("finished", "failed", "canceled")) >= len(ids):
            return counts
        time.sleep(0.02)
    raise RuntimeError(f"jobs still running: {counts}")


def bulk(
    client: httpx.Client,
    runtime: Runtime,
    login: dict[str, str],
    targets: list[tuple[str, int]],
    command: str,
    cold: bool,
) -> float:
    if cold:
        for host, port in targets:
            runtime.jobs.pool.drop(host, port)
    body = {
        "driver": "netmiko",
        "connection_args": login,
        "devices": [{"host": host, "port": port} for host, port in targets],
        "command": command,
    }
    started = time.perf_counter()
    response = client.post("/device/bulk", json=body, timeout=120).json()
    counts = wait_jobs(runtime, [job["id"] for job in response["succeeded"]])
    elapsed = time.perf_counter() - started
    assert counts.get("finished") == len(targets), counts
    return elapsed


def medians(
    client: httpx.Client,
    runtime: Runtime,
    login: dict[str, str],
    targets: list[tuple[str, int]],
    command: str,
    repeat: int,
) -> dict[str, float]:
    cold = [bulk(client, runtime, login, targets, command, cold=True) for _ in range(repeat)]
    bulk(client, runtime, login, targets, command, cold=False)  # sessions open
    warm = [bulk(client, runtime, login, targets, command, cold=False) for _ in range(repeat)]
    return {
        "cold_s": round(statistics.median(cold), 3),
        "warm_s": round(statistics.median(warm), 3),
    }


def bulk_comparison(count: int, repeat: int, directory: Path) -> dict[str, Any]:
    runtime, server, url, key = start_server(count, directory)
    lab = RealLab(ring(count, spoke=False), lldp=False)
    simulator, specs = start_simulator(count, directory)
    try:
        lab.up()
        assert lab.wait_converged(120)
        first = lab.devices()[0]
        frr_login = {
            "username": first["username"],
            "password": first["password"],
            "device_type": "frr",
        }
        frr = [(d["host"], 22) for d in lab.devices()]
        sim = [(s.host, s.port) for s in specs]
        with httpx.Client(base_url=url, headers={"X-API-KEY": key}, timeout=60) as client:
            results: dict[str, Any] = {
                "devices": count,
                "repeat": repeat,
                "frr_show_version": medians(client, runtime, frr_login, frr, VERSION, repeat),
                "sim_show_version": medians(client, runtime, SIM_LOGIN, sim, VERSION, repeat),
                "frr_show_ip_route": medians(client, runtime, frr_login, frr, ROUTES, repeat),
            }
    finally:
        server.should_exit = True
        runtime.close()
        simulator.send_signal(signal.SIGTERM)
        simulator.wait(timeout=30)
        lab.down()
    real, simulated = results["frr_show_version"], results["sim_show_version"]
    results["ratio_cold"] = round(real["cold_s"] / simulated["cold_s"], 2)
    results["ratio_warm"] = round(real["warm_s"] / simulated["warm_s"], 2)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,30", help="Routers in the start-up rings")
    parser.add_argument("--bulk-devices", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", default="bench/results/netlab_costs.json")
    args = parser.parse_args()
    problem = missing_requirements()
    if problem:
        raise SystemExit(f"the real lab cannot run here: {problem}")
    load_before = os.getloadavg()
    results: dict[str, Any] = {"load_before": [round(x, 2) for x in load_before]}
    results["start_up"] = []
    for size in (int(s) for s in args.sizes.split(",")):
        console.print(f"a ring of {size} FRR routers ...")
        results["start_up"].append(start_up(size))
    console.print(f"bulk runs over {args.bulk_devices} real routers and simulated devices ...")
    results["bulk"] = bulk_comparison(
        args.bulk_devices, args.repeat, Path(tempfile.mkdtemp(prefix="netlab-costs-"))
    )
    results["load_after"] = [round(x, 2) for x in os.getloadavg()]
    results["machine"] = (
        f"{platform.node()} {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // 2**30} GiB, "
        f"Python {platform.python_version()}"
    )
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n")

    table = Table(title="real lab: start-up and memory (ring, no spoke)")
    for column in ("routers", "up (s)", "converged (s)", "down (s)", "RSS MiB", "PSS MiB",
                   "routers/GB (PSS)"):  # fmt: skip
        table.add_column(column)
    for row in results["start_up"]:
        table.add_row(
            str(row["routers"]), str(row["up_s"]), str(row["converged_s"]), str(row["down_s"]),
            str(row["rss_mib"]), str(row["pss_mib"]), str(row["routers_per_gb_pss"]),
        )  # fmt: skip
    console.print(table)
    b = results["bulk"]
    table = Table(
        title=f"NetWeave bulk (/device/bulk), {b['devices']} devices, median of {b['repeat']}"
    )
    for column in ("target", "command", "cold (s)", "warm (s)"):
        table.add_column(column)
    for target, command, key in (
        ("FRR routers", VERSION, "frr_show_version"),
        ("simulator cisco_ios", VERSION, "sim_show_version"),
        ("FRR routers", ROUTES, "frr_show_ip_route"),
    ):
        table.add_row(target, command, str(b[key]["cold_s"]), str(b[key]["warm_s"]))
    table.add_row("ratio FRR / simulator", VERSION, str(b["ratio_cold"]), str(b["ratio_warm"]))
    console.print(table)
    console.print(f"load average before {results['load_before']}, after {results['load_after']}")


if __name__ == "__main__":
    main()

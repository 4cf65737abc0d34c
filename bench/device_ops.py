"""Device operations, side by side in one run, against a lab in a separate process:

* warm call: one command through the API on an open session vs the raw Netmiko call;
* cold / warm bulk over N devices: NetWeave (API, local executor) vs a plain Netmiko
  thread pool vs Nornir + nornir-netmiko, all at the same concurrency;
* memory of N idle persistent sessions in the server process;
* time to accept a 1,000-device bulk request.

    .venv/bin/pip install nornir nornir-netmiko   # comparison only
    .venv/bin/python bench/device_ops.py --devices 200 --threads 20
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from netmiko import ConnectHandler
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from netweave.api.app import create_app
from netweave.core.access import tokens, users
from netweave.core.access.schemas import ApiKeyCreate
from netweave.core.runtime import Runtime
from netweave.db.models import Job, Role
from netweave.foundation.settings import Settings
from netweave.lab import LabDeviceSpec, read_manifest, rss_mb

# NetPulse 0.4.3 on the same kind of machine and lab (DESIGN.md).
NETPULSE = {"warm_call_s": 0.60, "cold_bulk_50_s": 25.0, "mb_per_pinned_device": 45.0}
LOGIN = {"username": "netweave", "password": "netweave", "device_type": "cisco_ios"}
console = Console()


def start_lab(count: int, directory: Path) -> tuple[subprocess.Popen[bytes], list[LabDeviceSpec]]:
    manifest = directory / "lab.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "netweave.lab",
            "up",
            "--devices",
            str(count),
            "--platforms",
            "cisco_ios",
            "--manifest",
            str(manifest),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not manifest.exists():
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError("lab did not start")
        time.sleep(0.1)
    time.sleep(0.2)
    return process, read_manifest(manifest)


def start_server(threads: int, directory: Path) -> tuple[Runtime, uvicorn.Server, str, str]:
    runtime = Runtime.open(
        Settings(
            data_dir=directory,
            mode="dev",
            admin_password="x" * 20,
            worker_threads=threads,
            session_idle_ttl=3600,
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


def raw_netmiko_warm(spec: LabDeviceSpec, repeat: int) -> float:
    conn = ConnectHandler(host=spec.host, port=spec.port, **LOGIN)
    pattern = rf"{conn.base_prompt}[>#]"
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        conn.send_command("show clock", expect_string=pattern)
        timings.append(time.perf_counter() - started)
    conn.disconnect()
    return statistics.median(timings)


def api_warm(client: httpx.Client, spec: LabDeviceSpec, repeat: int, driver: str) -> float:
    body = {
        "driver": driver,
        "connection_args": {**LOGIN, "host": spec.host, "port": spec.port},
        "command": "show clock",
    }
    timings = []
    for attempt in range(repeat + 1):
        started = time.perf_counter()
        job = client.post("/device/exec", json=body).json()
        current = client.get(f"/jobs/{job['id']}", params={"wait": 10}).json()  # long poll
        assert current["status"] == "finished", current
        if attempt:  # the first call opens the session
            assert current["result"]["retval"][0]["metadata"]["session_reused"]
            timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def wait_jobs(runtime: Runtime, ids: list[str], timeout: float = 900) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with runtime.sessions() as session:
            counts = dict(
                session.execute(
                    select(Job.status, func.count()).where(Job.id.in_(ids)).group_by(Job.status)
                ).all()
            )
        if counts.get("finished", 0) + counts.get("failed", 0) + counts.get("canceled", 0) >= len(
            ids
        ):
            return counts
        time.sleep(0.05)
    raise RuntimeError(f"jobs still running: {counts}")


def api_bulk(
    client: httpx.Client, runtime: Runtime, specs: list[LabDeviceSpec], driver: str
) -> tuple[float, float, dict[str, int]]:
    body = {
        "driver": driver,
        "connection_args": LOGIN,
        "devices": [{"host": s.host, "port": s.port} for s in specs],
        "command": "show version",
    }
    started = time.perf_counter()
    response = client.post("/device/bulk", json=body, timeout=120).json()
    accepted = time.perf_counter() - started
    counts = wait_jobs(runtime, [job["id"] for job in response["succeeded"]])
    return accepted, time.perf_counter() - started, counts


def netmiko_pool(specs: list[LabDeviceSpec], threads: int) -> float:
    def one(spec: LabDeviceSpec) -> str:
        conn = ConnectHandler(host=spec.host, port=spec.port, **LOGIN)
        output = conn.send_command("show version")
        conn.disconnect()
        return str(output)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        outputs = list(pool.map(one, specs))
    assert all("uptime" in out for out in outputs)
    return time.perf_counter() - started


def nornir_run(specs: list[LabDeviceSpec], threads: int) -> float | None:
    try:
        from nornir.core import Nornir
        from nornir.core.inventory import Defaults, Groups, Host, Hosts, Inventory
        from nornir.plugins.runners import ThreadedRunner
        from nornir_netmiko.tasks import netmiko_send_command
    except ImportError:
        return None
    hosts = Hosts(
        {
            s.name: Host(
                name=s.name,
                hostname=s.host,
                port=s.port,
                username="netweave",
                password="netweave",
                platform="cisco_ios",
            )
            for s in specs
        }
    )
    from nornir.core.plugins.connections import ConnectionPluginRegister

    ConnectionPluginRegister.auto_register()  # what InitNornir does: load nornir-netmiko
    nr = Nornir(
        inventory=Inventory(hosts=hosts, groups=Groups(), defaults=Defaults()),
        runner=ThreadedRunner(num_workers=threads),
    )
    started = time.perf_counter()
    result = nr.run(task=netmiko_send_command, command_string="show version")
    elapsed = time.perf_counter() - started
    assert not result.failed, [h for h, r in result.items() if r.failed][:3]
    nr.close_connections()
    return elapsed


def accept_1000(client: httpx.Client, runtime: Runtime) -> float:
    body = {
        "driver": "netmiko",
        "connection_args": LOGIN,
        "devices": [{"host": f"127.2.{i // 250}.{i % 250 + 1}", "port": 9} for i in range(1000)],
        "command": "show version",
        "ttl": 1,
    }
    started = time.perf_counter()
    response = client.post("/device/bulk", json=body, timeout=120)
    elapsed = time.perf_counter() - started
    assert len(response.json()["succeeded"]) == 1000
    client.delete("/jobs")  # cancel what has not run yet
    wait_jobs(runtime, [job["id"] for job in response.json()["succeeded"]])
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--driver", default="netmiko", help="NetWeave's driver: netmiko|scrapli")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp())
    lab, specs = start_lab(args.devices, directory)
    runtime, server, url, key = start_server(args.threads, directory)
    results: dict[str, Any] = {
        "devices": args.devices,
        "threads": args.threads,
        "driver": args.driver,
    }
    try:
        with httpx.Client(base_url=url, headers={"X-API-KEY": key}, timeout=60) as client:
            console.print("warm single calls ...")
            results["raw_netmiko_warm_ms"] = round(
                raw_netmiko_warm(specs[0], args.repeat) * 1000, 2
            )
            results["api_warm_ms"] = round(
                api_warm(client, specs[1], args.repeat, args.driver) * 1000, 2
            )
            results["api_overhead_ms"] = round(
                results["api_warm_ms"] - results["raw_netmiko_warm_ms"], 2
            )
            console.print(f"cold bulk over {args.devices} devices ...")
            rss_before = rss_mb()
            results["bulk_accept_s"], results["netweave_cold_s"], counts = api_bulk(
                client, runtime, specs, args.driver
            )
            assert counts.get("finished") == len(specs), counts
            sessions = runtime.jobs.pool.stats()["sessions"]
            results["idle_sessions"] = sessions
            results["rss_delta_mb"] = round(rss_mb() - rss_before, 1)
            results["mb_per_session"] = round(results["rss_delta_mb"] / max(sessions, 1), 3)
            console.print("warm bulk ...")
            _, results["netweave_warm_s"], counts = api_bulk(client, runtime, specs, args.driver)
            assert counts.get("finished") == len(specs), counts
            console.print("netmiko thread pool ...")
            results["netmiko_pool_cold_s"] = round(netmiko_pool(specs, args.threads), 2)
            console.print("nornir + nornir-netmiko ...")
            nornir = nornir_run(specs, args.threads)
            results["nornir_cold_s"] = round(nornir, 2) if nornir else None
            console.print("accepting a 1,000-device bulk ...")
            results["accept_1000_s"] = round(accept_1000(client, runtime), 3)
    finally:
        server.should_exit = True
        runtime.close()
        lab.send_signal(signal.SIGTERM)
        lab.wait(timeout=30)
    for key_name in ("bulk_accept_s", "netweave_cold_s", "netweave_warm_s"):
        results[key_name] = round(results[key_name], 3)
    results["machine"] = (
        f"{platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    table = Table(
        title=f"{args.driver}: {args.devices} lab devices (own process), {args.threads} threads"
    )
    table.add_column("measure")
    table.add_column("NetWeave")
    table.add_column("reference")
    table.add_column("ratio")
    table.add_row(
        "warm call via API (ms)",
        str(results["api_warm_ms"]),
        f"raw Netmiko {results['raw_netmiko_warm_ms']}",
        f"+{results['api_overhead_ms']} ms",
    )
    table.add_row(
        "warm call vs NetPulse (s)",
        f"{results['api_warm_ms'] / 1000:.3f}",
        str(NETPULSE["warm_call_s"]),
        f"{NETPULSE['warm_call_s'] * 1000 / results['api_warm_ms']:.1f}x faster",
    )
    table.add_row(
        "cold bulk (s)",
        str(results["netweave_cold_s"]),
        f"Netmiko pool {results['netmiko_pool_cold_s']}",
        f"{results['netmiko_pool_cold_s'] / results['netweave_cold_s']:.2f}x",
    )
    if results["nornir_cold_s"]:
        table.add_row(
            "cold bulk vs Nornir (s)",
            str(results["netweave_cold_s"]),
            str(results["nornir_cold_s"]),
            f"{results['nornir_cold_s'] / results['netweave_cold_s']:.2f}x",
        )
        table.add_row(
            "warm bulk vs Nornir cold (s)",
            str(results["netweave_warm_s"]),
            str(results["nornir_cold_s"]),
            f"{results['nornir_cold_s'] / results['netweave_warm_s']:.1f}x",
        )
    table.add_row(
        "memory per idle session (MB)",
        str(results["mb_per_session"]),
        f"NetPulse {NETPULSE['mb_per_pinned_device']}",
        f"{NETPULSE['mb_per_pinned_device'] / max(results['mb_per_session'], 0.001):.0f}x less",
    )
    table.add_row("accept 1,000-device bulk (s)", str(results["accept_1000_s"]), "target 1.0", "")
    console.print(table)
    out = Path(args.json or f"bench/results/device_ops_{args.driver}_{args.devices}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

"""Device operations, side by side in one run, as deployed: the lab (``netweave lab up``),
the NetWeave server (``netweave serve``) and, with ``--executor rq``, a ``netweave worker``
node each run in their own process; the clients, raw Netmiko and Nornir run in this one.

* warm call: one command on an open session through the API (POST ``/device/exec``, then
  the long poll ``GET /jobs/{id}?wait=``) vs the same command through NetWeave's driver
  without the API (the floor the API adds to) vs Netmiko's ``send_command``;
* 200 commands over 20 warm devices (20 clients, 10 commands each, one after the other):
  through the API vs the driver floor vs a hand-written Netmiko thread pool;
* cold / warm bulk over N devices (``POST /device/bulk``) vs a Netmiko thread pool and
  Nornir + nornir-netmiko, all at the same concurrency;
* memory of N idle persistent sessions (the server's RSS) and time to accept a 1,000-device
  bulk.

    .venv/bin/pip install nornir nornir-netmiko   # comparison only
    .venv/bin/python bench/device_ops.py --devices 200 --threads 20
    .venv/bin/python bench/device_ops.py --devices 200 --executor rq \\
        --database-url postgresql://postgres@127.0.0.1/postgres --redis-url redis://127.0.0.1:6379/13
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from netmiko import ConnectHandler
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import sessionmaker

from netweave.core.access import tokens, users
from netweave.core.access.schemas import ApiKeyCreate
from netweave.core.runtime import Runtime
from netweave.db.models import Job, Role
from netweave.drivers import registry
from netweave.foundation.settings import Settings
from netweave.lab import LabDeviceSpec, read_manifest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.fixtures.loadgen import Server, serve

# NetPulse 0.4.3 on the same kind of machine and lab (DESIGN.md).
NETPULSE = {"warm_call_s": 0.60, "cold_bulk_50_s": 25.0, "mb_per_pinned_device": 45.0}
LOGIN = {"username": "netweave", "password": "netweave", "device_type": "cisco_ios"}
WARM_DEVICES = 20  # devices kept apart for the warm measures (their sessions stay open)
COMMANDS_EACH = 10  # 200 commands over 20 devices
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


@contextlib.contextmanager
def netweave_server(
    args: argparse.Namespace, directory: Path
) -> Iterator[tuple[Server, str, Callable[[list[str]], dict[str, int]], Server]]:
    """``netweave serve`` (and on rq one ``netweave worker`` node) in their own processes;
    yields the server, an admin API key, a job-status counter reading the database and the
    process holding the device sessions (the server, or the node)."""
    database_url = args.database_url
    scratch = None
    if args.executor == "rq":
        scratch = f"nwbench_{uuid.uuid4().hex[:8]}"
        with _pg_admin(database_url) as connection:
            connection.execute(text(f'CREATE DATABASE "{scratch}"'))
        database_url = database_url.rsplit("/", 1)[0] + f"/{scratch}"
    settings = Settings(data_dir=directory, database_url=database_url, admin_password="x" * 20)
    runtime = Runtime.open(settings)
    with runtime.transaction() as session:
        admin = users.find_user(session, "admin")
        assert admin is not None
        _, key = tokens.create_api_key(
            session,
            tokens.Principal(admin.id, "admin", Role.admin, "bench"),
            ApiKeyCreate(name="bench"),
        )
    url = settings.effective_database_url
    runtime.close()
    env = {"NETWEAVE_WORKER_THREADS": str(args.threads), "NETWEAVE_SESSION_IDLE_TTL": "3600"}
    if args.executor == "rq":
        env.update(
            NETWEAVE_EXECUTOR="rq",
            NETWEAVE_REDIS_URL=args.redis_url,
            NETWEAVE_QUEUE_NAME=f"bench-{uuid.uuid4().hex[:6]}",
        )
    engine = create_engine(url)
    sessions = sessionmaker(engine)
    node: subprocess.Popen[bytes] | None = None
    try:
        with serve(directory, database_url=database_url, env_extra=env) as server:
            if args.executor == "rq":
                node = start_node(directory, database_url, env, args.threads)
                wait_for_node(server, key)
            holder = server if node is None else Server(server.url, node, server.log)
            yield server, key, lambda ids: wait_jobs(sessions, ids), holder
    finally:
        if node is not None:
            node.terminate()
            node.wait(timeout=60)
        engine.dispose()
        if scratch is not None:
            with _pg_admin(args.database_url) as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))


@contextlib.contextmanager
def _pg_admin(url: str) -> Iterator[Any]:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def start_node(
    directory: Path, database_url: str, env: dict[str, str], threads: int
) -> subprocess.Popen[bytes]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NETWEAVE_")}
    environment.update(env, NETWEAVE_DATA_DIR=str(directory), NETWEAVE_DATABASE_URL=database_url)
    command = ["worker", "--threads", str(threads), "--node", "bench-node"]
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("netweave")), *command],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for_node(server: Server, key: str) -> None:
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=server.url, headers={"X-API-KEY": key}) as client:
        while not client.get("/workers").json():
            assert time.monotonic() < deadline, "the worker node did not come up"
            time.sleep(0.2)


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


def open_driver_session(spec: LabDeviceSpec, driver: str) -> Any:
    plugin = registry.get(driver)()
    args = plugin.connection_args.model_validate({**LOGIN, "host": spec.host, "port": spec.port})
    return plugin.connect(args)


def driver_warm(spec: LabDeviceSpec, repeat: int, driver: str) -> float:
    """NetWeave's own driver on an open session, no API: the floor the API adds to."""
    session = open_driver_session(spec, driver)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        session.run_commands(["show clock"], {})
        timings.append(time.perf_counter() - started)
    session.close()
    return statistics.median(timings)


def exec_body(spec: LabDeviceSpec, driver: str) -> dict[str, Any]:
    return {
        "driver": driver,
        "connection_args": {**LOGIN, "host": spec.host, "port": spec.port},
        "command": "show clock",
    }


def api_call(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    job = client.post("/device/exec", json=body).json()
    current: dict[str, Any] = client.get(f"/jobs/{job['id']}", params={"wait": 10}).json()
    assert current["status"] == "finished", current
    return current


def api_warm(client: httpx.Client, spec: LabDeviceSpec, repeat: int, driver: str) -> float:
    body = exec_body(spec, driver)
    api_call(client, body)  # opens the session
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        current = api_call(client, body)
        timings.append(time.perf_counter() - started)
        assert current["result"]["retval"][0]["metadata"]["session_reused"]
    return statistics.median(timings)


def spread(specs: list[LabDeviceSpec], work: Callable[[LabDeviceSpec], None]) -> float:
    """``work`` on every device at once, one thread each; the wall time."""
    barrier = threading.Barrier(len(specs) + 1)

    def one(spec: LabDeviceSpec) -> None:
        barrier.wait()
        work(spec)

    with ThreadPoolExecutor(len(specs)) as pool:
        futures = [pool.submit(one, spec) for spec in specs]
        barrier.wait()
        started = time.perf_counter()
        for future in futures:
            future.result()
    return time.perf_counter() - started


def times(count: int, call: Callable[[], Any]) -> None:
    for _ in range(count):
        call()


def commands_raw_netmiko(specs: list[LabDeviceSpec]) -> float:
    connections = {s.name: ConnectHandler(host=s.host, port=s.port, **LOGIN) for s in specs}
    try:
        return spread(
            specs,
            lambda s: times(COMMANDS_EACH, lambda: connections[s.name].send_command("show clock")),
        )
    finally:
        for connection in connections.values():
            connection.disconnect()


def commands_driver(specs: list[LabDeviceSpec], driver: str) -> float:
    sessions = {s.name: open_driver_session(s, driver) for s in specs}
    try:
        return spread(
            specs,
            lambda s: times(
                COMMANDS_EACH, lambda: sessions[s.name].run_commands(["show clock"], {})
            ),
        )
    finally:
        for session in sessions.values():
            session.close()


def commands_api(url: str, key: str, specs: list[LabDeviceSpec], driver: str) -> float:
    clients = {s.name: httpx.Client(base_url=url, headers={"X-API-KEY": key}) for s in specs}
    try:
        for spec in specs:  # sessions open, connections to the API open
            api_call(clients[spec.name], exec_body(spec, driver))
        return spread(
            specs,
            lambda s: times(COMMANDS_EACH, lambda: api_call(clients[s.name], exec_body(s, driver))),
        )
    finally:
        for client in clients.values():
            client.close()


def wait_jobs(source: Any, ids: list[str], timeout: float = 900) -> dict[str, int]:
    """Poll the database until every job in ``ids`` ended; ``source``: a Runtime or a
    sessionmaker. The counts by status."""
    sessions = getattr(source, "sessions", source)
    deadline = time.monotonic() + timeout
    counts: dict[str, int] = {}
    while time.monotonic() < deadline:
        with sessions() as session:
            counts = dict(
                session.execute(  # type: ignore[arg-type]
                    select(Job.status, func.count()).where(Job.id.in_(ids)).group_by(Job.status)
                ).all()
            )
        ended = sum(counts.get(s, 0) for s in ("finished", "failed", "canceled", "stopped"))
        if ended >= len(ids):
            return counts
        time.sleep(0.05)
    raise RuntimeError(f"jobs still running: {counts}")


def api_bulk(
    client: httpx.Client,
    wait: Callable[[list[str]], dict[str, int]],
    specs: list[LabDeviceSpec],
    driver: str,
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
    counts = wait([job["id"] for job in response["succeeded"]])
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
        from nornir.core.plugins.connections import ConnectionPluginRegister
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


def accept_1000(client: httpx.Client, wait: Callable[[list[str]], dict[str, int]]) -> float:
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
    wait([job["id"] for job in response.json()["succeeded"]])
    return elapsed


def measure(args: argparse.Namespace, results: dict[str, Any]) -> None:
    directory = Path(tempfile.mkdtemp(prefix="nw-device-ops-"))
    lab, specs = start_lab(args.devices + 2 * WARM_DEVICES + 2, directory)
    calls, spare, bulk = specs[:2], specs[2 : 2 + 2 * WARM_DEVICES], specs[2 + 2 * WARM_DEVICES :]
    try:
        console.print("raw floors (Netmiko, NetWeave's driver without the API) ...")
        results["raw_netmiko_warm_ms"] = round(raw_netmiko_warm(calls[0], args.repeat) * 1000, 2)
        results["driver_warm_ms"] = round(driver_warm(calls[0], args.repeat, args.driver) * 1000, 2)
        results["commands_raw_netmiko_s"] = round(commands_raw_netmiko(spare[:WARM_DEVICES]), 3)
        results["commands_driver_s"] = round(commands_driver(spare[WARM_DEVICES:], args.driver), 3)
        with (
            netweave_server(args, directory / "server") as (server, key, wait, holder),
            httpx.Client(base_url=server.url, headers={"X-API-KEY": key}, timeout=60) as client,
        ):
            console.print("warm single calls through the API ...")
            results["api_warm_ms"] = round(
                api_warm(client, calls[1], args.repeat, args.driver) * 1000, 2
            )
            console.print(
                f"{WARM_DEVICES * COMMANDS_EACH} commands over {WARM_DEVICES} devices ..."
            )
            results["commands_api_s"] = round(
                commands_api(server.url, key, spare[:WARM_DEVICES], args.driver), 3
            )
            console.print(f"cold bulk over {args.devices} devices ...")
            rss_before = holder.rss_mib()
            sessions_before = client.get("/system/stats").json()["sessions"]["sessions"]
            results["bulk_accept_s"], results["netweave_cold_s"], counts = api_bulk(
                client, wait, bulk, args.driver
            )
            assert counts.get("finished") == len(bulk), counts
            pool = client.get("/system/stats").json()["sessions"]  # the server's pool
            opened = pool["sessions"] - sessions_before  # the bulk's, in the server's pool
            results["idle_sessions"] = opened if holder is server else len(bulk)
            results["rss_delta_mb"] = round(holder.rss_mib() - rss_before, 1)
            console.print("warm bulk ...")
            _, results["netweave_warm_s"], counts = api_bulk(client, wait, bulk, args.driver)
            assert counts.get("finished") == len(bulk), counts
            console.print("accepting a 1,000-device bulk ...")
            results["accept_1000_s"] = round(accept_1000(client, wait), 3)
        console.print("netmiko thread pool ...")
        results["netmiko_pool_cold_s"] = round(netmiko_pool(bulk, args.threads), 2)
        console.print("nornir + nornir-netmiko ...")
        nornir = nornir_run(bulk, args.threads)
        results["nornir_cold_s"] = round(nornir, 2) if nornir else None
    finally:
        lab.send_signal(signal.SIGTERM)
        lab.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--driver", default="netmiko", help="NetWeave's driver: netmiko|scrapli")
    parser.add_argument("--executor", choices=("local", "rq"), default="local")
    parser.add_argument("--database-url", default=None, help="rq: a PostgreSQL server")
    parser.add_argument("--redis-url", default=None, help="rq: a Redis database")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    if args.executor == "rq" and not (args.database_url and args.redis_url):
        parser.error("--executor rq needs --database-url (PostgreSQL) and --redis-url")
    results: dict[str, Any] = {
        "devices": args.devices,
        "threads": args.threads,
        "driver": args.driver,
        "executor": args.executor,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "load_before": os.getloadavg()[0],
    }
    measure(args, results)
    results["api_overhead_ms"] = round(results["api_warm_ms"] - results["driver_warm_ms"], 2)
    sessions = max(results["idle_sessions"], 1)
    results["mb_per_session"] = round(results["rss_delta_mb"] / sessions, 3)
    for name in ("bulk_accept_s", "netweave_cold_s", "netweave_warm_s"):
        results[name] = round(results[name], 3)
    results["load_after"] = os.getloadavg()[0]
    results["machine"] = (
        f"{platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print_table(args, results)
    out = Path(
        args.json or f"bench/results/device_ops_{args.driver}_{args.executor}_{args.devices}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


def print_table(args: argparse.Namespace, r: dict[str, Any]) -> None:
    table = Table(
        title=f"{args.driver} driver, {args.executor} executor: {args.devices} lab devices, "
        f"{args.threads} threads"
    )
    for column in ("measure", "NetWeave", "reference", "ratio"):
        table.add_column(column)
    table.add_row(
        "warm call via API (ms)",
        str(r["api_warm_ms"]),
        f"driver alone {r['driver_warm_ms']}",
        f"+{r['api_overhead_ms']} ms API overhead",
    )
    table.add_row(
        "warm call vs Netmiko send_command (ms)",
        str(r["api_warm_ms"]),
        str(r["raw_netmiko_warm_ms"]),
        f"{r['raw_netmiko_warm_ms'] / r['api_warm_ms']:.1f}x faster",
    )
    table.add_row(
        "warm call vs NetPulse (ms)",
        str(r["api_warm_ms"]),
        str(NETPULSE["warm_call_s"] * 1000),
        f"{NETPULSE['warm_call_s'] * 1000 / r['api_warm_ms']:.0f}x faster",
    )
    label = f"{WARM_DEVICES * COMMANDS_EACH} commands / {WARM_DEVICES} warm devices (s)"
    table.add_row(
        label,
        str(r["commands_api_s"]),
        f"driver alone {r['commands_driver_s']}",
        f"{r['commands_api_s'] / r['commands_driver_s']:.2f}x the driver floor",
    )
    table.add_row(
        label + " vs Netmiko",
        str(r["commands_api_s"]),
        f"Netmiko threads {r['commands_raw_netmiko_s']}",
        f"{r['commands_api_s'] / r['commands_raw_netmiko_s']:.2f}x the Netmiko floor",
    )
    table.add_row(
        "cold bulk (s)",
        str(r["netweave_cold_s"]),
        f"Netmiko pool {r['netmiko_pool_cold_s']}",
        f"{r['netmiko_pool_cold_s'] / r['netweave_cold_s']:.2f}x faster",
    )
    if r["nornir_cold_s"]:
        table.add_row(
            "cold bulk vs Nornir (s)",
            str(r["netweave_cold_s"]),
            str(r["nornir_cold_s"]),
            f"{r['nornir_cold_s'] / r['netweave_cold_s']:.2f}x faster",
        )
        table.add_row(
            "warm bulk vs Nornir cold (s)",
            str(r["netweave_warm_s"]),
            str(r["nornir_cold_s"]),
            f"{r['nornir_cold_s'] / r['netweave_warm_s']:.1f}x faster",
        )
    table.add_row(
        "memory per idle session (MB)",
        str(r["mb_per_session"]),
        f"NetPulse {NETPULSE['mb_per_pinned_device']}",
        f"{NETPULSE['mb_per_pinned_device'] / max(r['mb_per_session'], 0.001):.0f}x less",
    )
    table.add_row("accept 1,000-device bulk (s)", str(r["accept_1000_s"]), "target 1.0", "")
    console.print(table)


if __name__ == "__main__":
    main()

"""What the run engine costs on top of plain device jobs, side by side in one run.

On N lab devices (warm sessions, embedded default: SQLite + local executor):

* baseline: a NetPulse bulk of ``show clock`` (submit + wait for every job);
* the same command as a service run (``POST /run`` path: run row, controller, one step
  job per device, a result row each);
* a 3-step workflow (clock → version → data validation), per device and per run;
* the VLAN change workflow (backup → push → validate, rollback on failure).

Medians of ``--repeat`` runs; the per-step overhead is (run − bulk) / steps / devices.

    .venv/bin/python bench/workflows.py --devices 200 --threads 32
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from netweave.core.access.tokens import Principal
from netweave.core.automation import definitions
from netweave.core.automation.schemas import RunRequest, ServiceCreate, TargetSpec, WorkflowCreate
from netweave.core.inventory import credentials, devices
from netweave.core.inventory.schemas import CredentialCreate, DeviceCreate
from netweave.core.jobs.schemas import BulkRequest
from netweave.core.runtime import Runtime
from netweave.db.models import Role
from netweave.foundation.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from device_ops import start_lab, wait_jobs

ADMIN = Principal(1, "admin", Role.admin, "bench")
console = Console()


def chain(*steps: tuple[str, str]) -> dict[str, Any]:
    ids = ["start", *[s for s, _ in steps], "end"]
    return {
        "nodes": [{"id": s, "ref": ref} for s, ref in steps],
        "edges": [{"source": a, "target": b} for a, b in zip(ids, ids[1:], strict=False)],
    }


def seed(runtime: Runtime, specs: list[Any]) -> list[str]:
    with runtime.transaction() as session:
        credentials.create_credential(
            session,
            runtime.box,
            CredentialCreate(
                name="lab", username="netweave", password="netweave", enable_secret="netweave"
            ),  # type: ignore[arg-type]
        )
        for spec in specs:
            devices.create_device(
                session,
                DeviceCreate(
                    name=spec.name,
                    host=spec.host,
                    port=spec.port,
                    platform="cisco_ios",
                    credential="lab",
                ),  # type: ignore[call-arg]
            )
    runtime.catalog.sync()
    services = [
        ("Clock", "netmiko_commands", {"commands": ["show clock"]}, {"max_parallel": 1000}),
        ("Version", "netmiko_commands", {"commands": ["show version"]}, {}),
        (
            "Check",
            "data_validation",
            {"step": "version", "checks": [{"kind": "text", "match": "Cisco IOS"}]},
            {},
        ),
        ("Backup", "config_backup", {}, {}),
        ("Push", "netmiko_config", {"config": "vlan 77\ninterface Vlan77\n description bench"}, {}),
        (
            "Validate",
            "netmiko_commands",
            {"commands": ["show running-config | include ^vlan"]},
            {"validation": [{"kind": "regex", "match": "^vlan 77$"}]},
        ),
        ("Rollback", "config_restore", {"from_step": "backup"}, {}),
    ]
    with runtime.transaction() as session:
        for name, type_, inputs, options in services:
            definitions.create_service(
                session,
                runtime.catalog,
                ServiceCreate(name=name, type=type_, inputs=inputs, options=options),
                "bench",
            )
        definitions.create_workflow(
            session,
            WorkflowCreate(
                name="Three",
                graph=chain(("clock", "Clock"), ("version", "Version"), ("check", "Check")),
            ),  # type: ignore[arg-type]
            "bench",
        )
        change = chain(("backup", "Backup"), ("push", "Push"), ("validate", "Validate"))
        change["nodes"].append({"id": "rollback", "ref": "Rollback"})
        change["edges"].append({"source": "validate", "target": "rollback", "kind": "failure"})
        definitions.create_workflow(
            session,
            WorkflowCreate(name="Change", graph=change),
            "bench",  # type: ignore[arg-type]
        )
    return [s.name for s in specs]


def bulk(runtime: Runtime, names: list[str]) -> float:
    request = BulkRequest(
        driver="netmiko",
        connection_args={},
        devices=[{"host": n} for n in names],
        command="show clock",
        driver_args={"enable_mode": True},
    )
    started = time.perf_counter()
    jobs, failed = runtime.jobs.submit_bulk(request, ADMIN)
    assert not failed
    counts = wait_jobs(runtime, [j.id for j in jobs])
    assert counts.get("finished") == len(names), counts
    return time.perf_counter() - started


def run(
    runtime: Runtime, name: str, names: list[str], mode: str | None = None
) -> tuple[float, Any]:
    request = RunRequest(targets=TargetSpec(devices=names), mode=mode, wait=900)  # type: ignore[arg-type]
    started = time.perf_counter()
    read = runtime.runs.launch(name, request, "bench")
    return time.perf_counter() - started, read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", default="bench/results/workflows.json")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="nw-wf-bench-"))
    lab, specs = start_lab(args.devices, directory)
    settings = Settings(
        data_dir=directory,
        mode="dev",
        admin_password="x" * 20,
        worker_threads=args.threads,
        session_idle_ttl=3600,
    )  # type: ignore[call-arg]
    runtime = Runtime.open(settings)
    try:
        names = seed(runtime, specs)
        bulk(runtime, names)  # open every session (cold start is not what is measured)
        rows: dict[str, list[float]] = {k: [] for k in ("bulk", "service", "wf_dev", "wf_run")}
        for _ in range(args.repeat):
            rows["bulk"].append(bulk(runtime, names))
            seconds, read = run(runtime, "Clock", names)
            assert read.status == "success", read.summary.get("counts")
            rows["service"].append(seconds)
            seconds, read = run(runtime, "Three", names, "per_device")
            assert read.status == "success", read.summary.get("counts")
            rows["wf_dev"].append(seconds)
            seconds, read = run(runtime, "Three", names, "per_run")
            assert read.status == "success"
            rows["wf_run"].append(seconds)
        change_seconds, change = run(runtime, "Change", names)
    finally:
        runtime.close()
        lab.terminate()
    med = {k: statistics.median(v) for k, v in rows.items()}
    n = args.devices
    per_step = {
        "service": (med["service"] - med["bulk"]) / n * 1000,
        "wf_dev": (med["wf_dev"] - 3 * med["bulk"]) / (3 * n) * 1000,
        "wf_run": (med["wf_run"] - 3 * med["bulk"]) / (3 * n) * 1000,
    }
    table = Table(title=f"{n} warm lab devices, {args.threads} threads, SQLite, local executor")
    for column in ("what", "median s", "vs bulk", "overhead per device-step"):
        table.add_column(column)
    table.add_row("NetPulse bulk (show clock)", f"{med['bulk']:.2f}", "1.00", "-")
    table.add_row(
        "service run (show clock)",
        f"{med['service']:.2f}",
        f"{med['service'] / med['bulk']:.2f}",
        f"{per_step['service']:.1f} ms",
    )
    table.add_row(
        "3-step workflow, per device",
        f"{med['wf_dev']:.2f}",
        f"{med['wf_dev'] / med['bulk']:.2f}",
        f"{per_step['wf_dev']:.1f} ms",
    )
    table.add_row(
        "3-step workflow, per run",
        f"{med['wf_run']:.2f}",
        f"{med['wf_run'] / med['bulk']:.2f}",
        f"{per_step['wf_run']:.1f} ms",
    )
    table.add_row(
        "VLAN change workflow (3 steps)",
        f"{change_seconds:.2f}",
        f"{change_seconds / med['bulk']:.2f}",
        str(change.summary.get("counts")),
    )
    console.print(table)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(
        json.dumps(
            {
                "machine": platform.platform(),
                "cpus": __import__("os").cpu_count(),
                "devices": n,
                "threads": args.threads,
                "medians_s": med,
                "runs": rows,
                "overhead_ms_per_device_step": per_step,
                "change_s": change_seconds,
                "change_counts": change.summary.get("counts"),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

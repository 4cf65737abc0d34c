"""``netweave run``: commands or configuration on inventory devices, with a progress bar
and a results table; the exit code says whether every device succeeded."""

from __future__ import annotations

import json
import time

import typer
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from netweave.cli.console import console, err_console, open_runtime
from netweave.core.access.tokens import Principal
from netweave.core.inventory import pools
from netweave.core.jobs.schemas import BulkFailure, BulkRequest, JobRead
from netweave.core.runtime import Runtime
from netweave.db.models import Device, Role
from netweave.foundation.errors import NetWeaveError, NotFound

TERMINAL = ("finished", "failed", "canceled")
CLI_PRINCIPAL = Principal(user_id=0, username="cli", role=Role.admin, via="cli")


def _targets(runtime: Runtime, devices: str | None, pool: str | None) -> list[str]:
    names = [name.strip() for name in (devices or "").split(",") if name.strip()]
    with runtime.transaction() as session:
        known = set(session.scalars(select(Device.name).where(Device.name.in_(names))))
        unknown = [name for name in names if name not in known]
        if unknown:
            raise NotFound(f"not in the inventory: {', '.join(unknown)}", field="--devices")
        if pool:
            found = pools.pool_by_name(session, pool, field="--pool")
            members, _ = pools.pool_devices(session, found, limit=1000, offset=0)
            names += [device.name for device in members]
    return list(dict.fromkeys(names))


def run(
    operation: list[str] = typer.Argument(..., help="Commands (or config lines with --config)"),
    devices: str | None = typer.Option(
        None, "--devices", "-d", help="Inventory names, comma-separated"
    ),
    pool: str | None = typer.Option(None, "--pool", "-p", help="An inventory pool"),
    config: bool = typer.Option(False, "--config", help="Push the lines as configuration"),
    save: bool = typer.Option(False, "--save", help="Save the configuration on success"),
    parse: bool = typer.Option(False, "--parse", help="Parse outputs with ntc-templates"),
    show_output: bool = typer.Option(False, "--output", "-o", help="Print every output"),
    timeout: float = typer.Option(300, help="Give up waiting after this many seconds"),
) -> None:
    """Run on inventory devices through the embedded engine (persistent sessions)."""
    runtime = open_runtime()
    runtime.recover_jobs = False  # a server may be running on the same database
    try:
        names = _targets(runtime, devices, pool)
        if not names:
            err_console.print("[red]error:[/] no devices: give --devices and/or --pool")
            raise typer.Exit(2)
        request = BulkRequest.model_validate(
            {
                "connection_args": {},
                "devices": [{"host": name} for name in names],
                ("config" if config else "command"): operation,
                "save": save if config else None,
                "parsing": {"name": "ntc_templates"} if parse else None,
            }
        )
        jobs, failed = runtime.jobs.submit_bulk(request, CLI_PRINCIPAL)
    except (NetWeaveError, ValidationError) as exc:
        err_console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    results = _follow(runtime, jobs, timeout)
    _report(results, failed, show_output, parse)
    runtime.close()
    bad = [job for job in results if job.status != "finished"] + list(failed)
    if bad or any(
        item.exit_status
        for job in results
        if job.result and job.result.retval
        for item in job.result.retval
    ):
        raise typer.Exit(1)


def _follow(runtime: Runtime, jobs: list[JobRead], timeout: float) -> list[JobRead]:
    pending = {job.id: job for job in jobs}
    done: dict[str, JobRead] = {}
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("running", total=len(jobs))
        deadline = time.monotonic() + timeout
        while pending and time.monotonic() < deadline:
            for job_id in list(pending):
                current = runtime.jobs.get(job_id)
                if current.status in TERMINAL:
                    done[job_id] = current
                    del pending[job_id]
                    progress.advance(task)
            failed = sum(1 for job in done.values() if job.status != "finished")
            progress.update(task, description=f"running ({failed} failed)" if failed else "running")
            time.sleep(0.1)
    return [done.get(job.id) or runtime.jobs.get(job.id) for job in jobs]


def _report(
    results: list[JobRead], failed: list[BulkFailure], show_output: bool, parse: bool
) -> None:
    table = Table("device", "status", "reused", "seconds", "summary")
    for job in results:
        items = job.result.retval if job.result and job.result.retval else []
        error = job.result.error.message if job.result and job.result.error else ""
        first = items[0] if items else None
        name = first.metadata.get("device") if first else job.device
        summary = error or (
            first.stdout.strip().splitlines()[0][:60] if first and first.stdout.strip() else ""
        )
        style = "green" if job.status == "finished" else "red"
        table.add_row(
            str(name),
            f"[{style}]{job.status}[/]",
            str(first.metadata.get("session_reused")) if first else "-",
            f"{job.duration:.2f}" if job.duration is not None else "-",
            summary,
        )
    for item in failed:
        table.add_row(
            str(getattr(item, "host", "?")),
            "[red]rejected[/]",
            "-",
            "-",
            str(getattr(item, "reason", "")),
        )
    console.print(table)
    if show_output or parse:
        for job in results:
            for output in job.result.retval if job.result and job.result.retval else []:
                console.rule(f"{output.metadata.get('device')} — {output.command}")
                if parse and output.parsed is not None:
                    console.print_json(json.dumps(output.parsed))
                else:
                    console.print(output.stdout, markup=False, highlight=False)

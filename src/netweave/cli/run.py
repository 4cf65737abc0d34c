"""``netweave run``: commands or configuration on devices, with a progress bar and a results
table; the exit code says whether every device succeeded (0), one did not (1) or nothing
could be run (2). Locally through the embedded engine (the default), or through a remote
server's REST API with ``--server``/``--api-key``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from netweave.cli.console import console, err_console
from netweave.cli.device_lists import (
    DeviceListError,
    ListedDevice,
    read_device_list,
    require_column,
    select_devices,
)
from netweave.cli.import_phase import collector_paused
from netweave.cli.remote_client import RemoteClient, RemoteError, sends_key_in_clear, tls_verify
from netweave.cli.run_sources import JobSource, RemoteJobs
from netweave.core.jobs.schemas import BulkFailure, JobRead
from netweave.foundation.errors import NetWeaveError

TERMINAL = ("finished", "failed", "canceled", "stopped")
LONG_POLL = 5.0  # seconds one wait for a job may block before the bar is updated
__all__ = ["run"]


def __getattr__(name: str) -> Any:
    """CLI_PRINCIPAL, the admin the local mode acts as: loaded with the engine, when asked."""
    if name == "CLI_PRINCIPAL":
        from netweave.cli.run_local import CLI_PRINCIPAL

        return CLI_PRINCIPAL
    raise AttributeError(name)


def run(
    ctx: typer.Context,
    operation: list[str] = typer.Argument(..., help="Commands (or config lines with --config)"),
    devices: str | None = typer.Option(
        None, "--devices", "-d", help="Inventory names, comma-separated"
    ),
    pool: str | None = typer.Option(None, "--pool", "-p", help="An inventory pool"),
    devices_file: Path | None = typer.Option(
        None,
        "--devices-file",
        "-f",
        help="A .csv or .xlsx device list: columns name and/or host, port, platform "
        "(device_type), vendor, username, password, secret",
    ),
    vendor: str | None = typer.Option(
        None, "--vendor", help="Only the --devices-file rows of this vendor (glob: 'cisco*')"
    ),
    platform: str | None = typer.Option(
        None, "--platform", help="Only the --devices-file rows of this platform (glob)"
    ),
    config: bool = typer.Option(False, "--config", help="Push the lines as configuration"),
    save: bool = typer.Option(False, "--save", help="Save the configuration on success"),
    parse: bool = typer.Option(False, "--parse", help="Parse outputs with ntc-templates"),
    show_output: bool = typer.Option(False, "--output", "-o", help="Print every output"),
    timeout: float = typer.Option(300, help="Give up waiting after this many seconds"),
    server: str | None = typer.Option(
        None,
        "--server",
        envvar="NETWEAVE_SERVER",
        help="Run through this NetWeave server's API (https://host:port) instead of locally",
    ),
    api_key: str | None = typer.Option(
        None,
        "--api-key",
        envvar="NETWEAVE_API_KEY",
        help="The API key for --server (prefer the environment variable: a command line "
        "is visible to other users of this machine)",
        show_default=False,
    ),
    insecure: bool = typer.Option(
        False, "--insecure", help="Do not verify the server's TLS certificate"
    ),
    ca_cert: Path | None = typer.Option(
        None, "--ca-cert", help="Trust the server's certificate if this CA (PEM) signed it"
    ),
) -> None:
    """Run on devices: locally through the embedded engine (persistent sessions), or through
    a remote NetWeave server with --server."""
    listed = _device_list(devices_file, vendor, platform)
    key_source = ctx.get_parameter_source("api_key")
    if server is None and getattr(key_source, "name", None) == "ENVIRONMENT":
        api_key = None  # NETWEAVE_API_KEY alone (kept for other tools): the local mode
    source = _open_source(server, api_key, insecure, ca_cert)
    try:
        request = _request(source, operation, devices, pool, listed, config, save, parse)
        jobs, failed = source.submit(request)
        results = _follow(source, jobs, timeout)
    except ValidationError as exc:  # never str(exc): it quotes the input, passwords too
        for problem in exc.errors():
            where = ".".join(str(part) for part in problem["loc"]) or "request"
            err_console.print(f"[red]error:[/] {where}: {problem['msg']}", highlight=False)
        raise typer.Exit(2) from exc
    except (NetWeaveError, RemoteError) as exc:
        err_console.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    finally:
        source.close()
    _report(results, failed, show_output, parse)
    bad = [job for job in results if job.status != "finished"] + list(failed)
    if bad or any(
        item.exit_status
        for job in results
        if job.result and job.result.retval
        for item in job.result.retval
    ):
        raise typer.Exit(1)


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _device_list(
    path: Path | None, vendor: str | None, platform: str | None
) -> list[ListedDevice] | None:
    if path is None:
        if vendor is not None or platform is not None:
            raise _fail("--vendor and --platform select rows of --devices-file: give one")
        return None
    try:
        listed = read_device_list(path)
        if vendor is not None:
            require_column(listed, "vendor", "--vendor", path.name)
        if platform is not None:
            require_column(listed, "platform", "--platform", path.name)
    except DeviceListError as exc:
        raise _fail(str(exc)) from exc
    chosen = select_devices(listed, vendor=vendor, platform=platform)
    if not chosen:
        raise _fail(f"no device of {path.name} matches the --vendor/--platform filters")
    return chosen


def _open_source(
    server: str | None, api_key: str | None, insecure: bool, ca_cert: Path | None
) -> JobSource:
    if server is None:
        if api_key is not None or insecure or ca_cert is not None:
            raise _fail(
                "--api-key, --insecure and --ca-cert are for a remote server: give --server "
                "(or NETWEAVE_SERVER)"
            )
        with collector_paused():  # the engine, imported and opened only in this mode
            from netweave.cli.console import open_runtime
            from netweave.cli.run_local import LocalJobs

            runtime = open_runtime()
        runtime.recover_jobs = False  # a server may be running on the same database
        return LocalJobs(runtime)
    if not api_key:
        raise _fail("--server needs an API key: --api-key or NETWEAVE_API_KEY")
    try:
        client = RemoteClient(server, api_key, verify=tls_verify(insecure, ca_cert))
    except RemoteError as exc:
        raise _fail(str(exc)) from exc
    if sends_key_in_clear(client.server):
        err_console.print(
            f"[yellow]warning:[/] {client.server} is plain HTTP: the API key is sent "
            "unencrypted (use https://)",
            highlight=False,
            soft_wrap=True,
        )
    try:
        me = client.whoami()  # a wrong key or server fails here, before anything is sent
    except RemoteError as exc:
        client.close()
        raise _fail(str(exc)) from exc
    user = me.get("user", {}) if isinstance(me, dict) else {}
    err_console.print(
        f"[dim]server: {client.server} (as {user.get('username')}, {user.get('role')})[/]",
        highlight=False,
        soft_wrap=True,
    )
    return RemoteJobs(client)


def _request(
    source: JobSource,
    operation: list[str],
    devices: str | None,
    pool: str | None,
    listed: list[ListedDevice] | None,
    config: bool,
    save: bool,
    parse: bool,
) -> dict[str, Any]:
    """The bulk request: inventory names as ``{"host": name}``; a file's address rows as
    their own connection arguments (their passwords in their own entry only)."""
    names = [name.strip() for name in (devices or "").split(",") if name.strip()]
    unknown = source.unknown_devices(names) if names else []
    if unknown:
        raise _fail(f"--devices: not in the inventory: {', '.join(unknown)}")
    if pool:
        names += source.pool_members(pool)
    entries: list[dict[str, Any]] = [{"host": name} for name in dict.fromkeys(names)]
    if listed:
        by_name = [device.name for device in listed if device.in_inventory and device.name]
        unknown = source.unknown_devices(list(dict.fromkeys(by_name))) if by_name else []
        if unknown:
            raise _fail(f"--devices-file: not in the inventory: {', '.join(unknown)}")
        seen = set(names)
        for device in listed:
            if device.in_inventory and device.name in seen:
                continue  # also named by --devices/--pool
            entries.append(device.entry())
    if not entries:
        raise _fail("no devices: give --devices, --pool and/or --devices-file")
    return {
        "connection_args": {},
        "devices": entries,
        ("config" if config else "command"): operation,
        "save": save if config else None,
        "parsing": {"name": "ntc_templates"} if parse else None,
    }


def _follow(source: JobSource, jobs: list[JobRead], timeout: float) -> list[JobRead]:
    """Long-polls the oldest unfinished job, then looks at the others at once: no request
    loop spins while the devices work."""
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
        while pending and (remaining := deadline - time.monotonic()) > 0:
            first = next(iter(pending))
            states = {first: source.wait(first, min(LONG_POLL, remaining))}
            if states[first].status in TERMINAL:  # the others may be done by now too
                states |= {job_id: source.wait(job_id, 0) for job_id in pending if job_id != first}
            for job_id, current in states.items():
                pending[job_id] = current
                if current.status in TERMINAL:
                    done[job_id] = pending.pop(job_id)
                    progress.advance(task)
            failed = sum(1 for job in done.values() if job.status != "finished")
            progress.update(task, description=f"running ({failed} failed)" if failed else "running")
    return [done.get(job.id) or pending.get(job.id) or job for job in jobs]


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
        table.add_row(item.host or "?", "[red]rejected[/]", "-", "-", item.reason)
    console.print(table)
    if show_output or parse:
        for job in results:
            for output in job.result.retval if job.result and job.result.retval else []:
                console.rule(f"{output.metadata.get('device')} — {output.command}")
                if parse and output.parsed is not None:
                    console.print_json(json.dumps(output.parsed))
                else:
                    console.print(output.stdout, markup=False, highlight=False)

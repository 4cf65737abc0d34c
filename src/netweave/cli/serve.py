"""``netweave serve``: the API server; ``--demo`` adds a seeded device lab."""

from __future__ import annotations

import resource
from pathlib import Path

import typer
import uvicorn
from rich.panel import Panel

from netweave.api.app import create_app
from netweave.cli.console import announce_bootstrap, console, open_runtime
from netweave.cli.demo import issue_demo_key, seed_inventory, start_lab
from netweave.cli.demo_automation import seed_automations
from netweave.foundation.logging import configure_logging
from netweave.foundation.private import private_dir
from netweave.foundation.settings import Mode, Settings
from netweave.scheduler import SchedulerLoop
from netweave.syslog import SyslogServer
from netweave.web import mount_ui


def raise_open_files_limit() -> int:
    """Lift the soft limit on open files to the hard limit and return it. Every client
    connection and every device session is a descriptor, and the usual soft limit (1024)
    would refuse the thousandth client (bench/api_load.py)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = max(soft, 1 << 20)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (OSError, ValueError):  # e.g. capped by the kernel's nr_open
            return soft
    return hard


def syslog_bind_host(settings: Settings) -> str:
    """The demo receives syslog on loopback only, unless NETWEAVE_SYSLOG_HOST says
    otherwise; production listens where the setting says (default 0.0.0.0)."""
    if settings.mode is Mode.demo and "syslog_host" not in settings.model_fields_set:
        return "127.0.0.1"
    return settings.syslog_host


def serve(
    host: str | None = typer.Option(None, help="Bind address (default: settings)"),
    port: int | None = typer.Option(None, help="TCP port (default: settings, 8000)"),
    demo: bool = typer.Option(False, "--demo", help="Start a device lab and seed the inventory"),
    lab_devices: int = typer.Option(24, help="Demo: number of simulated devices"),
    lab_port: int = typer.Option(10022, help="Demo: SSH port of every lab device (127.1.0.x)"),
    lab_delay: float = typer.Option(0.0, help="Demo: artificial per-command latency, seconds"),
    data_dir: Path | None = typer.Option(None, help="Data directory (default: settings)"),
) -> None:
    """Run the NetWeave server (API; the UI comes with it)."""
    overrides: dict[str, object] = {}
    if demo:
        overrides["mode"] = "demo"
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    raise_open_files_limit()
    runtime = open_runtime(overrides)
    settings = runtime.settings
    configure_logging(settings.log_level)
    bind_host = host or settings.host
    bind_port = port or settings.port
    announce_bootstrap(runtime)
    lab = None
    lines = [
        f"API:  http://{bind_host}:{bind_port}/api/v1  (docs: http://{bind_host}:{bind_port}/docs)"
    ]
    if demo:
        private_dir(settings.data_dir)
        with console.status(f"starting a lab of {lab_devices} simulated devices..."):
            lab = start_lab(settings.data_dir, lab_devices, lab_port, lab_delay)
            seeded = seed_inventory(runtime, lab.specs)
            automations = seed_automations(runtime)
        key = issue_demo_key(runtime)
        lines += [
            f"Lab:  {seeded} devices on 127.1.0.x:{lab_port} (in the inventory, credential 'lab')",
            f"Automation: {automations} demo services/workflows (try the 'VLAN change' workflow)",
            f"Admin user: {settings.admin_username}"
            + (
                ""
                if runtime.bootstrap and runtime.bootstrap.password
                else "  (password set at first run)"
            ),
            f"API key (admin, this run): {key}",
            f"Try: curl -H 'X-API-KEY: {key}' http://{bind_host}:{bind_port}/api/v1/devices",
        ]
    jobs = runtime.jobs  # start the engine now: recovery, reaper, node watch (rq)
    runtime.start_background()
    scheduler = SchedulerLoop(runtime).start() if settings.embedded_scheduler else None
    if scheduler is not None:
        lines.append(f"Scheduler: embedded ({scheduler.name})")
    syslog = None
    if settings.embedded_syslog:
        try:
            syslog_host = syslog_bind_host(settings)
            syslog = SyslogServer(
                runtime.events, syslog_host, settings.syslog_port, capacity=settings.syslog_queue
            ).start()
            runtime.syslog_stats = syslog.stats
            lines.append(f"Syslog: udp+tcp {syslog_host}:{syslog.udp_port}")
        except OSError as exc:  # the port is taken: the API still serves
            lines.append(f"Syslog: [yellow]not listening ({exc})[/]")
    lines.append(f"Jobs: {jobs.executor.name} executor")
    app = create_app(runtime)
    if mount_ui(app):
        lines.insert(0, f"UI:   http://{bind_host}:{bind_port}/ui/")
    else:
        lines.insert(0, "UI:   not built (make web)")
    console.print(Panel("\n".join(lines), title="NetWeave is up", border_style="green"))
    try:
        uvicorn.run(app, host=bind_host, port=bind_port, log_level="info")
    finally:
        if scheduler is not None:
            scheduler.stop()
        if syslog is not None:
            syslog.stop()
        if lab is not None:
            lab.stop()
        runtime.close()

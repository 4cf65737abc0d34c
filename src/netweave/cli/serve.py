"""``netweave serve``: the API server; ``--demo`` adds a seeded device lab (``--demo-real``:
real FRR routers in network namespaces)."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from pathlib import Path

import typer
import uvicorn
from rich.panel import Panel

from netweave.api.app import create_app
from netweave.cli.console import announce_bootstrap, console, err_console, open_runtime
from netweave.cli.demo import DemoLab, issue_demo_key, seed_inventory, start_lab
from netweave.cli.demo_automation import seed_automations
from netweave.cli.demo_real import (
    RealDemoLab,
    seed_real_automations,
    seed_real_inventory,
    start_real_lab,
)
from netweave.cli.import_phase import freeze_start_up_objects
from netweave.cli.open_files import raise_open_files_limit
from netweave.cli.serve_workers import (
    READY_WAIT_S,
    ApiProcesses,
    api_config,
    listening_socket,
    parse_bind,
    tell_ready,
)
from netweave.cli.shutdown import SHUTDOWN_GRACE_S, ShutdownSignals
from netweave.core.runtime import Runtime
from netweave.foundation import guarded
from netweave.foundation.logging import configure_logging
from netweave.foundation.private import private_dir
from netweave.foundation.settings import Mode, Settings
from netweave.scheduler import SchedulerLoop
from netweave.syslog import SyslogServer
from netweave.web import mount_ui

# Seconds an idle keep-alive connection is kept: longer than clients' pools and load
# balancers keep them (60 s); with uvicorn's 5 s, a busy client reusing a connection the
# server is closing gets "disconnected without a response".
KEEP_ALIVE_S = 65


def syslog_bind_host(settings: Settings) -> str:
    """The demo receives syslog on loopback only, unless NETWEAVE_SYSLOG_HOST says
    otherwise; production listens where the setting says (default 0.0.0.0)."""
    if settings.mode is Mode.demo and "syslog_host" not in settings.model_fields_set:
        return "127.0.0.1"
    return settings.syslog_host


@dataclass
class _Server:
    """What ``serve`` started, stopped by :func:`_stop` in the reverse order of need."""

    runtime: Runtime
    lab: DemoLab | RealDemoLab | None = None
    syslog_host: str | None = None  # where the demo's devices send syslog to
    scheduler: SchedulerLoop | None = None
    syslog: SyslogServer | None = None
    api: uvicorn.Server | None = None
    api_thread: threading.Thread | None = None


def serve(
    host: str | None = typer.Option(None, help="Bind address (default: settings)"),
    port: int | None = typer.Option(None, help="TCP port (default: settings, 8000)"),
    demo: bool = typer.Option(False, "--demo", help="Start a device lab and seed the inventory"),
    lab_devices: int = typer.Option(24, help="Demo: number of simulated devices"),
    lab_port: int = typer.Option(10022, help="Demo: SSH port of every lab device (127.1.0.x)"),
    lab_delay: float = typer.Option(0.0, help="Demo: artificial per-command latency, seconds"),
    demo_real: bool = typer.Option(
        False, "--demo-real", help="The demo on real FRR routers in network namespaces (root)"
    ),
    real: bool = typer.Option(False, "--real", help="With --demo: the same as --demo-real"),
    lab_topology: str = typer.Option(
        "ring:4", help="Real demo: a topology YAML file, or ring:N (N routers and a spoke)"
    ),
    data_dir: Path | None = typer.Option(None, help="Data directory (default: settings)"),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        max=64,
        help="API processes behind the one address (several need the rq executor)",
    ),
    api_bind: str | None = typer.Option(None, "--api-bind", hidden=True),
    ready_fd: int | None = typer.Option(None, "--ready-fd", hidden=True),
) -> None:
    """Run the NetWeave server (API; the UI comes with it) until SIGTERM/SIGINT; then stop
    accepting, stop the scheduler and the run controllers, let running device jobs finish
    (up to 10 s), close the device sessions, stop the demo lab and exit 0."""
    if api_bind is not None:  # one of the controller's API processes (serve_workers.py)
        _serve_api_only(*parse_bind(api_bind), data_dir, ready_fd)
        return
    signals = ShutdownSignals().install()
    overrides: dict[str, object] = {}
    demo_real = demo_real or (demo and real)
    demo = demo or demo_real
    if workers > 1 and demo:
        err_console.print("[red]error:[/] --workers: the demo runs in one process")
        raise typer.Exit(2)
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
    if workers > 1 and settings.executor != "rq":
        runtime.close()
        err_console.print(
            "[red]error:[/] --workers: several API processes need the rq executor "
            "(NETWEAVE_EXECUTOR=rq and NETWEAVE_REDIS_URL): with the local executor each "
            "process would run, and lose, its own jobs",
            soft_wrap=True,
        )
        raise typer.Exit(2)
    announce_bootstrap(runtime)
    server = _Server(runtime)
    listening = True
    sockets = [listening_socket(bind_host, bind_port)] if workers > 1 else None
    others: ApiProcesses | None = None
    try:
        lines = [
            f"API:  http://{bind_host}:{bind_port}/api/v1  "
            f"(docs: http://{bind_host}:{bind_port}/docs)"
        ]
        if demo_real:
            lines += _start_real_demo(server, lab_topology, bind_host, bind_port)
        elif demo:
            lines += _start_demo(server, lab_devices, lab_port, lab_delay, bind_host, bind_port)
        lines += _start_background(server)
        app = create_app(runtime)
        if mount_ui(app):
            lines.insert(0, f"UI:   http://{bind_host}:{bind_port}/ui/")
        else:
            lines.insert(0, "UI:   not built (make web)")
        freeze_start_up_objects()
        server.api = uvicorn.Server(
            api_config(
                app,
                KEEP_ALIVE_S,
                SHUTDOWN_GRACE_S,
                settings.access_log,
                host=bind_host,
                port=bind_port,
            )
        )
        if workers > 1:
            lines.append(f"API processes: {workers} (this one is the controller)")
        if _start_api(server, signals, sockets):
            if sockets is not None:
                others = ApiProcesses(
                    bind_host, bind_port, workers - 1, _data_dir_arg(data_dir)
                ).start()
                with console.status(f"starting {workers - 1} more API process(es)..."):
                    listening_now = others.wait_listening(READY_WAIT_S)
                if listening_now < workers - 1:
                    err_console.print(
                        f"[yellow]{listening_now} of {workers - 1} more API processes listen "
                        f"after {READY_WAIT_S:.0f} s; the others join when they are up[/]"
                    )
            # lines a reader copies (commands, keys) go below the panel, unwrapped: a panel
            # folds them at the terminal's width and the pasted command breaks
            copied = [line for line in lines if line.startswith(COPIED)]
            shown = [line for line in lines if not line.startswith(COPIED)]
            console.print(Panel("\n".join(shown), title="NetWeave is up", border_style="green"))
            for line in copied:
                console.print(line, soft_wrap=True, highlight=False)
        while server.api_thread is not None and server.api_thread.is_alive():
            if signals.wait(0.5):
                break
        listening = signals.requested.is_set()  # else uvicorn ended by itself
    finally:
        if others is not None:
            others.stop(SHUTDOWN_GRACE_S + 2)
        _stop(server)
    if not listening:
        err_console.print(f"[red]error:[/] the API stopped serving on {bind_host}:{bind_port}")
        raise typer.Exit(1)


COPIED = ("API key", "Try:")  # printed below the panel, never folded


def _start_demo(
    server: _Server, devices: int, lab_port: int, lab_delay: float, host: str, port: int
) -> list[str]:
    runtime = server.runtime
    settings = runtime.settings
    private_dir(settings.data_dir)
    with console.status(f"starting a lab of {devices} simulated devices..."):
        server.lab = start_lab(settings.data_dir, devices, lab_port, lab_delay)
        seeded = seed_inventory(runtime, server.lab.specs)
        automations = seed_automations(runtime)
    key = issue_demo_key(runtime)
    password_known = runtime.bootstrap is not None and runtime.bootstrap.password
    return [
        f"Lab:  {seeded} devices on 127.1.0.x:{lab_port} (in the inventory, credential 'lab')",
        f"Automation: {automations} demo services/workflows (try the 'VLAN change' workflow)",
        f"Admin user: {settings.admin_username}"
        + ("" if password_known else "  (password set at first run)"),
        f"API key (admin, this run): {key}",
        f"Try: curl -H 'X-API-KEY: {key}' http://{host}:{port}/api/v1/devices",
    ]


def _start_real_demo(server: _Server, topology: str, host: str, port: int) -> list[str]:
    runtime = server.runtime
    settings = runtime.settings
    private_dir(settings.data_dir)
    with console.status(f"starting the real lab ({topology}): FRR routers in namespaces..."):
        try:
            lab = start_real_lab(settings.data_dir, topology, settings.syslog_port)
        except RuntimeError as exc:
            err_console.print(f"[red]error:[/] {exc}")
            raise typer.Exit(2) from exc
        server.lab = lab
        server.syslog_host = lab.host_address  # the routers reach the host only there
        seeded = seed_real_inventory(runtime, lab)
        automations = seed_real_automations(runtime)
    key = issue_demo_key(runtime)
    password_known = runtime.bootstrap is not None and runtime.bootstrap.password
    return [
        f"Lab:  {seeded} FRR routers on {lab.management} port 22 (real lab {lab.id}; in the "
        f"inventory, credential 'netlab')",
        f"Automation: {automations} FRR services/workflows (try 'OSPF cost change', vars "
        "cost and interface)",
        f"Admin user: {settings.admin_username}"
        + ("" if password_known else "  (password set at first run)"),
        f"API key (admin, this run): {key}",
        f"Try: curl -H 'X-API-KEY: {key}' http://{host}:{port}/api/v1/devices",
    ]


def _start_background(server: _Server) -> list[str]:
    """The job engine (recovery, reaper, node watch), run recovery, backups, and the
    embedded scheduler and syslog receiver."""
    runtime = server.runtime
    settings = runtime.settings
    jobs = runtime.jobs
    runtime.start_background()
    lines = []
    if settings.embedded_scheduler:
        server.scheduler = SchedulerLoop(runtime).start()
        lines.append(f"Scheduler: embedded ({server.scheduler.name})")
    if settings.embedded_syslog:
        try:
            syslog_host = server.syslog_host or syslog_bind_host(settings)
            server.syslog = SyslogServer(
                runtime.events, syslog_host, settings.syslog_port, capacity=settings.syslog_queue
            ).start()
            runtime.syslog_stats = server.syslog.stats
            lines.append(f"Syslog: udp+tcp {syslog_host}:{server.syslog.udp_port}")
        except OSError as exc:  # the port is taken: the API still serves
            lines.append(f"Syslog: [yellow]not listening ({exc})[/]")
    lines.append(f"Jobs: {jobs.executor.name} executor")
    return lines


def _start_api(
    server: _Server, signals: ShutdownSignals, sockets: list[socket.socket] | None = None
) -> bool:
    """Start uvicorn in a thread (there it installs no signal handlers: ours stay, and an
    HTTP request that does not end cannot hold the shutdown). True once it listens; False
    when it could not (uvicorn logged why) or a shutdown came first. ``sockets``: accept on
    these (shared by several API processes) rather than bind the configured address."""
    api = server.api
    assert api is not None
    server.api_thread = threading.Thread(
        target=api.run, kwargs={"sockets": sockets}, name="api-server", daemon=True
    )
    signals.on_request(lambda: setattr(api, "should_exit", True))
    server.api_thread.start()
    while not api.started and server.api_thread.is_alive():
        if signals.wait(0.05):
            return False
    return bool(api.started)


def _data_dir_arg(data_dir: Path | None) -> str | None:
    return str(data_dir) if data_dir is not None else None


def _serve_api_only(host: str, port: int, data_dir: Path | None, ready_fd: int | None) -> None:
    """An API process of ``serve --workers N``: the API on the controller's socket, nothing
    else (no recovery, reaper, scheduler or syslog: the controller runs those). Once it
    listens it tells the controller through ``ready_fd``."""
    signals = ShutdownSignals().install()
    overrides: dict[str, object] = {"embedded_scheduler": False, "embedded_syslog": False}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    raise_open_files_limit()
    runtime = open_runtime(overrides, migrate=False, bootstrap=False)
    runtime.recover_jobs = False
    configure_logging(runtime.settings.log_level)
    server = _Server(runtime)
    try:
        app = create_app(runtime)
        mount_ui(app)
        freeze_start_up_objects()
        server.api = uvicorn.Server(
            api_config(app, KEEP_ALIVE_S, SHUTDOWN_GRACE_S, runtime.settings.access_log)
        )
        if _start_api(server, signals, [listening_socket(host, port)]):
            tell_ready(ready_fd)
            while server.api_thread is not None and server.api_thread.is_alive():
                if signals.wait(0.5):
                    break
    finally:
        _stop(server)


def _stop(server: _Server) -> None:
    """Stop accepting (HTTP requests get the grace), stop the scheduler and syslog loops,
    then the runtime (run controllers; in-flight device jobs get the grace, then the
    sessions close), then the demo lab and the guard processes."""
    if server.api is not None:
        server.api.should_exit = True
    if server.api_thread is not None:
        server.api_thread.join(SHUTDOWN_GRACE_S + 2)
    if server.scheduler is not None:
        server.scheduler.stop()
    if server.syslog is not None:
        server.syslog.stop()
    server.runtime.close(grace=SHUTDOWN_GRACE_S)
    if server.lab is not None:
        server.lab.stop()
    guarded.shutdown()

"""``netweave lab up --real`` / ``netweave lab down``: FRRouting routers in network
namespaces (:mod:`netweave.netlab`), served until Ctrl-C / SIGTERM, every namespace and
process removed on the way out (and, after a crash, by the next ``up`` or by ``down``)."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from netweave.cli.console import console, err_console
from netweave.netlab import HostError, RealLab, TopologyError, load
from netweave.netlab.host import registered, remove_lab


def parse_target(text: str | None) -> tuple[str, int] | None:
    """HOST:PORT, or :PORT for the lab's own host address (known once it is up)."""
    if not text:
        return None
    address, colon, port = text.rpartition(":")
    if not colon or not port.isdigit() or not 0 < int(port) < 65536:
        raise typer.BadParameter(f"HOST:PORT or :PORT, not {text!r}", param_hint="--syslog")
    return address, int(port)


def serve_real(topology: str, manifest: Path | None, syslog: str | None, lldp: bool) -> None:
    """Build the lab, say where it is, serve until a signal, then take it down."""
    target = parse_target(syslog)
    try:
        lab = RealLab(load(topology), syslog=target if target and target[0] else None, lldp=lldp)
    except TopologyError as exc:
        raise typer.BadParameter(str(exc), param_hint="--topology") from exc
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=err_console, transient=True) as progress:  # fmt: skip
            task = progress.add_task(f"starting {len(lab.plan.routers)} FRR routers", total=None)
            lab.up()
            progress.update(task, description="waiting for OSPF and BGP to converge")
            converged = lab.wait_converged(120)
        if target and not target[0]:  # :PORT: the host's end of the management network,
            lab.start_syslog((lab.host_address, target[1]))  # from now on (not the start-up)
        if manifest is not None:
            lab.write_manifest(manifest)
        table = Table("router", "management (ssh)", "loopback", "AS", "interfaces",
                      title=f"real lab {lab.id}: {len(lab.routers)} FRR routers")  # fmt: skip
        for router in lab.routers.values():
            interfaces = ", ".join(f"{i.name}→{i.peer_router}" for i in router.plan.interfaces)
            table.add_row(router.name, f"{router.address}:22", router.plan.loopback,
                          str(router.plan.asn), interfaces)  # fmt: skip
        console.print(table)
        state = "converged" if converged else "NOT converged after 120 s"
        console.print(
            f"started in {lab.started_in:.1f} s, {state}; {lab.rss_mib():.0f} MiB in its "
            f"namespaces. Log in as nwfrr (vtysh) or nwhost (shell); the password is in "
            f"{manifest or '/var/lib/netweave-netlab/secret'}.",
            soft_wrap=True,
        )
        if lab.syslog:
            console.print(f"FRR's logs go as syslog to {lab.syslog[0]}:{lab.syslog[1]}")
        else:
            console.print(f"syslog listeners for it: {lab.host_address} (--syslog HOST:PORT)")
        stop.wait()
    except HostError as exc:
        err_console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    finally:
        lab.down()
        if manifest is not None:
            manifest.unlink(missing_ok=True)


def take_down(everything: bool) -> None:
    """Remove labs whose process is gone; with ``everything``, stop the live ones too."""
    removed = 0
    for entry in registered():
        pid = int(entry["pid"])
        alive = True
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            alive = False
        if alive and not everything:
            console.print(f"lab {entry['id']} is served by process {pid} (--all stops it)")
            continue
        if alive:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
        remove_lab(str(entry["id"]))
        removed += 1
    console.print(f"removed {removed} lab(s)")

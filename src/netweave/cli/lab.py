"""``netweave lab``: the device simulator."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from rich.table import Table

from netweave.cli.console import console
from netweave.cli.netlab import serve_real, take_down
from netweave.lab import Lab, build_specs, links_for, rss_mb, run_forever

app = typer.Typer(help="Simulated network devices over real SSH.", no_args_is_help=True)

ALL_PLATFORMS = "cisco_ios,arista_eos,juniper_junos,linux"


@app.command("up")
def up(
    devices: int = typer.Option(20, min=1, help="How many devices"),
    base_port: int = typer.Option(0, help="First port (ports mode) or the one port (addresses)"),
    host: str = typer.Option("127.0.0.1", help="Listen address in ports mode"),
    address_mode: str = typer.Option(
        "ports", help="ports: one address, many ports; addresses: 127.1.0.x on one port"
    ),
    delay: float = typer.Option(0.0, min=0.0, help="Latency per command, seconds"),
    platforms: str = typer.Option(ALL_PLATFORMS, help="Comma-separated, round-robin"),
    username: str = typer.Option("netweave"),
    password: str = typer.Option("netweave"),
    manifest: Path | None = typer.Option(None, help="Write the served devices here (JSON)"),
    real: bool = typer.Option(
        False, "--real", help="Real FRRouting routers in network namespaces (root)"
    ),
    topology: str = typer.Option(
        "ring:4", help="--real: a topology YAML file, or ring:N (N routers and a spoke)"
    ),
    syslog: str | None = typer.Option(
        None,
        help="--real: send FRR's logs to HOST:PORT (:PORT: the lab's host address, once up)",
    ),
    lldp: bool = typer.Option(True, help="--real: lldpd on every router's links"),
    links: str = typer.Option(
        "demo",
        help="Cables between the devices, shown by CDP/LLDP: demo (the demo's topology), "
        "ring, none, or a JSON file of links",
    ),
) -> None:
    """Serve simulated devices (or, with --real, FRR routers) until Ctrl-C / SIGTERM."""
    if real:
        serve_real(topology, manifest, syslog, lldp)
        return
    if address_mode not in ("ports", "addresses"):
        raise typer.BadParameter("ports or addresses", param_hint="--address-mode")
    try:
        specs = build_specs(
            devices,
            platforms=tuple(p.strip() for p in platforms.split(",") if p.strip()),
            host=host,
            base_port=base_port,
            address_mode="addresses" if address_mode == "addresses" else "ports",
            delay=delay,
            username=username,
            password=password,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    try:
        cables = links_for(links, specs)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--links") from exc

    def ready(lab: Lab, seconds: float) -> None:
        table = Table("platform", "devices", title=f"lab up: {len(lab.devices)} devices")
        for platform, count in sorted(Counter(d.spec.platform for d in lab.devices).items()):
            table.add_row(platform, str(count))
        console.print(table)
        first, last = lab.devices[0].spec, lab.devices[-1].spec
        console.print(
            f"{first.host}:{first.port} .. {last.host}:{last.port}  login {username}/{password}"
            f"  started in {seconds:.2f} s, RSS {rss_mb():.0f} MiB"
        )
        if manifest is not None:
            console.print(f"manifest: {manifest}")

    run_forever(specs, manifest=manifest, on_ready=ready, links=cables)


@app.command("down")
def down(
    everything: bool = typer.Option(False, "--all", help="Stop running real labs too"),
) -> None:
    """Remove what real labs left behind (namespaces, processes) after a crash."""
    take_down(everything)


@app.command("seed")
def seed(
    manifest: Path = typer.Argument(..., help="A real lab's manifest (lab up --real --manifest)"),
    automations: bool = typer.Option(
        False, help="Also the demo's FRR workflows (OSPF cost change, diagnostics) and rule"
    ),
) -> None:
    """Put a real lab's routers into the inventory: devices (platform frr), a credential
    scoped to the lab's management network, the cables as links, a pool of them."""
    from netweave.cli.console import open_runtime
    from netweave.cli.demo_real import LabManifest, seed_real_automations, seed_real_inventory

    try:
        read = LabManifest.read(manifest)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="MANIFEST") from exc
    runtime = open_runtime()
    try:
        count = seed_real_inventory(runtime, read)
        made = seed_real_automations(runtime) if automations else 0
    finally:
        runtime.close()
    console.print(f"{count} routers and {len(read.links)} cables in the inventory"
                  + (f", {made} automations" if automations else ""))  # fmt: skip

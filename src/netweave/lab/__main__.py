"""``python -m netweave.lab up ...``: the lab without the rest of NetWeave."""

from __future__ import annotations

import argparse
from pathlib import Path

from netweave.lab.runner import rss_mb, run_forever
from netweave.lab.server import Lab
from netweave.lab.specs import build_specs
from netweave.lab.topology import links_for


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m netweave.lab")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="serve simulated devices until interrupted")
    up.add_argument("--devices", type=int, default=20)
    up.add_argument("--base-port", type=int, default=0)
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--address-mode", choices=("ports", "addresses"), default="ports")
    up.add_argument("--delay", type=float, default=0.0)
    up.add_argument("--platforms", default="cisco_ios,arista_eos,juniper_junos,linux")
    up.add_argument("--username", default="netweave")
    up.add_argument("--password", default="netweave")
    up.add_argument("--manifest", type=Path, default=None)
    up.add_argument(
        "--links",
        default="demo",
        help="cables between the devices, shown by CDP/LLDP: demo (the demo's topology), "
        "ring, none, or a JSON file of links",
    )
    args = parser.parse_args(argv)
    specs = build_specs(
        args.devices,
        platforms=tuple(args.platforms.split(",")),
        host=args.host,
        base_port=args.base_port,
        address_mode=args.address_mode,
        delay=args.delay,
        username=args.username,
        password=args.password,
    )
    try:
        links = links_for(args.links, specs)
    except ValueError as exc:
        parser.error(f"--links: {exc}")

    def ready(lab: Lab, seconds: float) -> None:
        first, last = lab.devices[0].spec, lab.devices[-1].spec
        print(
            f"lab up: {len(lab.devices)} devices in {seconds:.2f} s, RSS {rss_mb():.0f} MiB, "
            f"{first.host}:{first.port} .. {last.host}:{last.port}",
            flush=True,
        )

    run_forever(specs, manifest=args.manifest, on_ready=ready, links=links)


if __name__ == "__main__":
    main()

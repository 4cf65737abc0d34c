"""Which lab devices are cabled to which: the ready-made topologies (``demo``: site routers,
their access devices and a backbone between sites, the links the demo's inventory holds;
``ring``: each device to the next), a links file, and the checks every topology passes."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from netweave.lab.platforms import PLATFORMS
from netweave.lab.specs import LabDeviceSpec, LabLink

# Long-haul links between the lab's sites (see netweave.lab.specs.SITES).
BACKBONE: tuple[tuple[str, str], ...] = (
    ("PAR1", "LON1"),
    ("PAR1", "FRA1"),
    ("LON1", "FRA1"),
    ("LON1", "NYC1"),
    ("NYC1", "SFO1"),
    ("NYC1", "SAO1"),
    ("SFO1", "TYO1"),
    ("TYO1", "SIN1"),
    ("SIN1", "SYD1"),
    ("SYD1", "SFO1"),
    ("SIN1", "FRA1"),
    ("SAO1", "JNB1"),
    ("JNB1", "LON1"),
    ("JNB1", "SIN1"),
)
PORT_PATTERNS = {
    "cisco_ios": "GigabitEthernet0/{}",
    "arista_eos": "Ethernet{}",
    "juniper_junos": "ge-0/0/{}",
    "linux": "eth{}",
}
_FIRST = {"arista_eos": 1}  # Ethernet1 is an EOS box's first port; the others count from 0
TOPOLOGIES = ("demo", "ring", "none")


class PortAllocator:
    """Hands out each device's next free interface name (past the modelled hardware's
    ports when a device has more links than ports: such a port is always up)."""

    def __init__(self) -> None:
        self.used: dict[str, int] = defaultdict(int)

    def next(self, spec: LabDeviceSpec) -> str:
        number = self.used[spec.name] + _FIRST.get(spec.platform, 0)
        profile = PLATFORMS.get(spec.platform)
        if (
            profile is not None
            and profile.family == "ios"
            and number == len(profile.interfaces) - 1
        ):
            number += 1  # IOS's last port is the lab's shut spare: never cabled
            self.used[spec.name] += 1
        self.used[spec.name] += 1
        return PORT_PATTERNS.get(spec.platform, "port{}").format(number)


def demo_links(specs: Sequence[LabDeviceSpec]) -> list[LabLink]:
    """At each site the first device is the site's router and every other device hangs off
    it; the routers of the sites are joined by :data:`BACKBONE`."""
    by_site: dict[str, list[LabDeviceSpec]] = defaultdict(list)
    for spec in sorted(specs, key=lambda s: s.index):
        by_site[spec.site].append(spec)
    ports = PortAllocator()
    found: list[LabLink] = []

    def link(source: LabDeviceSpec, destination: LabDeviceSpec, description: str) -> None:
        found.append(
            LabLink(
                source.name,
                ports.next(source),
                destination.name,
                ports.next(destination),
                description,
            )
        )

    for site, members in by_site.items():
        for member in members[1:]:
            link(members[0], member, f"{site} access")
    for left, right in BACKBONE:
        if by_site.get(left) and by_site.get(right):
            link(by_site[left][0], by_site[right][0], f"backbone {left}-{right}")
    return found


def ring_links(specs: Sequence[LabDeviceSpec]) -> list[LabLink]:
    """Each device's next port to the following device's (the last back to the first):
    every device has two neighbours. Two devices: one link; one device: none."""
    ports = PortAllocator()
    count = len(specs)
    if count > 2:
        pairs = [(i, (i + 1) % count) for i in range(count)]
    else:  # two devices: one cable; one device: none
        pairs = [(0, 1)] if count == 2 else []
    return [
        LabLink(
            specs[left].name,
            ports.next(specs[left]),
            specs[right].name,
            ports.next(specs[right]),
            "ring",
        )
        for left, right in pairs
    ]


def check_links(specs: Sequence[LabDeviceSpec], links: Sequence[LabLink]) -> None:
    """ValueError for a link to a device the lab does not serve, from a device to itself,
    or on an interface another link already uses."""
    names = {spec.name for spec in specs}
    used: set[tuple[str, str]] = set()
    for link in links:
        for device, interface in (
            (link.source, link.source_interface),
            (link.destination, link.destination_interface),
        ):
            if device not in names:
                raise ValueError(f"link {link.source}--{link.destination}: no device {device!r}")
            if not interface.strip():
                raise ValueError(f"link {link.source}--{link.destination}: an interface is empty")
            if (device, interface.lower()) in used:
                raise ValueError(f"{device} {interface} is in two links")
            used.add((device, interface.lower()))
        if link.source == link.destination:
            raise ValueError(f"link {link.source}--{link.destination}: a device to itself")


def links_for(choice: str, specs: Sequence[LabDeviceSpec]) -> list[LabLink]:
    """The ``--links`` option: ``demo``, ``ring``, ``none``, or a JSON file (a list of
    ``{"source", "source_interface", "destination", "destination_interface"}`` objects, or
    a lab manifest). Checked against ``specs``."""
    if choice == "demo":
        links = demo_links(specs)
    elif choice == "ring":
        links = ring_links(specs)
    elif choice in ("none", ""):
        links = []
    else:
        path = Path(choice)
        if not path.is_file():
            raise ValueError(f"{', '.join(TOPOLOGIES)} or a JSON file, not {choice!r}")
        data = json.loads(path.read_text())
        items = data.get("links", []) if isinstance(data, dict) else data
        try:
            links = [LabLink(**item) for item in items]
        except TypeError as exc:
            raise ValueError(f"{choice}: {exc}") from None
    check_links(specs, links)
    return links

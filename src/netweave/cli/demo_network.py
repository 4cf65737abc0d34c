"""The demo's network: at each site the first device is the site's router and every other
device hangs off it; the routers of the sites are joined by a backbone of long-haul links
between real cities, so the map, the globe and the topology views have something to show."""

from __future__ import annotations

from collections import defaultdict

from netweave.core.inventory.links import default_link_name
from netweave.core.inventory.schemas import LinkCreate
from netweave.lab import LabDeviceSpec

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
_PATTERNS = {
    "cisco_ios": "GigabitEthernet0/{}",
    "arista_eos": "Ethernet{}",
    "juniper_junos": "ge-0/0/{}",
    "linux": "eth{}",
}
_FIRST = {"arista_eos": 1}  # Ethernet1 is an EOS box's first port; the others count from 0


class _Ports:
    """Hands out each device's next free interface name."""

    def __init__(self) -> None:
        self.used: dict[str, int] = defaultdict(int)

    def next(self, spec: LabDeviceSpec) -> str:
        number = self.used[spec.name] + _FIRST.get(spec.platform, 0)
        self.used[spec.name] += 1
        return _PATTERNS.get(spec.platform, "port{}").format(number)


def demo_links(specs: list[LabDeviceSpec]) -> list[LinkCreate]:
    by_site: dict[str, list[LabDeviceSpec]] = defaultdict(list)
    for spec in sorted(specs, key=lambda s: s.index):
        by_site[spec.site].append(spec)
    ports = _Ports()
    found: list[LinkCreate] = []

    def link(source: LabDeviceSpec, destination: LabDeviceSpec, description: str) -> None:
        src_if, dst_if = ports.next(source), ports.next(destination)
        found.append(
            LinkCreate(
                name=default_link_name(source.name, src_if, destination.name, dst_if),
                source=source.name,
                destination=destination.name,
                source_interface=src_if,
                destination_interface=dst_if,
                description=description,
            )
        )

    for site, members in by_site.items():
        for member in members[1:]:
            link(members[0], member, f"{site} access")
    for left, right in BACKBONE:
        if by_site.get(left) and by_site.get(right):
            link(by_site[left][0], by_site[right][0], f"backbone {left}-{right}")
    return found

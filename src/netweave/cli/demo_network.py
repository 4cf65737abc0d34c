"""The demo's network: at each site the first device is the site's router and every other
device hangs off it; the routers of the sites are joined by a backbone of long-haul links
between real cities, so the map, the globe and the topology views have something to show.

The topology is the lab's own (:func:`netweave.lab.topology.demo_links`, what the demo's
lab is cabled as): the inventory's links and the devices' CDP/LLDP neighbours agree."""

from __future__ import annotations

from netweave.core.inventory.links import default_link_name
from netweave.core.inventory.schemas import LinkCreate
from netweave.lab import LabDeviceSpec
from netweave.lab.topology import BACKBONE
from netweave.lab.topology import demo_links as lab_demo_links

__all__ = ["BACKBONE", "demo_links"]


def demo_links(specs: list[LabDeviceSpec]) -> list[LinkCreate]:
    return [
        LinkCreate(
            name=default_link_name(
                link.source, link.source_interface, link.destination, link.destination_interface
            ),
            source=link.source,
            destination=link.destination,
            source_interface=link.source_interface,
            destination_interface=link.destination_interface,
            description=link.description,
        )
        for link in lab_demo_links(specs)
    ]

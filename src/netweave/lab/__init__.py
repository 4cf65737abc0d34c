"""The device lab: simulated network devices over real SSH (asyncssh), many per event loop.

Stands alone: it imports nothing else from NetWeave, so tests, the demo and benchmarks
(and anyone else) can run it.
"""

from netweave.lab.device import Fault, LabDevice
from netweave.lab.runner import LabThread, rss_mb, run_forever
from netweave.lab.server import Lab, host_key
from netweave.lab.specs import (
    LabDeviceSpec,
    LabLink,
    build_specs,
    read_links,
    read_manifest,
    write_manifest,
)
from netweave.lab.topology import demo_links, links_for, ring_links

__all__ = [
    "Fault",
    "Lab",
    "LabDevice",
    "LabDeviceSpec",
    "LabLink",
    "LabThread",
    "build_specs",
    "demo_links",
    "host_key",
    "links_for",
    "read_links",
    "read_manifest",
    "ring_links",
    "rss_mb",
    "run_forever",
    "write_manifest",
]

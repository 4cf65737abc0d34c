"""The device lab: simulated network devices over real SSH (asyncssh), many per event loop.

Stands alone: it imports nothing else from NetWeave, so tests, the demo and benchmarks
(and anyone else) can run it.
"""

from netweave.lab.device import Fault, LabDevice
from netweave.lab.runner import LabThread, rss_mb, run_forever
from netweave.lab.server import Lab, host_key
from netweave.lab.specs import LabDeviceSpec, build_specs, read_manifest, write_manifest

__all__ = [
    "Fault",
    "Lab",
    "LabDevice",
    "LabDeviceSpec",
    "LabThread",
    "build_specs",
    "host_key",
    "read_manifest",
    "rss_mb",
    "run_forever",
    "write_manifest",
]

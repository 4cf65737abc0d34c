"""Real network software for NetWeave to run against: FRRouting routers (zebra, staticd,
ospfd, bgpd), each with an OpenSSH daemon and lldpd, in Linux network namespaces. Needs root
and Debian's ``frr``, ``lldpd`` and ``openssh-server`` (``scripts/ensure-netlab``)."""

from netweave.netlab.host import HostError, missing_requirements, reap_stale, remove_lab
from netweave.netlab.network import PLATFORM, RealLab
from netweave.netlab.topology import Topology, TopologyError, load, ring

__all__ = [
    "PLATFORM",
    "HostError",
    "RealLab",
    "Topology",
    "TopologyError",
    "load",
    "missing_requirements",
    "reap_stale",
    "remove_lab",
    "ring",
]

"""A real lab: FRR routers in network namespaces, cabled by veth pairs, reachable from the host
over a management network (a bridge in a namespace of its own, one veth into the host's
namespace carrying 198.19.X.254/24), with their logs sent as syslog.

``RealLab(topology).up()`` builds it; ``down()`` removes every namespace and process it made.
A lab whose process died is removed by the next ``up`` (or ``netweave lab down --real``)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from netweave.netlab import host
from netweave.netlab.frr_config import frr_conf
from netweave.netlab.router import LLDPCLI, Router
from netweave.netlab.syslog_relay import Source, SyslogRelay
from netweave.netlab.topology import Plan, Topology, plan

PLATFORM = "frr"


class RealLab:
    def __init__(
        self,
        topology: Topology,
        *,
        syslog: tuple[str, int] | None = None,
        lldp: bool = True,
    ) -> None:
        self.topology = topology
        self.plan: Plan = plan(topology)
        self.syslog = syslog
        self.lldp = lldp
        self.id = secrets.token_hex(3)
        self.state_dir = host.REGISTRY / self.id
        self.routers: dict[str, Router] = {}
        self.management = ""  # 198.19.X
        self.host_address = ""  # the host's end of the management network
        self.password = ""
        self.relay: SyslogRelay | None = None
        self.started_in = 0.0

    @property
    def mgmt_namespace(self) -> str:
        return f"{host.PREFIX}{self.id}-mgmt"

    # -- up ------------------------------------------------------------------------------
    def up(self) -> RealLab:
        began = time.monotonic()
        problem = host.missing_requirements()
        if problem:
            raise host.HostError(problem)
        with host.host_lock():
            host.reap_stale()
            taken = {str(entry.get("management", "")).split(".")[-1] for entry in host.registered()}
            third = host.free_management_network(taken)
            self.management = f"198.19.{third}"
            self.host_address = f"{self.management}.254"
            self.state_dir.mkdir(parents=True, mode=0o755)
            self.state_dir.chmod(0o755)
            host.register(self.id, self.state_dir, self.management)
            try:
                self._management_network()
            except BaseException:
                self.down()
                raise
        try:
            self.password = host.lab_password()
            host.ensure_accounts(self.password)
            self._build()
        except BaseException:
            self.down()
            raise
        self.started_in = time.monotonic() - began
        return self

    def _management_network(self) -> None:
        mgmt = self.mgmt_namespace
        host.run("ip", "netns", "add", mgmt)
        host.run("ip", "-n", mgmt, "link", "add", "br0", "type", "bridge")
        host.run("ip", "-n", mgmt, "link", "set", "br0", "up")
        uplink = host.uplink(self.id)
        host.run(
            "ip", "link", "add", uplink, "type", "veth", "peer", "name", "uplink", "netns", mgmt
        )
        host.run("ip", "-n", mgmt, "link", "set", "uplink", "master", "br0", "up")
        host.run("ip", "addr", "add", f"{self.host_address}/24", "dev", uplink)
        host.run("ip", "link", "set", uplink, "up")

    def _build(self) -> None:
        mgmt = self.mgmt_namespace
        own_lldpcli = self.state_dir / "lldpcli"
        shutil.copyfile(LLDPCLI, own_lldpcli)  # no setuid bit: see Router.write_files
        own_lldpcli.chmod(0o755)
        for planned in self.plan.routers:
            router = Router(
                planned,
                self.id,
                self.state_dir / planned.name,
                f"{self.management}.{planned.index}",
            )
            self.routers[planned.name] = router
            router.write_files(frr_conf(self.plan, planned, str(router.directory / "frr.log")))
            host.run("ip", "netns", "add", router.namespace)
            router.ip("link", "set", "lo", "up")
            host.run(
                "ip", "netns", "exec", router.namespace, "sysctl", "-qw", "net.ipv4.ip_forward=1"
            )
            host.run(
                "ip", "-n", router.namespace, "link", "add", "mgmt0", "type", "veth",
                "peer", "name", planned.name, "netns", mgmt,
            )  # fmt: skip
            host.run("ip", "-n", mgmt, "link", "set", planned.name, "master", "br0", "up")
            router.ip("addr", "add", f"{router.address}/24", "dev", "mgmt0")
            router.ip("link", "set", "mgmt0", "up")
        for a, a_if, b, b_if in self.plan.cables():
            ra, rb = self.routers[a], self.routers[b]
            host.run(
                "ip", "-n", ra.namespace, "link", "add", a_if, "type", "veth",
                "peer", "name", b_if, "netns", rb.namespace,
            )  # fmt: skip
            ra.ip("link", "set", a_if, "up")
            rb.ip("link", "set", b_if, "up")
        with ThreadPoolExecutor(min(8, len(self.routers))) as pool:
            list(pool.map(self._start_router, self.routers.values()))
        if self.syslog is not None:
            self.start_syslog(self.syslog)

    def _start_router(self, router: Router) -> None:
        router.start_frr()
        router.start_sshd()
        if self.lldp:
            router.start_lldpd()
            router.configure_lldpd()
        router.wait_ssh(time.monotonic() + 30)

    def start_syslog(self, target: tuple[str, int]) -> None:
        """Send every router's log to ``target`` (from the router's namespace, unless the
        target is on the host's loopback, which only the host's namespace reaches)."""
        if self.relay is not None:
            self.relay.stop()
        loopback = target[0].startswith("127.") or target[0] in ("localhost", "::1")
        sources = [
            Source(r.name, None if loopback else r.namespace, r.directory / "frr.log")
            for r in self.routers.values()
        ]
        self.syslog = target
        self.relay = SyslogRelay(target, sources)
        self.relay.start()

    # -- while up ------------------------------------------------------------------------
    def wait_converged(self, timeout: float = 60.0) -> bool:
        """True once every OSPF adjacency of the plan is Full, every BGP session up, every
        router has a route to the loopback of every router it can reach and (with lldpd)
        every router sees a neighbour on each of its cables."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(self._converged(router) for router in self.routers.values()):
                return True
            time.sleep(0.5)
        return False

    def _converged(self, router: Router) -> bool:
        wanted = len(router.plan.interfaces)
        if self.lldp and router.lldp_neighbors() < wanted:
            return False
        if self.plan.ospf:
            answer = router.vtysh("show ip ospf neighbor json").stdout
            try:
                neighbors = json.loads(answer or "{}").get("neighbors", {})
            except ValueError:
                return False
            full = sum(
                1 for entries in neighbors.values() for entry in entries
                if str(entry.get("nbrState", entry.get("state", ""))).startswith("Full")
            )  # fmt: skip
            if full < wanted:
                return False
        if self.plan.bgp and wanted:
            answer = router.vtysh("show bgp ipv4 unicast summary json").stdout
            try:
                peers = json.loads(answer or "{}").get("peers", {})
            except ValueError:
                return False
            if sum(1 for peer in peers.values() if peer.get("state") == "Established") < wanted:
                return False
        if self.plan.ospf or self.plan.bgp:  # adjacencies up is not routes computed yet
            answer = router.vtysh("show ip route json").stdout
            try:
                routes = json.loads(answer or "{}")
            except ValueError:
                return False
            if not self._reachable_loopbacks(router.name) <= set(routes):
                return False
        return True

    def _reachable_loopbacks(self, name: str) -> set[str]:
        """The loopbacks of the routers cabled to ``name``, directly or through others."""
        seen, todo = {name}, [name]
        while todo:
            for interface in self.plan.router(todo.pop()).interfaces:
                if interface.peer_router not in seen:
                    seen.add(interface.peer_router)
                    todo.append(interface.peer_router)
        return {self.plan.router(other).loopback for other in seen - {name}}

    def router(self, name: str) -> Router:
        return self.routers[name]

    def rss_mib(self) -> float:
        return sum(router.rss_kib() for router in self.routers.values()) / 1024

    def devices(self) -> list[dict[str, Any]]:
        """The manifest's devices: one per router, logged in as the vtysh user."""
        found = []
        for router in self.routers.values():
            planned = router.plan
            found.append(
                {
                    "name": router.name,
                    "platform": PLATFORM,
                    "host": router.address,
                    "port": 22,
                    "username": host.VTYSH_USER,
                    "password": self.password,
                    "shell_username": host.SHELL_USER,
                    "vendor": "FRRouting",
                    "model": "FRR in a network namespace",
                    "os_version": "8.4",
                    "site": planned.site,
                    "lat": planned.lat,
                    "lon": planned.lon,
                    "loopback": planned.loopback,
                    "asn": planned.asn,
                    "namespace": router.namespace,
                }
            )
        return found

    def links(self) -> list[dict[str, str]]:
        return [
            {"source": a, "source_interface": a_if, "destination": b, "destination_interface": b_if}
            for a, a_if, b, b_if in self.plan.cables()
        ]

    def write_manifest(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(path.suffix + ".tmp")
        payload = {
            "kind": "netlab",
            "id": self.id,
            "host_address": self.host_address,
            "devices": self.devices(),
            "links": self.links(),
        }
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(json.dumps(payload, indent=1))
        os.replace(temporary, path)

    # -- down ----------------------------------------------------------------------------
    def down(self) -> None:
        if self.relay is not None:
            self.relay.stop()
            self.relay = None
        for router in self.routers.values():
            router.stop()
        host.remove_lab(self.id)
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self) -> RealLab:
        return self.up()

    def __exit__(self, *_: object) -> None:
        self.down()


def reachable(address: str, port: int = 22, timeout: float = 1.0) -> bool:
    with socket.socket() as probe:
        probe.settimeout(timeout)
        return probe.connect_ex((address, port)) == 0

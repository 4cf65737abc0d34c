"""What a real lab is: FRR routers and the cables between them, read from a small YAML file
(or built in: a ring plus a spoke), and the address plan that gives every interface its
address from 198.18.0.0/15 (RFC 2544's benchmarking range, never routed on the Internet).

    name: core
    routers:
      - {name: r1, asn: 65001}
      - {name: r2, asn: 65002}
    links:
      - {a: r1, b: r2, cost: 10}
    protocols: {ospf: true, bgp: true}

Interfaces are named ``eth1``, ``eth2``... on each router in the order its links are listed
(or as ``a: r1:eth3``). Each link is a /31 from 198.18.0.0/16, each router's loopback a /32
from 198.18.255.0/24; the management network (the host's way in) is one /24 of 198.19.0.0/16
per running lab."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

NAME = re.compile(r"^[a-z][a-z0-9-]{0,11}\Z")
INTERFACE = re.compile(r"^eth[1-9][0-9]{0,2}\Z")
LINK_NETWORKS = ipaddress.IPv4Network("198.18.0.0/17")  # up to 16,384 /31 links
LOOPBACKS = ipaddress.IPv4Network("198.18.255.0/24")
MAX_ROUTERS = 200


class TopologyError(ValueError):
    """A topology file that cannot be built; the message names the field."""


class RouterSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    asn: int | None = Field(default=None, ge=1, le=4_294_967_294)
    site: str = ""
    lat: float | None = None
    lon: float | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError("1-12 lower-case letters, digits or '-', starting with a letter")
        return value


class LinkSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    a: str
    b: str
    cost: int = Field(default=10, ge=1, le=65535)


class Protocols(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ospf: bool = True
    bgp: bool = True


class Topology(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = "netlab"
    routers: list[RouterSpec] = Field(min_length=1, max_length=MAX_ROUTERS)
    links: list[LinkSpec] = Field(default_factory=list, max_length=2000)
    protocols: Protocols = Field(default_factory=Protocols)

    @model_validator(mode="after")
    def _unique(self) -> Topology:
        seen: set[str] = set()
        for index, router in enumerate(self.routers):
            if router.name in seen or router.name == "mgmt":
                raise ValueError(
                    f"routers[{index}].name: {router.name!r} is used twice or reserved"
                )
            seen.add(router.name)
        return self


@dataclass
class Interface:
    name: str
    address: str  # with prefix length, e.g. 198.18.0.0/31
    peer_router: str
    peer_interface: str
    peer_address: str
    cost: int


@dataclass
class PlannedRouter:
    name: str
    index: int  # 1-based: the management address's last byte
    asn: int
    router_id: str
    loopback: str
    interfaces: list[Interface] = field(default_factory=list)
    site: str = ""
    lat: float | None = None
    lon: float | None = None


@dataclass
class Plan:
    name: str
    routers: list[PlannedRouter]
    ospf: bool
    bgp: bool

    def router(self, name: str) -> PlannedRouter:
        for router in self.routers:
            if router.name == name:
                return router
        raise KeyError(name)

    def cables(self) -> list[tuple[str, str, str, str]]:
        """(router, interface, peer router, peer interface), once per cable."""
        found = []
        for router in self.routers:
            for interface in router.interfaces:
                if (router.name, interface.name) < (
                    interface.peer_router,
                    interface.peer_interface,
                ):
                    found.append(
                        (
                            router.name,
                            interface.name,
                            interface.peer_router,
                            interface.peer_interface,
                        )
                    )
        return found


def ring(count: int, spoke: bool = True) -> Topology:
    """``count`` routers ``r1..rN`` in a ring (a line of two when count is 2), plus a spoke
    router ``s1`` hanging off r1 when ``spoke``."""
    if count < 1 or count + int(spoke) > MAX_ROUTERS:
        raise TopologyError(f"routers: between 1 and {MAX_ROUTERS - int(spoke)} in a ring")
    routers = [RouterSpec(name=f"r{i}", asn=65000 + i) for i in range(1, count + 1)]
    links = [LinkSpec(a=f"r{i}", b=f"r{i % count + 1}") for i in range(1, count + 1)]
    if count == 2:
        links = links[:1]
    elif count == 1:
        links = []
    if spoke:
        routers.append(RouterSpec(name="s1", asn=65100))
        links.append(LinkSpec(a="s1", b="r1"))
    return Topology(name=f"ring{count}", routers=routers, links=links)


def load(source: str | Path) -> Topology:
    """A topology file (YAML), or ``ring:N`` / ``ring:N:nospoke`` for the built-in one."""
    text = str(source)
    if text.startswith("ring:"):
        parts = text.split(":")
        if not parts[1].isdigit() or parts[2:] not in ([], ["nospoke"]):
            raise TopologyError(f"topology: ring:N or ring:N:nospoke, not {text!r}")
        return ring(int(parts[1]), spoke=parts[2:] != ["nospoke"])
    path = Path(text)
    try:
        data: Any = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise TopologyError(f"topology: cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise TopologyError(f"topology: {path} is not YAML: {exc}") from exc
    try:
        return Topology.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "topology"
        raise TopologyError(f"{where}: {first['msg']}") from exc


def _end(text: str, index: int, side: str, names: set[str]) -> tuple[str, str | None]:
    router, _, interface = text.partition(":")
    if router not in names:
        raise TopologyError(f"links[{index}].{side}: no router {router!r}")
    if interface and not INTERFACE.match(interface):
        raise TopologyError(f"links[{index}].{side}: interface {interface!r} is not ethN")
    return router, interface or None


def plan(topology: Topology) -> Plan:
    """Every router's interfaces and addresses."""
    names = {router.name for router in topology.routers}
    routers = {
        spec.name: PlannedRouter(
            name=spec.name,
            index=index,
            asn=spec.asn or 65000 + index,
            router_id=str(LOOPBACKS[index]),
            loopback=f"{LOOPBACKS[index]}/32",
            site=spec.site,
            lat=spec.lat,
            lon=spec.lon,
        )
        for index, spec in enumerate(topology.routers, start=1)
    }
    used: dict[str, set[str]] = {name: set() for name in names}
    subnets = LINK_NETWORKS.subnets(new_prefix=31)
    ends: list[tuple[LinkSpec, str, str, str, str]] = []
    for index, link in enumerate(topology.links):
        a, a_if = _end(link.a, index, "a", names)
        b, b_if = _end(link.b, index, "b", names)
        if a == b:
            raise TopologyError(f"links[{index}]: a router cannot be cabled to itself")
        for router_name, interface, side in ((a, a_if, "a"), (b, b_if, "b")):
            if interface is not None:
                if interface in used[router_name]:
                    raise TopologyError(
                        f"links[{index}].{side}: {router_name}:{interface} is cabled twice"
                    )
                used[router_name].add(interface)
        ends.append((link, a, a_if or "", b, b_if or ""))
    for link, a, a_if, b, b_if in ends:
        a_if = a_if or _next_free(used[a])
        b_if = b_if or _next_free(used[b])
        network: ipaddress.IPv4Network = next(subnets)
        a_addr, b_addr = network.network_address, network.broadcast_address
        routers[a].interfaces.append(
            Interface(a_if, f"{a_addr}/31", b, b_if, str(b_addr), link.cost)
        )
        routers[b].interfaces.append(
            Interface(b_if, f"{b_addr}/31", a, a_if, str(a_addr), link.cost)
        )
    return Plan(
        topology.name, list(routers.values()), topology.protocols.ospf, topology.protocols.bgp
    )


def _next_free(used: set[str]) -> str:
    number = 1
    while f"eth{number}" in used:
        number += 1
    used.add(f"eth{number}")
    return f"eth{number}"

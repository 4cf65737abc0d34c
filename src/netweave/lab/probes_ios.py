"""IOS ``ping`` and ``traceroute`` on the lab's network, worded as IOS prints them (and as
NAPALM's ios driver parses them in ``ping()`` and ``traceroute()``).

The network is deterministic: a destination answers when it is an address of an up
interface of any lab device (its own included), an address the lab listens on, or a next
hop of this device's static routes (the lab's gateway). Nothing else answers: a ping
prints ``.`` and a 0 percent success rate, a traceroute reaches the gateway and then only
``*``. Paths: an address on one of this device's connected subnets is one hop away; any
other lab address is two (the gateway, then the destination)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from netweave.lab.cli_common import Reply, Stream
from netweave.lab.config_ios import IosConfig
from netweave.lab.interface_names import resolve_interface
from netweave.lab.interfaces import InterfaceView, ios_interfaces
from netweave.lab.platforms import PlatformProfile

Reachable = Callable[[str], bool]
PING_INTERVAL = 0.1  # seconds between the echoes of a streamed ping (answered or not)
PING_LINE = 70  # IOS wraps the "!" of a long ping at 70 per line
INVALID = "% Invalid input detected at '^' marker.\n\n"
UNKNOWN_HOST = "% Unrecognized host or address, or protocol not running.\n\n"
_PING_BOUNDS = {"repeat": (1, 2_147_483_647), "size": (36, 18024), "timeout": (0, 3600)}
_TRACE_BOUNDS = {"timeout": (0, 3600), "probe": (1, 65535), "port": (1, 65535)}


@dataclass
class Probe:
    """A parsed ``ping``/``traceroute`` command line."""

    target: str
    vrf: str | None = None
    count: int = 5
    size: int = 100
    timeout: int = 2
    source: str | None = None
    max_ttl: int = 30
    streamed: bool = False  # ``repeat`` given: echoes written over time


def _number(words: list[str], position: int, low: int, high: int) -> int | None:
    try:
        value = int(words[position])
    except (IndexError, ValueError):
        return None
    return value if low <= value <= high else None


def parse(args: list[str], traceroute: bool) -> Probe | Reply:
    """``[vrf NAME] TARGET [keyword value]...``; a Reply when the line is wrong."""
    words = list(args)
    vrf = None
    if words[:1] and words[0].lower() == "vrf":
        if len(words) < 2:
            return Reply("% Incomplete command.\n\n")
        vrf, words = words[1], words[2:]
    if not words:
        return Reply("% Incomplete command.\n\n")
    probe = Probe(target=words[0], vrf=vrf)
    bounds = _TRACE_BOUNDS if traceroute else _PING_BOUNDS
    position = 1
    while position < len(words):
        keyword = words[position].lower()
        if keyword == "source" and position + 1 < len(words):
            probe.source = words[position + 1]
            position += 2
        elif traceroute and keyword == "ttl":
            low = _number(words, position + 1, 0, 255)
            high = _number(words, position + 2, 1, 255)
            if low is None or high is None:
                return Reply(INVALID)
            probe.max_ttl = high
            position += 3
        elif traceroute and keyword == "numeric":
            position += 1
        elif keyword in bounds:
            value = _number(words, position + 1, *bounds[keyword])
            if value is None:
                return Reply(INVALID)
            if keyword == "repeat":
                probe.count, probe.streamed = value, True
            elif keyword == "size":
                probe.size = value
            elif keyword == "timeout":
                probe.timeout = value
            position += 2
        else:
            return Reply(INVALID)
    return probe


class Network:
    """What one device sees of the lab's network."""

    def __init__(
        self, profile: PlatformProfile, config: IosConfig, index: int, reachable: Reachable
    ) -> None:
        self.profile = profile
        self.config = config
        self.interfaces = ios_interfaces(config, index)
        self.reachable = reachable

    def up(self) -> list[InterfaceView]:
        return [v for v in self.interfaces if v.enabled and v.address]

    def gateways(self) -> list[str]:
        """Next hops of the static routes, the default route's first."""
        hops: list[str] = []
        for block in self.config.blocks:
            words = block.header.split()
            if words[:2] != ["ip", "route"] or len(words) < 4:
                continue
            hop = words[3] if "/" in words[2] else words[4] if len(words) > 4 else ""
            if _address(hop) is None:
                continue
            if words[2].startswith("0.0.0.0"):
                hops.insert(0, hop)
            else:
                hops.append(hop)
        return hops

    def answers(self, target: str) -> bool:
        return (
            any(v.address == target for v in self.up())
            or target in self.gateways()
            or self.reachable(target)
        )

    def connected(self, target: str) -> bool:
        address = ipaddress.IPv4Address(target)
        for view in self.up():
            if view.prefix is not None and view.prefix < 32:
                network = ipaddress.IPv4Network(f"{view.address}/{view.prefix}", strict=False)
                if address in network:
                    return True
        return any(v.address == target for v in self.up())

    def source_address(self, source: str | None) -> str | Reply | None:
        """The address ``source`` (an address or an interface name) stands for."""
        if source is None:
            return None
        if _address(source) is not None:
            if any(v.address == source for v in self.up()):
                return source
            return Reply("% Invalid source address- IP address not on any of our up interfaces\n")
        found = resolve_interface(source, self.profile).name
        view = next((v for v in self.interfaces if v.name == found), None)
        if view is None:
            return Reply(INVALID)
        if not view.enabled or not view.address:
            return Reply(f"% Invalid source interface - {view.name} is down or has no address\n")
        return view.address

    def vrf_error(self, vrf: str | None) -> Reply | None:
        if vrf is None:
            return None
        if self.config.find(f"vrf definition {vrf}") or self.config.find(f"ip vrf {vrf}"):
            return None
        return Reply(f"% VRF {vrf} not configured\n")


def _address(text: str) -> ipaddress.IPv4Address | None:
    try:
        return ipaddress.IPv4Address(text)
    except ValueError:
        return None


def _prepare(
    network: Network, args: list[str], *, traceroute: bool
) -> tuple[Probe, str | None] | Reply:
    """The parsed probe and its source address, or the error the device answers (a bad
    argument, an unknown host, an unknown VRF or source interface)."""
    probe = parse(args, traceroute=traceroute)
    if isinstance(probe, Reply):
        return probe
    if _address(probe.target) is None:
        return Reply(UNKNOWN_HOST)
    refused = network.vrf_error(probe.vrf)
    if refused is not None:
        return refused
    source = network.source_address(probe.source)
    if isinstance(source, Reply):
        return source
    return probe, source


def ping(network: Network, args: list[str]) -> Reply:
    """``ping [vrf V] TARGET [repeat N] [size S] [timeout T] [source X]``: with ``repeat``
    one ``!`` (or ``.``) per echo, ``PING_INTERVAL`` apart, until done or interrupted."""
    prepared = _prepare(network, args, traceroute=False)
    if isinstance(prepared, Reply):
        return prepared
    probe, source = prepared
    answered = network.answers(probe.target)
    mark = "!" if answered else "."
    head = (
        "Type escape sequence to abort.\n"
        f"Sending {probe.count}, {probe.size}-byte ICMP Echos to {probe.target}, "
        f"timeout is {probe.timeout} seconds:\n"
    )
    if source is not None:
        head += f"Packet sent with a source address of {source} \n"

    def summary(sent: int) -> str:
        if not answered:
            return f"\nSuccess rate is 0 percent (0/{sent})\n"
        return f"\nSuccess rate is 100 percent ({sent}/{sent}), round-trip min/avg/max = 1/1/2 ms\n"

    if not probe.streamed:
        marks = "".join(mark + ("\n" if (n + 1) % PING_LINE == 0 else "") for n in range(5))
        return Reply(head + marks.rstrip("\n") + summary(probe.count))
    return Reply(
        head,
        stream=Stream(
            count=probe.count,
            chunk=lambda n: mark + ("\n" if (n + 1) % PING_LINE == 0 else ""),
            interval=PING_INTERVAL,
            done=summary(probe.count),
            interrupted=summary,
        ),
    )


def traceroute(network: Network, args: list[str]) -> Reply:
    """``traceroute [vrf V] TARGET [source X] [ttl MIN MAX] [timeout T] ...``: the gateway,
    then the destination; ``*`` up to the maximum TTL when it does not answer."""
    prepared = _prepare(network, args, traceroute=True)
    if isinstance(prepared, Reply):
        return prepared
    probe, _ = prepared  # traceroute checks the source and does not print it
    if network.connected(probe.target):
        hops = [probe.target] if network.answers(probe.target) else []
    else:
        gateways = network.gateways()[:1]
        hops = gateways + ([probe.target] if network.answers(probe.target) else [])
    lines = [
        "Type escape sequence to abort.",
        f"Tracing the route to {probe.target}",
        "VRF info: (vrf in name/id, vrf out name/id)",
    ]
    hops = hops[: probe.max_ttl]
    for number, hop in enumerate(hops, start=1):
        lines.append(f"  {number} {hop} {number} msec {number} msec {number + 1} msec")
    if not hops or hops[-1] != probe.target:
        for number in range(len(hops) + 1, probe.max_ttl + 1):
            lines.append(f"  {number}  *  *  * ")
    return Reply("\n".join(lines) + "\n")

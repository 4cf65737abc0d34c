"""Juniper Junos: set-style candidate/committed configuration and operational outputs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from netweave.lab.platforms import (
    PlatformProfile,
    interface_address,
    loopback_ip,
    mac_address,
    serial_number,
)


@dataclass
class JunosInterface:
    name: str
    description: str
    address: str | None
    enabled: bool
    mac: str


class JunosConfig:
    """Committed and candidate configuration, both as ordered ``set`` lines."""

    def __init__(self, profile: PlatformProfile, hostname: str, index: int) -> None:
        lines = [f"set system host-name {hostname}", "set system services ssh"]
        for port, name in enumerate(profile.interfaces):
            address, length = interface_address(index, port)
            lines.append(f'set interfaces {name} description "lab link {port}"')
            lines.append(f"set interfaces {name} unit 0 family inet address {address}/{length}")
        lines.append(f"set interfaces lo0 unit 0 family inet address {loopback_ip(index)}/32")
        lines.append("set routing-options static route 0.0.0.0/0 next-hop 10.1.0.254")
        self.committed: list[str] = lines
        self.candidate: list[str] = list(lines)

    @property
    def hostname(self) -> str:
        for line in self.committed:
            if line.startswith("set system host-name "):
                return line.split()[-1]
        return "router"

    @property
    def dirty(self) -> bool:
        return self.candidate != self.committed

    def set(self, path: str) -> None:
        line = f"set {path}"
        words = split_words(path)
        if words[:2] == ["system", "host-name"]:
            self.candidate = [c for c in self.candidate if not c.startswith("set system host-name")]
        if words[-2:-1] == ["description"] or (len(words) > 2 and words[-2] == "description"):
            prefix = "set " + " ".join(words[: words.index("description") + 1])
            self.candidate = [c for c in self.candidate if not c.startswith(prefix)]
        if line not in self.candidate:
            self.candidate.append(line)

    def delete(self, path: str) -> int:
        prefix = f"set {path}"
        before = len(self.candidate)
        self.candidate = [
            c for c in self.candidate if not (c == prefix or c.startswith(prefix + " "))
        ]
        return before - len(self.candidate)

    def commit(self) -> None:
        self.committed = list(self.candidate)

    def rollback(self) -> None:
        self.candidate = list(self.committed)

    def render(self, lines: list[str] | None = None, display_set: bool = False) -> str:
        source = self.committed if lines is None else lines
        if display_set:
            return "\n".join(source) + "\n"
        tree: dict[str, Any] = {}
        for line in source:
            node = tree
            for word in split_words(line[4:]):
                node = node.setdefault(word, {})
        out: list[str] = []
        _render_tree(tree, 0, out)
        return "\n".join(out) + "\n"

    def compare(self) -> str:
        removed = [f"-  {c[4:]}" for c in self.committed if c not in self.candidate]
        added = [f"+  {c[4:]}" for c in self.candidate if c not in self.committed]
        if not removed and not added:
            return ""
        return "[edit]\n" + "\n".join(removed + added) + "\n"

    def interfaces(self, index: int, profile: PlatformProfile) -> list[JunosInterface]:
        result = []
        for port, name in enumerate(profile.interfaces):
            description, address, enabled = "", None, True
            for line in self.committed:
                words = split_words(line)
                if words[1:3] != ["interfaces", name]:
                    continue
                if len(words) >= 5 and words[3] == "description":
                    description = words[4].strip('"')
                elif words[3:4] == ["disable"]:
                    enabled = False
                elif "address" in words:
                    address = words[words.index("address") + 1]
            result.append(
                JunosInterface(name, description, address, enabled, mac_address(index, port))
            )
        return result


def split_words(text: str) -> list[str]:
    """Words of a ``set`` path; a quoted string stays one word."""
    words: list[str] = []
    current = ""
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
            current += char
        elif char == " " and not quoted:
            if current:
                words.append(current)
            current = ""
        else:
            current += char
    if current:
        words.append(current)
    return words


def _render_tree(node: dict[str, Any], depth: int, out: list[str]) -> None:
    pad = "    " * depth
    for key, child in node.items():
        if not child:
            out.append(f"{pad}{key};")
        elif len(child) == 1 and not next(iter(child.values())):
            out.append(f"{pad}{key} {next(iter(child))};")
        else:
            out.append(f"{pad}{key} {{")
            _render_tree(child, depth + 1, out)
            out.append(f"{pad}}}")


def show_version(profile: PlatformProfile, config: JunosConfig) -> str:
    return (
        f"Hostname: {config.hostname}\n"
        f"Model: {profile.model}\n"
        f"Junos: {profile.os_version}\n"
        f"JUNOS OS Kernel 64-bit  [20230403.1f7bbc4_builder_stable_12]\n"
        f"JUNOS OS libs [20230403.1f7bbc4_builder_stable_12]\n"
        f"JUNOS OS runtime [20230403.1f7bbc4_builder_stable_12]\n"
    )


def show_interfaces(profile: PlatformProfile, config: JunosConfig, index: int, terse: bool) -> str:
    views = config.interfaces(index, profile)
    if terse:
        out = ["Interface               Admin Link Proto    Local                 Remote"]
        for view in views:
            admin = "up" if view.enabled else "down"
            link = "up" if view.enabled else "down"
            out.append(f"{view.name:<24}{admin:<6}{link:<5}")
            if view.address:
                out.append(f"{view.name + '.0':<24}{admin:<6}{link:<5}inet     {view.address}")
        return "\n".join(out) + "\n"
    out = []
    for number, view in enumerate(views):
        admin = "Enabled" if view.enabled else "Administratively down"
        link = "Up" if view.enabled else "Down"
        mac = str(view.mac).replace(".", "")
        colon = ":".join(mac[i : i + 2] for i in range(0, 12, 2))
        out += [
            f"Physical interface: {view.name}, {admin}, Physical link is {link}",
            f"  Interface index: {148 + number}, SNMP ifIndex: {526 + number}",
        ]
        if view.description:
            out.append(f"  Description: {view.description}")
        out += [
            "  Link-level type: Ethernet, MTU: 1514, Speed: 1000mbps, Loopback: Disabled, "
            "Source filtering: Disabled, Flow control: Enabled",
            "  Device flags   : Present Running",
            "  Interface flags: SNMP-Traps Internal: 0x4000",
            "  Link flags     : None",
            "  CoS queues     : 8 supported, 8 maximum usable queues",
            f"  Current address: {colon}, Hardware address: {colon}",
            "  Last flapped   : 2026-01-01 00:00:00 UTC (1w2d 03:04 ago)",
            "  Input rate     : 0 bps (0 pps)",
            "  Output rate    : 0 bps (0 pps)",
            "  Active alarms  : None",
            "  Active defects : None",
            "",
        ]
        if view.address:
            address = str(view.address)
            local = address.split("/")[0]
            network = ".".join(local.split(".")[:3]) + ".0/" + address.split("/")[1]
            out += [
                f"  Logical interface {view.name}.0 (Index {333 + number}) "
                f"(SNMP ifIndex {527 + number})",
                f"    Flags: {link} SNMP-Traps 0x4000 Encapsulation: ENET2",
                "    Input packets : 100",
                "    Output packets: 100",
                "    Protocol inet, MTU: 1500",
                "      Flags: Sendbcast-pkt-to-re",
                "      Addresses, Flags: Is-Preferred Is-Primary",
                f"        Destination: {network}, Local: {local}, "
                f"Broadcast: {local.rsplit('.', 1)[0]}.255",
                "",
            ]
    return "\n".join(out) + "\n"


def show_route(profile: PlatformProfile, config: JunosConfig, index: int) -> str:
    out = [
        "",
        "inet.0: 6 destinations, 6 routes (6 active, 0 holddown, 0 hidden)",
        "+ = Active Route, - = Last Active, * = Both",
        "",
    ]
    for line in config.committed:
        words = line.split()
        if words[1:4] == ["routing-options", "static", "route"] and "next-hop" in words:
            out.append(f"{words[4]:<19}*[Static/5] 1w2d 03:04:05")
            out.append(
                f"                    >  to {words[words.index('next-hop') + 1]} via ge-0/0/0.0"
            )
    for view in config.interfaces(index, profile):
        if view.address and view.enabled:
            local, length = str(view.address).split("/")
            network = ".".join(local.split(".")[:3]) + f".0/{length}"
            out.append(f"{network:<19}*[Direct/0] 1w2d 03:04:05")
            out.append(f"                    >  via {view.name}.0")
            out.append(f"{local + '/32':<19}*[Local/0] 1w2d 03:04:05")
            out.append(f"                       Local via {view.name}.0")
    return "\n".join(out) + "\n"


def show_system_uptime(boot: datetime) -> str:
    now = datetime.now(UTC)
    return (
        f"Current time: {now:%Y-%m-%d %H:%M:%S} UTC\nSystem booted: {boot:%Y-%m-%d %H:%M:%S} UTC\n"
    )


def show_chassis_hardware(profile: PlatformProfile, index: int) -> str:
    return (
        "Hardware inventory:\n"
        "Item             Version  Part number  Serial number     Description\n"
        f"Chassis                                {serial_number(profile.name, index):<18}{profile.model.upper()}\n"
    )

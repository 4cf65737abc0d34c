"""What IOS/EOS configuration modes accept: the keywords of each mode and the values their
commands take (interface names of the modelled hardware, VLAN ids, IPv4 addresses and
masks, AS and process numbers). A rejected line raises :class:`ConfigError`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from netweave.lab import config_values as values
from netweave.lab.config_ios import (
    SECTION_KEYWORDS,
    TOP_LEVEL_KEYWORDS,
    ConfigError,
    section_mode,
)
from netweave.lab.interface_names import resolve_interface
from netweave.lab.platforms import PlatformProfile

if TYPE_CHECKING:
    from netweave.lab.config_ios import IosConfig

_COMMON_CHILD = {"no": 2, "default": 2, "exit": 1, "end": 1, "do": 2}
# Keywords of each sub-mode (with the minimum word count); anything else falls through to
# global configuration, as on the real platforms.
MODE_KEYWORDS: dict[str, dict[str, int]] = {
    "config-if": {
        **_COMMON_CHILD,
        "description": 2,
        "ip": 2,
        "ipv6": 2,
        "shutdown": 1,
        "switchport": 1,
        "mtu": 2,
        "speed": 2,
        "duplex": 2,
        "bandwidth": 2,
        "encapsulation": 2,
        "channel-group": 2,
        "spanning-tree": 2,
        "vrf": 2,
        "standby": 3,
        "vrrp": 3,
        "load-interval": 2,
        "cdp": 2,
        "lldp": 2,
        "negotiation": 2,
        "keepalive": 1,
        "service-policy": 3,
        "storm-control": 3,
    },
    "config-vlan": {**_COMMON_CHILD, "name": 2, "state": 2, "shutdown": 1, "trunk": 3},
    "config-router": {
        **_COMMON_CHILD,
        "network": 2,
        "neighbor": 3,
        "router-id": 2,
        "bgp": 2,
        "redistribute": 2,
        "passive-interface": 2,
        "address-family": 2,
        "exit-address-family": 1,
        "maximum-paths": 2,
        "area": 3,
        "timers": 3,
        "default-information": 2,
        "log-adjacency-changes": 1,
        "auto-summary": 1,
        "distance": 2,
        "synchronization": 1,
        "shutdown": 1,
    },
    "config-line": {
        **_COMMON_CHILD,
        "exec-timeout": 2,
        "transport": 3,
        "login": 1,
        "password": 2,
        "logging": 2,
        "privilege": 3,
        "access-class": 3,
        "length": 2,
        "width": 2,
    },
    "config-vrf": {
        **_COMMON_CHILD,
        "rd": 2,
        "route-target": 3,
        "address-family": 2,
        "description": 2,
    },
    "config-route-map": {
        **_COMMON_CHILD,
        "match": 2,
        "set": 2,
        "description": 2,
        "continue": 1,
    },
    "config-acl": {**_COMMON_CHILD, "permit": 2, "deny": 2, "remark": 2},
}
# Global lines whose first word is also a sub-mode keyword (``ip`` in config-if).
_GLOBAL_IP = ("ip route", "ip domain", "ip vrf ", "ip access-list", "ip scp", "ip name-server")
SECTION_FIRST_WORDS = {keyword.split()[0] for keyword in SECTION_KEYWORDS}
IOS_ROUTING_PROTOCOLS = ("bgp", "ospf", "ospfv3", "eigrp", "rip", "isis")
EOS_ROUTING_PROTOCOLS = ("bgp", "ospf", "ospfv3", "isis", "rip", "pim", "multicast")
_VLAN_GLOBAL_KEYWORDS = ("internal", "dot1q", "access-map", "filter", "group", "accounting")


def is_child_line(line: str, mode: str) -> bool:
    """Does ``line`` belong to the current sub-mode (else it is tried as a global line)?"""
    words = line.split()
    first = words[0]
    if first in ("no", "default") and len(words) > 1:
        first = words[1]
    table = MODE_KEYWORDS.get(mode, _COMMON_CHILD)
    if first in SECTION_FIRST_WORDS and first not in table:
        return False
    if first == "ip" and line.split(None, 1)[-1].startswith(_GLOBAL_IP):
        return False
    if line.startswith(_GLOBAL_IP):
        return False
    return first in table


def _check_words(words: list[str], table: dict[str, int]) -> None:
    key = words[0]
    if key not in table:
        raise ConfigError("invalid", token=0)
    if len(words) < table[key]:
        raise ConfigError("incomplete")
    if key in ("no", "default"):
        negated = words[1]
        known = set(table) | SECTION_FIRST_WORDS
        if negated not in known or negated in ("no", "default", "end", "exit"):
            raise ConfigError("invalid", token=1)


class Grammar:
    """The configuration grammar of one device (its profile decides names and formats)."""

    def __init__(self, profile: PlatformProfile) -> None:
        self.profile = profile
        self.eos = profile.family == "eos"

    # -- global configuration -----------------------------------------------------
    def check_global(self, line: str, config: IosConfig) -> str:
        """Validate a global-configuration line; returns it in canonical form."""
        words = line.split()
        negated = words[0] in ("no", "default") and len(words) > 1
        offset = 1 if negated else 0
        if negated or section_mode(line) is None:
            _check_words(words, TOP_LEVEL_KEYWORDS)
        head, args = words[offset], words[offset + 1 :]
        if head == "interface":
            if not args:
                raise ConfigError("incomplete")
            return " ".join([*words[:offset], "interface", self.interface(args, offset + 1)])
        if negated:
            return line
        if head == "vlan":
            self._check_vlan(args, 1)
        elif head == "router":
            self._check_router(args, config)
        elif words[:2] == ["ip", "route"]:
            self._check_ip_route(words[2:], 2)
        return line

    def interface(self, args: list[str], token: int) -> str:
        """The canonical name of ``args`` (``Gi0/1`` or ``GigabitEthernet 0/1``)."""
        text = args[0]
        joined = 1
        if text.lower() == "range":
            raise ConfigError("invalid", token=token)  # not modelled: refused, never half-done
        if len(args) > 1 and text.replace("-", "").isalpha() and args[1][:1].isdigit():
            text, joined = args[0] + args[1], 2  # "interface gigabitEthernet 0/1"
        if len(args) > joined:
            raise ConfigError("invalid", token=token + joined)
        found = resolve_interface(text, self.profile)
        if found.name is not None:
            return found.name
        if found.incomplete:
            raise ConfigError("incomplete")
        if joined == 2 and found.offset >= len(args[0]):
            raise ConfigError("invalid", token=token + 1, inner=found.offset - len(args[0]))
        raise ConfigError("invalid", token=token, inner=found.offset)

    def _check_vlan(self, args: list[str], token: int) -> None:
        if args[0][:1].isdigit():
            if values.vlan_ids(args[0]) is None:
                raise ConfigError("invalid", token=token)
            if len(args) > 1:
                raise ConfigError("invalid", token=token + 1)
        elif self.eos or args[0] not in _VLAN_GLOBAL_KEYWORDS:
            raise ConfigError("invalid", token=token)

    def _check_router(self, args: list[str], config: IosConfig) -> None:
        protocols = EOS_ROUTING_PROTOCOLS if self.eos else IOS_ROUTING_PROTOCOLS
        protocol = next((p for p in protocols if p.startswith(args[0].lower())), None)
        if protocol is None:
            raise ConfigError("invalid", token=1)
        rest = args[1:]
        if protocol == "bgp":
            if not rest:
                raise ConfigError("incomplete")
            asn = values.asn(rest[0])
            if asn is None or len(rest) > 1:
                raise ConfigError("invalid", token=2 if asn is None else 3)
            running = next(
                (b.header.split()[2] for b in config.blocks if b.header.startswith("router bgp ")),
                None,
            )
            if running is not None and values.asn(running) != asn:
                message = (
                    f"% BGP is already running; AS is {running}"
                    if not self.eos
                    else f"% BGP is already running with AS number {running}"
                )
                raise ConfigError("message", message=message)
        elif protocol in ("ospf", "ospfv3", "eigrp") and not (self.eos and protocol == "ospfv3"):
            if not rest:
                raise ConfigError("incomplete")
            low, high = values.OSPF_PROCESS_LOW, values.OSPF_PROCESS_HIGH
            if values.number(rest[0], low, high) is None:
                raise ConfigError("invalid", token=2)
            if len(rest) > 1 and rest[1] != "vrf":
                raise ConfigError("invalid", token=3)

    def _check_ip_route(self, args: list[str], token: int) -> None:
        """``ip route 10.0.0.0 255.0.0.0 192.0.2.1`` (EOS also ``10.0.0.0/8 192.0.2.1``)."""
        if not args:
            raise ConfigError("incomplete")
        if args[0] == "vrf":
            args, token = args[2:], token + 2
            if not args:
                raise ConfigError("incomplete")
        prefix = values.ipv4_prefix(args[0]) if self.eos and "/" in args[0] else None
        if prefix is not None:
            network, length = prefix
            rest, next_token = args[1:], token + 1
        else:
            network_value = values.ipv4(args[0])
            if network_value is None:
                raise ConfigError("invalid", token=token)
            if len(args) < 2:
                raise ConfigError("incomplete")
            mask = values.ipv4(args[1])
            length_or_none = values.mask_length(mask) if mask is not None else None
            if length_or_none is None:
                raise ConfigError("invalid", token=token + 1)
            network, length = network_value, length_or_none
            rest, next_token = args[2:], token + 2
        if network & ~values.prefix_mask(length) & 0xFFFFFFFF:
            if self.eos:
                raise ConfigError("invalid", token=token)
            raise ConfigError("message", message="%Inconsistent address and mask")
        if not rest:
            raise ConfigError("incomplete")
        hop = rest[0]
        if hop[:1].isdigit():
            if values.ipv4(hop) is None:
                raise ConfigError("invalid", token=next_token)
        elif hop != "Null0" and resolve_interface(hop, self.profile).name is None:
            raise ConfigError("invalid", token=next_token)

    # -- sub-modes ------------------------------------------------------------------
    def check_child(self, line: str, mode: str) -> str:
        words = line.split()
        _check_words(words, MODE_KEYWORDS.get(mode, _COMMON_CHILD))
        if words[0] in ("no", "default"):
            return line
        if mode == "config-if":
            if words[:2] == ["ip", "address"]:
                self._check_ip_address(words[2:], 2)
            elif words[0] == "switchport":
                self._check_switchport(words[1:])
            elif words[0] == "shutdown" and len(words) > 1:
                raise ConfigError("invalid", token=1)
        elif mode == "config-router" and words[0] == "neighbor":
            if words[2] == "remote-as" and (len(words) < 4 or values.asn(words[3]) is None):
                raise ConfigError("incomplete" if len(words) < 4 else "invalid", token=3)
        return line

    def _check_ip_address(self, args: list[str], token: int) -> None:
        if not args:
            raise ConfigError("incomplete")
        if args[0] in ("dhcp", "negotiated") and not self.eos:
            return
        if self.eos and "/" in args[0]:
            if values.ipv4_prefix(args[0]) is None:
                raise ConfigError("invalid", token=token)
            if len(args) > 1 and args[1] != "secondary":
                raise ConfigError("invalid", token=token + 1)
            return
        address = values.ipv4(args[0])
        if address is None:
            raise ConfigError("invalid", token=token)
        if len(args) < 2:
            raise ConfigError("incomplete")
        mask = values.ipv4(args[1])
        if mask is None:
            raise ConfigError("invalid", token=token + 1)
        if len(args) > 2 and args[2] != "secondary":
            raise ConfigError("invalid", token=token + 2)
        length = values.mask_length(mask)
        if length is None:
            if self.eos:
                raise ConfigError("invalid", token=token + 1)
            message = f"Bad mask 0x{mask:08X} for address {args[0]}"
            raise ConfigError("message", message=message)
        host = address & ~values.prefix_mask(length) & 0xFFFFFFFF
        if length < 31 and host in (0, ~values.prefix_mask(length) & 0xFFFFFFFF):
            if self.eos:
                raise ConfigError("invalid", token=token)
            raise ConfigError("message", message=f"% Bad mask /{length} for address {args[0]}")

    def _check_switchport(self, args: list[str]) -> None:
        """``switchport access vlan N`` / ``switchport trunk allowed vlan [add] LIST``."""
        if args[:2] == ["access", "vlan"]:
            if len(args) < 3:
                raise ConfigError("incomplete")
            if values.number(args[2], values.VLAN_LOW, values.VLAN_HIGH) is None:
                raise ConfigError("invalid", token=3)
        elif args[:3] == ["trunk", "native", "vlan"]:
            if len(args) < 4:
                raise ConfigError("incomplete")
            if values.number(args[3], values.VLAN_LOW, values.VLAN_HIGH) is None:
                raise ConfigError("invalid", token=4)
        elif args[:3] == ["trunk", "allowed", "vlan"]:
            rest, token = args[3:], 4
            if rest[:1] and rest[0] in ("add", "remove", "except"):
                rest, token = rest[1:], token + 1
            if not rest:
                raise ConfigError("incomplete")
            if rest[0] not in ("all", "none") and values.vlan_ids(rest[0]) is None:
                raise ConfigError("invalid", token=token)

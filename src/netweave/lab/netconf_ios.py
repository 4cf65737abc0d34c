"""The lab's IOS XE NETCONF datastores: ``Cisco-IOS-XE-native`` (the hostname) and
``ietf-interfaces``/``ietf-ip`` (description, enabled, IPv4 address) projected from the
device's running-config, which edits of running change at once; a candidate kept as XML
until it is committed. What these models do not cover is refused (``unknown-element``),
never silently dropped."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from netweave.lab import config_values as values
from netweave.lab.config_ios import Block, IosConfig
from netweave.lab.interface_names import resolve_interface
from netweave.lab.netconf_stores import (
    BASE_10,
    BASE_11,
    CANDIDATE,
    ROLLBACK_ON_ERROR,
    WRITABLE_RUNNING,
    Datastores,
    data_element,
    unknown,
)
from netweave.lab.netconf_xml import RpcError, child, children, local, namespace, text
from netweave.lab.platforms import PlatformProfile

IETF_IF = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
IETF_IP = "urn:ietf:params:xml:ns:yang:ietf-ip"
IANA_IFT = "urn:ietf:params:xml:ns:yang:iana-if-type"
IOS_NATIVE = "http://cisco.com/ns/yang/Cisco-IOS-XE-native"
CISCO_IA = "http://cisco.com/yang/cisco-ia"
_HOSTNAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,62})")
_TYPES = {"Loopback": "softwareLoopback", "Tunnel": "tunnel", "Vlan": "l2vlan"}
_TYPES["Port-channel"] = "ieee8023adLag"


@dataclass
class InterfaceSpec:
    description: str | None
    enabled: bool
    address: tuple[str, str] | None  # (ip, netmask)


def _set_child(block: Block, key: str, line: str | None) -> None:
    """Set (in place, keeping the order) or remove ``block``'s child that starts with
    ``key``."""
    at = next(
        (i for i, c in enumerate(block.children) if c == key or c.startswith(key + " ")), None
    )
    if line is None:
        block.children = [c for c in block.children if not (c == key or c.startswith(key + " "))]
    elif at is None:
        block.children.append(line)
    else:
        block.children[at] = line


class IosStore(Datastores):
    capabilities = (
        BASE_10,
        BASE_11,
        WRITABLE_RUNNING,
        CANDIDATE,
        ROLLBACK_ON_ERROR,
        f"{IETF_IF}?module=ietf-interfaces&revision=2014-05-08",
        f"{IETF_IP}?module=ietf-ip&revision=2014-06-16",
        f"{IOS_NATIVE}?module=Cisco-IOS-XE-native&revision=2021-03-01",
        f"{CISCO_IA}?module=cisco-ia&revision=2020-07-01",
    )
    writable_running = True

    def __init__(
        self, config: IosConfig, profile: PlatformProfile, save: Callable[[], None] | None = None
    ) -> None:
        self.config = config
        self.profile = profile
        self.save = save
        self.candidate: Any | None = None  # None: the candidate is the running config

    # -- reading --------------------------------------------------------------------------
    def read(self, name: str) -> Any:
        if name == "candidate" and self.candidate is not None:
            return copy.deepcopy(self.candidate)
        data = data_element()
        native = etree.SubElement(data, f"{{{IOS_NATIVE}}}native", nsmap={None: IOS_NATIVE})
        etree.SubElement(native, f"{{{IOS_NATIVE}}}hostname").text = self.config.hostname
        interfaces = etree.SubElement(data, f"{{{IETF_IF}}}interfaces", nsmap={None: IETF_IF})
        for block in self.config.interface_blocks():
            interfaces.append(self._interface(block))
        return data

    def _interface(self, block: Block) -> Any:
        name = block.header.split(" ", 1)[1]
        entry = etree.Element(f"{{{IETF_IF}}}interface")
        etree.SubElement(entry, f"{{{IETF_IF}}}name").text = name
        for line in block.children:
            if line.startswith("description "):
                etree.SubElement(entry, f"{{{IETF_IF}}}description").text = line[12:]
        kind = _TYPES.get(name.rstrip("0123456789/."), "ethernetCsmacd")
        type_ = etree.SubElement(entry, f"{{{IETF_IF}}}type", nsmap={"ianaift": IANA_IFT})
        type_.text = f"ianaift:{kind}"
        enabled = "shutdown" not in block.children
        etree.SubElement(entry, f"{{{IETF_IF}}}enabled").text = str(enabled).lower()
        for line in block.children:
            words = line.split()
            if words[:2] == ["ip", "address"] and len(words) == 4:
                ipv4 = etree.SubElement(entry, f"{{{IETF_IP}}}ipv4", nsmap={None: IETF_IP})
                address = etree.SubElement(ipv4, f"{{{IETF_IP}}}address")
                etree.SubElement(address, f"{{{IETF_IP}}}ip").text = words[2]
                etree.SubElement(address, f"{{{IETF_IP}}}netmask").text = words[3]
        return entry

    def state(self) -> list[Any]:
        root = etree.Element(f"{{{IETF_IF}}}interfaces-state", nsmap={None: IETF_IF})
        for block in self.config.interface_blocks():
            entry = etree.SubElement(root, f"{{{IETF_IF}}}interface")
            etree.SubElement(entry, f"{{{IETF_IF}}}name").text = block.header.split(" ", 1)[1]
            status = "down" if "shutdown" in block.children else "up"
            etree.SubElement(entry, f"{{{IETF_IF}}}admin-status").text = status
            etree.SubElement(entry, f"{{{IETF_IF}}}oper-status").text = status
        return [root]

    # -- writing --------------------------------------------------------------------------
    def write(self, name: str, data: Any) -> None:
        hostname, interfaces = self._desired(data)
        if name == "candidate":
            self.candidate = copy.deepcopy(data)
            return
        self._apply(hostname, interfaces)

    @property
    def dirty(self) -> bool:
        return self.candidate is not None

    def commit(self) -> None:
        if self.candidate is not None:
            self._apply(*self._desired(self.candidate))
            self.candidate = None

    def discard(self) -> None:
        self.candidate = None

    def rpc(self, request: Any) -> list[Any] | None:
        if (namespace(request), local(request)) != (CISCO_IA, "save-config"):
            return None
        if self.save is not None:
            self.save()
        result = etree.Element(f"{{{CISCO_IA}}}result", nsmap={None: CISCO_IA})
        result.text = "Save running-config successful"
        return [result]

    def _desired(self, data: Any) -> tuple[str, dict[str, InterfaceSpec]]:
        hostname = "Router"  # what IOS shows without a hostname
        interfaces: dict[str, InterfaceSpec] = {}
        for top in children(data):
            where = (namespace(top), local(top))
            if where == (IOS_NATIVE, "native"):
                for item in children(top):
                    if local(item) != "hostname":
                        raise unknown(local(item), f"/native/{local(item)}")
                    hostname = self._hostname(text(item))
            elif where == (IETF_IF, "interfaces"):
                for entry in children(top):
                    if local(entry) != "interface":
                        raise unknown(local(entry), f"/interfaces/{local(entry)}")
                    name, spec = self._interface_spec(entry)
                    interfaces[name] = spec
            elif where[0] not in (IOS_NATIVE, IETF_IF):
                raise RpcError(
                    "application",
                    "unknown-namespace",
                    f"{where[1]}: namespace {where[0] or '(none)'} is not served here",
                    path="/",
                    info={"bad-element": where[1], "bad-namespace": where[0] or ""},
                )
            else:
                raise unknown(where[1], "/")
        return hostname, interfaces

    @staticmethod
    def _hostname(value: str) -> str:
        if not _HOSTNAME.fullmatch(value):
            raise RpcError(
                "application",
                "invalid-value",
                f"hostname {value!r}: letters, digits and hyphens, at most 63",
                path="/native/hostname",
                info={"bad-element": "hostname"},
            )
        return value

    def _interface_spec(self, entry: Any) -> tuple[str, InterfaceSpec]:
        key = child(entry, "name")
        if key is None or not text(key):
            raise RpcError(
                "protocol",
                "missing-element",
                "interface: needs its <name>",
                path="/interfaces/interface",
                info={"bad-element": "name"},
            )
        name = text(key)
        path = f"/interfaces/interface[name='{name}']"
        if resolve_interface(name, self.profile).name != name:
            raise RpcError(
                "application",
                "invalid-value",
                f"interface name {name!r} does not exist on this device",
                path=path,
                info={"bad-element": "name"},
            )
        spec = InterfaceSpec(None, True, None)
        for item in children(entry):
            tag = local(item)
            if tag == "description":
                spec.description = text(item) or None
                if spec.description is not None and len(spec.description) > 240:
                    raise self._invalid(path, tag, "at most 240 characters")
            elif tag == "enabled":
                if text(item) not in ("true", "false"):
                    raise self._invalid(path, tag, f"{text(item)!r} is not a boolean")
                spec.enabled = text(item) == "true"
            elif tag == "ipv4":
                spec.address = self._address(item, f"{path}/ipv4")
            elif tag not in ("name", "type"):
                raise unknown(tag, f"{path}/{tag}")
        return name, spec

    def _address(self, ipv4: Any, path: str) -> tuple[str, str] | None:
        found = None
        for item in children(ipv4):
            if local(item) != "address":
                raise unknown(local(item), f"{path}/{local(item)}")
            ip, mask = child(item, "ip"), child(item, "netmask")
            length = child(item, "prefix-length")
            if ip is None or values.ipv4(text(ip)) is None:
                raise self._invalid(path, "ip", "an IPv4 address is needed")
            if mask is not None:
                bits = values.ipv4(text(mask))
                if bits is None or values.mask_length(bits) is None:
                    raise self._invalid(path, "netmask", f"{text(mask)!r} is not a netmask")
                netmask = text(mask)
            elif length is not None and values.number(text(length), 0, 32) is not None:
                netmask = values.dotted(values.prefix_mask(int(text(length))))
            else:
                raise self._invalid(path, "netmask", "a netmask or prefix-length is needed")
            found = found or (text(ip), netmask)
        return found

    @staticmethod
    def _invalid(path: str, element: str, why: str) -> RpcError:
        return RpcError(
            "application",
            "invalid-value",
            f"{element}: {why}",
            path=f"{path}/{element}",
            info={"bad-element": element},
        )

    def _apply(self, hostname: str, interfaces: dict[str, InterfaceSpec]) -> None:
        config = self.config
        config.set_line(f"hostname {hostname}")
        for block in config.interface_blocks():
            name = block.header.split(" ", 1)[1]
            if name in interfaces:
                continue
            if name in self.profile.interfaces:  # a port cannot go: its settings do
                for key in ("description", "ip address", "shutdown"):
                    _set_child(block, key, None)
            else:
                config.remove_top(block.header)
        for name, spec in interfaces.items():
            block = config.section(f"interface {name}")
            description = spec.description
            _set_child(block, "description", f"description {description}" if description else None)
            address = spec.address
            _set_child(
                block, "ip address", f"ip address {address[0]} {address[1]}" if address else None
            )
            _set_child(block, "shutdown", None if spec.enabled else "shutdown")

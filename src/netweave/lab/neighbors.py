"""What a lab device hears from its neighbours over CDP and LLDP: the links of the lab
(:class:`~netweave.lab.specs.LabLink`) seen from one end, with what the other end would
advertise (its hostname and domain from its running configuration, its port, chassis MAC,
management address, platform). A link whose interface is shut down on either end carries
no advertisement, as on real devices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from netweave.lab.interfaces import ios_interfaces
from netweave.lab.junos import split_words
from netweave.lab.platforms import mac_address

if TYPE_CHECKING:
    from netweave.lab.device import LabDevice

HOLDTIME = 120
CDP_FAMILIES = frozenset({"ios"})  # who speaks CDP (EOS and Junos: LLDP only; Linux: lldpd)
_SHORT = (
    ("GigabitEthernet", "Gi", "Gig "),
    ("TenGigabitEthernet", "Te", "Ten "),
    ("FastEthernet", "Fa", "Fas "),
    ("Ethernet", "Et", "Eth "),
    ("Management", "Ma", "Mgmt "),
    ("Port-channel", "Po", "Por "),
    ("Loopback", "Lo", "Lo "),
)


def short_name(name: str, *, cdp: bool = False) -> str:
    """``GigabitEthernet0/1`` as IOS abbreviates it: ``Gi0/1`` (LLDP), ``Gig 0/1`` (CDP)."""
    for long, lldp_form, cdp_form in _SHORT:
        if name.startswith(long) and name[len(long) : len(long) + 1].isdigit():
            return (cdp_form if cdp else lldp_form) + name[len(long) :]
    return name


@dataclass(frozen=True)
class Advertisement:
    """What one device sends out of one of its ports."""

    system_name: str  # hostname, plus its domain when it has one (IOS, EOS)
    hostname: str
    port: str  # the full interface name
    port_id: str  # the LLDP port ID (IOS sends the short name)
    chassis_id: str  # dotted MAC: 5254.0001.0001
    address: str  # management address: where the lab serves the device
    vendor: str
    model: str
    family: str
    description: tuple[str, ...]  # system description, one item per line
    capabilities: tuple[str, ...]  # LLDP system capabilities (B, R, S)
    enabled: tuple[str, ...]  # LLDP enabled capabilities

    @property
    def colon_chassis(self) -> str:
        digits = self.chassis_id.replace(".", "")
        return ":".join(digits[i : i + 2] for i in range(0, 12, 2))

    @property
    def cdp_capabilities(self) -> tuple[str, str]:
        """(detail words, brief letters)."""
        return ("Router IGMP", "R I") if "R" in self.enabled else ("Host", "H")


@dataclass(frozen=True)
class Neighbor:
    local_interface: str
    peer: Advertisement


def domain_name(device: LabDevice) -> str:
    if device.ios_config is not None:
        for block in device.ios_config.blocks:
            words = block.header.split()
            if words[:3] == ["ip", "domain", "name"] and len(words) == 4:
                return words[3]
            if words[:2] == ["ip", "domain-name"] and len(words) == 3:
                return words[2]
    if device.junos_config is not None:
        for line in device.junos_config.committed:
            words = split_words(line)
            if words[1:3] == ["system", "domain-name"] and len(words) == 4:
                return words[3]
    return ""


def interface_up(device: LabDevice, name: str) -> bool:
    """False when the interface is shut down (IOS/EOS ``shutdown``, Junos ``disable``). A
    port the configuration does not hold (past the modelled hardware's) is up."""
    if device.ios_config is not None:
        for view in ios_interfaces(device.ios_config, device.spec.index):
            if view.name.lower() == name.lower():
                return view.enabled
        return True
    if device.junos_config is not None:
        disabled = f"set interfaces {name} disable"
        return all(line != disabled for line in device.junos_config.committed)
    return True


def _description(device: LabDevice) -> tuple[str, ...]:
    profile = device.profile
    if profile.family == "ios":
        return (
            f"Cisco IOS Software, {profile.model} Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), "
            f"Version {profile.os_version}, RELEASE SOFTWARE (fc1)",
            "Technical Support: http://www.cisco.com/techsupport",
            "Copyright (c) 1986-2023 by Cisco Systems, Inc.",
            "Compiled Tue 28-Mar-23 10:48 by prod_rel_team",
        )
    if profile.family == "eos":
        return (
            f"Arista Networks EOS version {profile.os_version} running on an Arista Networks "
            f"{profile.model}",
        )
    if profile.family == "junos":
        return (
            f"Juniper Networks, Inc. {profile.model} internet router, kernel JUNOS "
            f"{profile.os_version}",
        )
    return (f"{profile.vendor} GNU/Linux {profile.os_version} Linux 6.1.0-18-amd64 x86_64",)


def advertisement(device: LabDevice, port: str) -> Advertisement:
    family = device.profile.family
    domain = domain_name(device)
    hostname = device.hostname
    router = family != "linux"
    return Advertisement(
        system_name=f"{hostname}.{domain}" if domain else hostname,
        hostname=hostname,
        port=port,
        port_id=short_name(port) if family == "ios" else port,
        chassis_id=mac_address(device.spec.index, 0),
        address=device.spec.host,
        vendor=device.profile.vendor,
        model=device.profile.model,
        family=family,
        description=_description(device),
        capabilities=("B", "R") if router else ("S",),
        enabled=(("B", "R") if family != "ios" else ("R",)) if router else ("S",),
    )


def neighbors(device: LabDevice, protocol: str) -> list[Neighbor]:
    """The neighbours ``device`` hears over ``protocol`` (``cdp`` or ``lldp``), in the
    order of the lab's links."""
    if protocol == "cdp" and device.profile.family not in CDP_FAMILIES:
        return []
    heard = []
    for local, peer, peer_port in device.attachments:
        if protocol == "cdp" and peer.profile.family not in CDP_FAMILIES:
            continue
        if interface_up(device, local) and interface_up(peer, peer_port):
            heard.append(Neighbor(local, advertisement(peer, peer_port)))
    return heard

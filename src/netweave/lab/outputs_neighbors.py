"""CDP and LLDP neighbour tables in the formats real devices print, so that ntc-templates
(cisco_ios show cdp/lldp neighbors [detail], arista_eos show lldp neighbors [detail],
juniper_junos show lldp neighbors) and NAPALM's IOS LLDP getters parse them."""

from __future__ import annotations

from collections.abc import Sequence

from netweave.lab.neighbors import HOLDTIME, Neighbor, short_name

_CDP_CODES = (  # IOS ends two of these lines with a space
    "Capability Codes: R - Router, T - Trans Bridge, B - Source Route Bridge\n"
    "                  S - Switch, H - Host, I - IGMP, r - Repeater, P - Phone, \n"
    "                  D - Remote, C - CVTA, M - Two-port Mac Relay \n"
)
_LLDP_CODES = """Capability codes:
    (R) Router, (B) Bridge, (T) Telephone, (C) DOCSIS Cable Device
    (W) WLAN Access Point, (P) Repeater, (S) Station, (O) Other
"""


def cdp_brief(heard: Sequence[Neighbor]) -> str:
    out = [
        _CDP_CODES,
        "Device ID        Local Intrfce     Holdtme    Capability  Platform  Port ID",
    ]
    for neighbor in heard:
        peer = neighbor.peer
        local = short_name(neighbor.local_interface, cdp=True)
        row = (
            f"{local:<18}{HOLDTIME - 9:<11}{peer.cdp_capabilities[1]:<12}"
            f"{peer.model:<9} {short_name(peer.port, cdp=True)}"
        )
        if len(peer.system_name) > 16:  # a long ID gets its own line, as IOS prints it
            out += [peer.system_name, " " * 17 + row]
        else:
            out.append(f"{peer.system_name:<17}{row}")
    out += ["", f"Total cdp entries displayed : {len(heard)}"]
    return "\n".join(out) + "\n"


def cdp_detail(heard: Sequence[Neighbor]) -> str:
    out: list[str] = []
    for neighbor in heard:
        peer = neighbor.peer
        out += [
            "-------------------------",
            f"Device ID: {peer.system_name}",
            "Entry address(es): ",
            f"  IP address: {peer.address}",
            f"Platform: cisco {peer.model},  Capabilities: {peer.cdp_capabilities[0]} ",
            f"Interface: {neighbor.local_interface},  Port ID (outgoing port): {peer.port}",
            f"Holdtime : {HOLDTIME - 9} sec",
            "",
            "Version :",
            *peer.description,
            "",
            "advertisement version: 2",
            "Duplex: full",
            "Management address(es): ",
            f"  IP address: {peer.address}",
            "",
        ]
    out += ["", f"Total cdp entries displayed : {len(heard)}"]
    return "\n".join(out) + "\n"


def lldp_brief_ios(heard: Sequence[Neighbor]) -> str:
    out = [_LLDP_CODES, "Device ID           Local Intf     Hold-time  Capability      Port ID"]
    for neighbor in heard:
        peer = neighbor.peer
        local = short_name(neighbor.local_interface)
        capability = ",".join(peer.enabled)
        out.append(
            f"{peer.system_name[:20]:<20}{local:<15}{HOLDTIME:<11}{capability:<16}{peer.port_id}"
        )
    out += ["", f"Total entries displayed: {len(heard)}"]
    return "\n".join(out) + "\n"


def lldp_detail_ios(heard: Sequence[Neighbor]) -> str:
    out: list[str] = []
    for neighbor in heard:
        peer = neighbor.peer
        out += [
            "------------------------------------------------",
            f"Local Intf: {short_name(neighbor.local_interface)}",
            f"Chassis id: {peer.chassis_id}",
            f"Port id: {peer.port_id}",
            f"Port Description: {peer.port}",
            f"System Name: {peer.system_name}",
            "",
            "System Description: ",
            *peer.description,
            "",
            f"Time remaining: {HOLDTIME - 8} seconds",
            f"System Capabilities: {','.join(peer.capabilities)}",
            f"Enabled Capabilities: {','.join(peer.enabled)}",
            "Management Addresses:",
            f"    IP: {peer.address}",
            "Auto Negotiation - not supported",
            "Physical media capabilities - not advertised",
            "Media Attachment Unit type - not advertised",
            "Vlan ID: - not advertised",
            "",
        ]
    out += ["", f"Total entries displayed: {len(heard)}"]
    return "\n".join(out) + "\n"


def lldp_brief_eos(heard: Sequence[Neighbor]) -> str:
    out = [
        "Last table change time   : 0:12:24 ago",
        f"Number of table inserts  : {len(heard)}",
        "Number of table deletes  : 0",
        "Number of table drops    : 0",
        "Number of table age-outs : 0",
        "",
        "Port          Neighbor Device ID       Neighbor Port ID    TTL",
        "---------- ------------------------ ---------------------- ---",
    ]
    for neighbor in heard:
        peer = neighbor.peer
        out.append(
            f"{short_name(neighbor.local_interface):<14}{peer.system_name:<24} "
            f"{peer.port_id:<19} {HOLDTIME}"
        )
    return "\n".join(out) + "\n"


_EOS_CAPABILITIES = {"B": "Bridge", "R": "Router", "S": "Station"}


def lldp_detail_eos(heard: Sequence[Neighbor], ports: Sequence[str]) -> str:
    """Every port of the device, with the neighbours heard on it (EOS lists them all)."""
    out: list[str] = []
    for port in ports:
        found = [n for n in heard if n.local_interface.lower() == port.lower()]
        out += [f"Interface {port} detected {len(found)} LLDP neighbors:", ""]
        for neighbor in found:
            peer = neighbor.peer
            capabilities = ", ".join(_EOS_CAPABILITIES[c] for c in peer.capabilities)
            enabled = ", ".join(_EOS_CAPABILITIES[c] for c in peer.enabled)
            out += [
                f'  Neighbor {peer.chassis_id}/"{peer.port_id}", age 12 seconds',
                "  Discovered 9 days, 3:04:10 ago; Last changed 9 days, 3:04:10 ago",
                "  - Chassis ID type: MAC address (4)",
                f"    Chassis ID     : {peer.chassis_id}",
                "  - Port ID type: Interface name (5)",
                f'    Port ID     : "{peer.port_id}"',
                f"  - Time To Live: {HOLDTIME} seconds",
                f'  - Port Description: "{peer.port}"',
                f'  - System Name: "{peer.system_name}"',
                f'  - System Description: "{peer.description[0]}"',
                f"  - System Capabilities : {capabilities}",
                f"    Enabled Capabilities: {enabled}",
                "  - Management Address Subtype: IPv4 (1)",
                f"    Management Address        : {peer.address}",
                "    Interface Number Subtype  : ifIndex (2)",
                "    Interface Number          : 1",
                "    OID String                : ",
                "  - IEEE802.3 Maximum Frame Size: 1518 bytes",
                "",
            ]
    return "\n".join(out) + "\n"


def lldp_junos(heard: Sequence[Neighbor]) -> str:
    out = [
        "Local Interface    Parent Interface    Chassis Id          Port info          System Name"
    ]
    for neighbor in heard:
        peer = neighbor.peer
        out.append(
            f"{neighbor.local_interface:<19}{'-':<20}{peer.colon_chassis:<20}{peer.port:<18} "
            f"{peer.system_name}"
        )
    return "\n".join(out) + "\n\n"

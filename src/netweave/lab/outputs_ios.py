"""Cisco IOS and Arista EOS show-command outputs, shaped like the real ones so that
ntc-templates and NAPALM parse them."""

from __future__ import annotations

from datetime import UTC, datetime

from netweave.lab.config_ios import IosConfig
from netweave.lab.interfaces import InterfaceView, ios_interfaces
from netweave.lab.platforms import PlatformProfile, prefix_to_mask, serial_number


def uptime_words(boot: datetime, *, eos: bool = False) -> str:
    seconds = int((datetime.now(UTC) - boot).total_seconds())
    weeks, rest = divmod(seconds, 7 * 86400)
    days, rest = divmod(rest, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    for value, unit in ((weeks, "week"), (days, "day"), (hours, "hour"), (minutes, "minute")):
        if value or unit == "minute":
            parts.append(f"{value} {unit}{'' if value == 1 else 's'}")
    if eos and len(parts) > 1:
        return ", ".join(parts[:-1]) + " and " + parts[-1]
    return ", ".join(parts)


def show_version_ios(
    profile: PlatformProfile, config: IosConfig, index: int, boot: datetime
) -> str:
    ports = len(profile.interfaces)
    return f"""Cisco IOS Software, {profile.model} Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), Version {profile.os_version}, RELEASE SOFTWARE (fc1)
Technical Support: http://www.cisco.com/techsupport
Copyright (c) 1986-2023 by Cisco Systems, Inc.
Compiled Tue 28-Mar-23 10:48 by prod_rel_team

ROM: IOS-XE ROMMON

{config.hostname} uptime is {uptime_words(boot)}
System returned to ROM by reload
System image file is "bootflash:csr1000v-universalk9.bin"
Last reload reason: reload

cisco {profile.model} (VXE) processor (revision VXE) with 2392579K/3075K bytes of memory.
Processor board ID {serial_number(profile.name, index)}
{ports} Gigabit Ethernet interfaces
32768K bytes of non-volatile configuration memory.
8113280K bytes of physical memory.

Configuration register is 0x2102
"""


def show_version_eos(profile: PlatformProfile, index: int, boot: datetime) -> str:
    mac = f"5254.{index >> 8 & 0xFF:02x}{index & 0xFF:02x}.0001"
    return f"""Arista {profile.model}
Hardware version: 01.11
Serial number: {serial_number(profile.name, index)}
Hardware MAC address: {mac}
System MAC address: {mac}

Software image version: {profile.os_version}
Architecture: x86_64
Internal build version: {profile.os_version}-28837868.4283M
Internal build ID: 1c3c8ba4-7f2d-4a9e-9f5e-2f0c6a4d8e11
Image format version: 1.0
Image optimization: Default

Uptime: {uptime_words(boot, eos=True)}
Total memory: 8099732 kB
Free memory: 6321488 kB
"""


def show_hosts(config: IosConfig) -> str:
    domain = "lab.netweave.local"
    for block in config.blocks:
        words = block.header.split()
        if words[:3] in (["ip", "domain", "name"],) and len(words) == 4:
            domain = words[3]
        elif words[:2] == ["ip", "domain-name"] and len(words) == 3:
            domain = words[2]
    return f"""Default domain is {domain}
Name/address lookup uses domain service
Name servers are 255.255.255.255

Codes: UN - unknown, EX - expired, OK - OK, ?? - revalidate
       temp - temporary, perm - permanent
       NA - Not Applicable None - Not defined

Host                      Port  Flags      Age Type   Address(es)
"""


def _status(view: InterfaceView) -> tuple[str, str]:
    if not view.enabled:
        return "administratively down", "down"
    return "up", "up"


def show_ip_interface_brief(config: IosConfig, index: int) -> str:
    lines = ["Interface              IP-Address      OK? Method Status                Protocol"]
    for view in ios_interfaces(config, index):
        status, protocol = _status(view)
        address = view.address or "unassigned"
        lines.append(f"{view.name:<23}{address:<16}YES NVRAM  {status:<22}{protocol}")
    return "\n".join(lines) + "\n"


def show_interfaces_ios(config: IosConfig, index: int, only: str | None = None) -> str:
    out: list[str] = []
    for view in ios_interfaces(config, index):
        if only and view.name.lower() != only.lower():
            continue
        status, protocol = _status(view)
        out.append(f"{view.name} is {status}, line protocol is {protocol} ")
        if view.loopback:
            out.append("  Hardware is Loopback")
        else:
            out.append(f"  Hardware is CSR vNIC, address is {view.mac} (bia {view.mac})")
        if view.description:
            out.append(f"  Description: {view.description}")
        if view.address:
            out.append(f"  Internet address is {view.address}/{view.prefix}")
        if view.loopback:
            out.append("  MTU 1514 bytes, BW 8000000 Kbit/sec, DLY 5000 usec, ")
        else:
            out.append(f"  MTU {view.mtu} bytes, BW 1000000 Kbit/sec, DLY 10 usec, ")
        packets = 1000 + index * 7 + view.port
        out += [
            "     reliability 255/255, txload 1/255, rxload 1/255",
            "  Encapsulation ARPA, loopback not set",
            "  Keepalive set (10 sec)",
            "  Full Duplex, 1000Mbps, link type is auto, media type is Virtual",
            "  ARP type: ARPA, ARP Timeout 04:00:00",
            "  Last input 00:00:01, output 00:00:01, output hang never",
            '  Last clearing of "show interface" counters never',
            "  Input queue: 0/375/0/0 (size/max/drops/flushes); Total output drops: 0",
            "  Queueing strategy: fifo",
            "  Output queue: 0/40 (size/max)",
            "  5 minute input rate 1000 bits/sec, 2 packets/sec",
            "  5 minute output rate 1000 bits/sec, 2 packets/sec",
            f"     {packets} packets input, {packets * 96} bytes, 0 no buffer",
            "     Received 0 broadcasts (0 IP multicasts)",
            "     0 runts, 0 giants, 0 throttles ",
            "     0 input errors, 0 CRC, 0 frame, 0 overrun, 0 ignored",
            f"     {packets} packets output, {packets * 96} bytes, 0 underruns",
            "     0 output errors, 0 collisions, 1 interface resets",
            "     0 unknown protocol drops",
            "     0 output buffer failures, 0 output buffers swapped out",
        ]
    return "\n".join(out) + "\n"


def show_interfaces_eos(config: IosConfig, index: int, only: str | None = None) -> str:
    out: list[str] = []
    for view in ios_interfaces(config, index):
        if only and view.name.lower() != only.lower():
            continue
        if view.enabled:
            out.append(f"{view.name} is up, line protocol is up (connected)")
        else:
            out.append(f"{view.name} is administratively down, line protocol is down (disabled)")
        kind = "Loopback" if view.loopback else "Ethernet"
        if view.loopback:
            out.append(f"  Hardware is {kind}")
        else:
            out.append(f"  Hardware is {kind}, address is {view.mac} (bia {view.mac})")
        if view.description:
            out.append(f"  Description: {view.description}")
        if view.address:
            out.append(f"  Internet address is {view.address}/{view.prefix}")
            out.append("  Broadcast address is 255.255.255.255")
        else:
            out.append("  No Internet protocol address assigned")
        bandwidth = "" if view.loopback else " , BW 10000000 kbit"
        out.append(f"  IP MTU {view.mtu} bytes{bandwidth}")
        if not view.loopback:
            packets = 2000 + index * 3 + view.port
            out += [
                "  Full-duplex, 10Gb/s, auto negotiation: off, uni-link: n/a",
                "  Up 3 days, 4 hours, 5 minutes, 6 seconds",
                "  Loopback Mode : None",
                "  2 link status changes since last clear",
                '  Last clearing of "show interface" counters never',
                "  5 minutes input rate 0 bps (0.0% with framing overhead), 0 packets/sec",
                "  5 minutes output rate 0 bps (0.0% with framing overhead), 0 packets/sec",
                f"     {packets} packets input, {packets * 120} bytes",
                "     Received 0 broadcasts, 0 multicast",
                "     0 runts, 0 giants",
                "     0 input errors, 0 CRC, 0 alignment, 0 symbol, 0 input discards",
                "     0 PAUSE input",
                f"     {packets} packets output, {packets * 120} bytes",
                "     Sent 0 broadcasts, 0 multicast",
                "     0 output errors, 0 collisions",
                "     0 late collision, 0 deferred, 0 output discards",
                "     0 PAUSE output",
            ]
    return "\n".join(out) + "\n"


def _static_routes(config: IosConfig) -> list[tuple[str, int, str]]:
    routes = []
    for block in config.blocks:
        words = block.header.split()
        if words[:2] == ["ip", "route"] and len(words) >= 5 and "." in words[3]:
            routes.append(
                (words[2], sum(bin(int(p)).count("1") for p in words[3].split(".")), words[4])
            )
        elif words[:2] == ["ip", "route"] and len(words) >= 4 and "/" in words[2]:
            network, bits = words[2].split("/")
            routes.append((network, int(bits), words[3]))
    return routes


def show_ip_route_ios(config: IosConfig, index: int) -> str:
    statics = _static_routes(config)
    default = next((r for r in statics if r[0] == "0.0.0.0"), None)
    out = [
        "Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP",
        "       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area ",
        "       * - candidate default, U - per-user static route, o - ODR",
        "",
        f"Gateway of last resort is {default[2]} to network 0.0.0.0"
        if default
        else "Gateway of last resort is not set",
        "",
    ]
    if default:
        out.append(f"S*    0.0.0.0/0 [1/0] via {default[2]}")
    for network, length, hop in statics:
        if network != "0.0.0.0":
            out.append(f"S        {network}/{length} [1/0] via {hop}")
    for view in ios_interfaces(config, index):
        if not view.enabled or not view.address or view.prefix is None:
            continue
        if view.prefix < 32:
            out.append(f"C        {view.network}/{view.prefix} is directly connected, {view.name}")
        out.append(f"L        {view.address}/32 is directly connected, {view.name}")
    return "\n".join(out) + "\n"


def show_ip_route_eos(config: IosConfig, index: int) -> str:
    statics = _static_routes(config)
    interfaces = ios_interfaces(config, index)
    first = next((v.name for v in interfaces if v.address and v.enabled), "Ethernet1")
    out = [
        "VRF: default",
        "Codes: C - connected, S - static, K - kernel, ",
        "       O - OSPF, IA - OSPF inter area, B - BGP",
        "",
        "Gateway of last resort:",
    ]
    for network, length, hop in statics:
        out.append(f" S        {network}/{length} [1/0] via {hop}, {first}")
    out.append("")
    for view in interfaces:
        if view.enabled and view.address and view.prefix is not None:
            out.append(f" C        {view.network}/{view.prefix} is directly connected, {view.name}")
    out.append("")
    return "\n".join(out) + "\n"


def show_clock(eos: bool = False) -> str:
    now = datetime.now(UTC)
    if eos:
        return now.strftime("%a %b %d %H:%M:%S %Y\nTimezone: UTC\nClock source: local\n")
    return now.strftime("*%H:%M:%S.%f")[:-3] + now.strftime(" UTC %a %b %d %Y\n")


def show_inventory(profile: PlatformProfile, index: int) -> str:
    serial = serial_number(profile.name, index)
    return (
        f'NAME: "Chassis", DESCR: "{profile.vendor} {profile.model} Chassis"\n'
        f"PID: {profile.model}       , VID: V00  , SN: {serial}\n"
    )


def mask_for(length: int) -> str:
    return prefix_to_mask(length)

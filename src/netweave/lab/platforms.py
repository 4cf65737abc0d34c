"""Platforms as data: what each simulated operating system looks like."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VirtualInterfaceKind:
    """An interface type the configuration creates on demand (``interface Loopback7``),
    with the unit numbers the platform's parser accepts."""

    name: str
    low: int
    high: int


@dataclass(frozen=True)
class PlatformProfile:
    name: str
    family: str  # ios | eos | junos | linux
    vendor: str
    model: str
    os_version: str
    interfaces: tuple[str, ...]  # the physical ports the modelled hardware has
    loopback: str
    virtual_interfaces: tuple[VirtualInterfaceKind, ...] = ()
    subinterfaces: bool = False  # ``GigabitEthernet0/1.100`` style sub-interfaces


IOS_VIRTUAL_INTERFACES = (
    VirtualInterfaceKind("Loopback", 0, 2147483647),
    VirtualInterfaceKind("Port-channel", 1, 64),
    VirtualInterfaceKind("Tunnel", 0, 2147483647),
    VirtualInterfaceKind("Vlan", 1, 4094),
)
EOS_VIRTUAL_INTERFACES = (
    VirtualInterfaceKind("Loopback", 0, 1000),
    VirtualInterfaceKind("Port-Channel", 1, 2000),
    VirtualInterfaceKind("Tunnel", 0, 255),
    VirtualInterfaceKind("Vlan", 1, 4094),
)


PLATFORMS: dict[str, PlatformProfile] = {
    "cisco_ios": PlatformProfile(
        name="cisco_ios",
        family="ios",
        vendor="Cisco",
        model="CSR1000V",
        os_version="15.9(3)M7",
        interfaces=(
            "GigabitEthernet0/0",
            "GigabitEthernet0/1",
            "GigabitEthernet0/2",
            "GigabitEthernet0/3",
        ),
        loopback="Loopback0",
        virtual_interfaces=IOS_VIRTUAL_INTERFACES,
        subinterfaces=True,
    ),
    "arista_eos": PlatformProfile(
        name="arista_eos",
        family="eos",
        vendor="Arista",
        model="DCS-7050TX-64",
        os_version="4.28.3M",
        interfaces=("Ethernet1", "Ethernet2", "Ethernet3", "Ethernet4", "Management1"),
        loopback="Loopback0",
        virtual_interfaces=EOS_VIRTUAL_INTERFACES,
        subinterfaces=True,
    ),
    "juniper_junos": PlatformProfile(
        name="juniper_junos",
        family="junos",
        vendor="Juniper",
        model="vmx",
        os_version="21.4R3.15",
        interfaces=("ge-0/0/0", "ge-0/0/1", "ge-0/0/2", "ge-0/0/3"),
        loopback="lo0",
    ),
    "linux": PlatformProfile(
        name="linux",
        family="linux",
        vendor="Debian",
        model="x86_64",
        os_version="12",
        interfaces=("eth0", "eth1"),
        loopback="lo",
    ),
}


def interface_address(device_index: int, port: int) -> tuple[str, int]:
    """A stable, unique IPv4 address and prefix length per device interface."""
    number = device_index + 1
    return f"10.{port + 1}.{number // 250}.{number % 250 + 1}", 24


def loopback_ip(device_index: int) -> str:
    number = device_index + 1
    return f"10.255.{number // 256}.{number % 256}"


def mac_address(device_index: int, port: int) -> str:
    """Cisco dotted form, e.g. 5254.0001.0203."""
    return f"5254.{device_index >> 8 & 0xFF:02x}{device_index & 0xFF:02x}.{port:02x}01"


def serial_number(platform: str, device_index: int) -> str:
    prefix = {"cisco_ios": "9SV", "arista_eos": "JPE", "juniper_junos": "VM"}.get(platform, "LX")
    return f"{prefix}{device_index + 1:08d}"


def prefix_to_mask(length: int) -> str:
    bits = (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF
    return ".".join(str(bits >> shift & 0xFF) for shift in (24, 16, 8, 0))


def mask_to_prefix(mask: str) -> int:
    return sum(bin(int(part)).count("1") for part in mask.split("."))

"""Interface state derived from a running-config (one source of truth for show commands)."""

from __future__ import annotations

from dataclasses import dataclass

from netweave.lab.config_ios import IosConfig
from netweave.lab.platforms import mac_address, mask_to_prefix


@dataclass
class InterfaceView:
    name: str
    port: int
    description: str
    address: str | None  # dotted quad
    prefix: int | None
    enabled: bool
    mtu: int
    mac: str

    @property
    def loopback(self) -> bool:
        return self.name.lower().startswith(("loopback", "lo"))

    @property
    def network(self) -> str | None:
        if self.address is None or self.prefix is None:
            return None
        value = 0
        for part in self.address.split("."):
            value = value << 8 | int(part)
        value &= (0xFFFFFFFF << (32 - self.prefix)) & 0xFFFFFFFF
        return ".".join(str(value >> s & 0xFF) for s in (24, 16, 8, 0))


def ios_interfaces(config: IosConfig, device_index: int) -> list[InterfaceView]:
    views = []
    for port, block in enumerate(config.interface_blocks()):
        name = block.header.split(" ", 1)[1]
        description, address, prefix, enabled, mtu = "", None, None, True, 1500
        for child in block.children:
            words = child.split()
            if child.startswith("description "):
                description = child.split(" ", 1)[1]
            elif words[:2] == ["ip", "address"] and len(words) >= 3:
                if "/" in words[2]:
                    address, bits = words[2].split("/")
                    prefix = int(bits)
                elif len(words) >= 4:
                    address, prefix = words[2], mask_to_prefix(words[3])
            elif child == "shutdown":
                enabled = False
            elif words[0] == "mtu" and len(words) == 2 and words[1].isdigit():
                mtu = int(words[1])
        views.append(
            InterfaceView(
                name,
                port,
                description,
                address,
                prefix,
                enabled,
                mtu,
                mac_address(device_index, port),
            )
        )
    return views

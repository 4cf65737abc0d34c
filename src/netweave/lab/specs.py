"""What a lab serves: device specs, how many of which platform where, and the manifest file
other processes read to find them."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from netweave.lab.platforms import PLATFORMS

DEFAULT_USERNAME = "netweave"
DEFAULT_PASSWORD = "netweave"
DEFAULT_ENABLE_SECRET = "netweave"

# (site code, city, latitude, longitude): the demo map needs somewhere to put devices.
SITES: tuple[tuple[str, float, float], ...] = (
    ("PAR1", 48.8566, 2.3522),
    ("LON1", 51.5072, -0.1276),
    ("FRA1", 50.1109, 8.6821),
    ("NYC1", 40.7128, -74.0060),
    ("SFO1", 37.7749, -122.4194),
    ("SIN1", 1.3521, 103.8198),
    ("TYO1", 35.6762, 139.6503),
    ("SYD1", -33.8688, 151.2093),
    ("SAO1", -23.5505, -46.6333),
    ("JNB1", -26.2041, 28.0473),
)
SHORT_NAMES = {"cisco_ios": "ios", "arista_eos": "eos", "juniper_junos": "junos", "linux": "linux"}


@dataclass
class LabDeviceSpec:
    name: str
    platform: str
    host: str = "127.0.0.1"
    port: int = 0
    username: str = DEFAULT_USERNAME
    password: str = DEFAULT_PASSWORD
    enable_secret: str = DEFAULT_ENABLE_SECRET
    delay: float = 0.0
    index: int = 0
    vendor: str = ""
    model: str = ""
    os_version: str = ""
    site: str = ""
    lat: float | None = None
    lon: float | None = None
    eapi_port: int | None = None  # arista_eos only: eAPI over HTTP (0/None = OS-assigned)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.platform not in PLATFORMS:
            raise ValueError(f"unknown lab platform {self.platform!r}; one of {sorted(PLATFORMS)}")
        profile = PLATFORMS[self.platform]
        self.vendor = self.vendor or profile.vendor
        self.model = self.model or profile.model
        self.os_version = self.os_version or profile.os_version


@dataclass(frozen=True)
class LabLink:
    """A cable between two lab devices: ``source``'s ``source_interface`` to
    ``destination``'s ``destination_interface``. Both ends see each other in CDP/LLDP (when
    both interfaces are up), as the inventory's links describe them."""

    source: str
    source_interface: str
    destination: str
    destination_interface: str
    description: str = ""

    @classmethod
    def parse(cls, text: str) -> LabLink:
        """``lab-ios-001:GigabitEthernet0/1--lab-eos-002:Ethernet1``."""
        left, separator, right = text.strip().partition("--")
        ends = [part.partition(":") for part in (left, right)]
        if not separator or any(not (name and colon and port) for name, colon, port in ends):
            raise ValueError(f"a link is DEVICE:INTERFACE--DEVICE:INTERFACE, not {text!r}")
        return cls(ends[0][0], ends[0][2], ends[1][0], ends[1][2])


def loopback_address(index: int) -> str:
    """127.1.0.1, 127.1.0.2, ... 127.1.1.0 ... (index starts at 0)."""
    number = index + 1
    return f"127.1.{number // 256}.{number % 256}"


def build_specs(
    count: int,
    *,
    platforms: tuple[str, ...] | list[str] = ("cisco_ios", "arista_eos", "juniper_junos", "linux"),
    host: str = "127.0.0.1",
    base_port: int = 0,
    address_mode: Literal["ports", "addresses"] = "ports",
    delay: float = 0.0,
    username: str = DEFAULT_USERNAME,
    password: str = DEFAULT_PASSWORD,
    enable_secret: str = DEFAULT_ENABLE_SECRET,
    prefix: str = "lab",
) -> list[LabDeviceSpec]:
    """``count`` devices, platforms round-robin. ``ports``: one address, port base_port + i
    (or OS-assigned with 0). ``addresses``: 127.1.0.1, 127.1.0.2, ... all on ``base_port``."""
    if count < 0:
        raise ValueError("count must be >= 0")
    if not platforms:
        raise ValueError("at least one platform")
    if address_mode == "addresses" and base_port == 0:
        raise ValueError("address mode needs a fixed port (base_port)")
    specs = []
    for index in range(count):
        platform = platforms[index % len(platforms)]
        site, lat, lon = SITES[index % len(SITES)]
        if address_mode == "addresses":
            device_host, port = loopback_address(index), base_port
        else:
            device_host, port = host, (base_port + index if base_port else 0)
        specs.append(
            LabDeviceSpec(
                name=f"{prefix}-{SHORT_NAMES.get(platform, platform)}-{index + 1:03d}",
                platform=platform,
                host=device_host,
                port=port,
                username=username,
                password=password,
                enable_secret=enable_secret,
                delay=delay,
                index=index,
                site=site,
                lat=round(lat + (index // len(SITES)) * 0.01, 4),
                lon=round(lon + (index // len(SITES)) * 0.01, 4),
            )
        )
    return specs


def write_manifest(
    path: Path | str, specs: list[LabDeviceSpec], links: Sequence[LabLink] = ()
) -> None:
    """Atomically write the list of served devices (with their real ports) and the links
    between them as JSON."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(target.suffix + ".tmp")
    payload = {
        "devices": [asdict(spec) for spec in specs],
        "links": [asdict(link) for link in links],
    }
    temporary.write_text(json.dumps(payload, indent=1))
    os.replace(temporary, target)


def read_manifest(path: Path | str) -> list[LabDeviceSpec]:
    data = json.loads(Path(path).read_text())
    return [LabDeviceSpec(**item) for item in data["devices"]]


def read_links(path: Path | str) -> list[LabLink]:
    """The links a manifest lists (none in a manifest written before labs had links)."""
    data = json.loads(Path(path).read_text())
    return [LabLink(**item) for item in data.get("links", [])]

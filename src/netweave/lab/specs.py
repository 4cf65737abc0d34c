"""What a lab serves: device specs, how many of which platform where, and the manifest file
other processes read to find them."""

from __future__ import annotations

import json
import os
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


def write_manifest(path: Path | str, specs: list[LabDeviceSpec]) -> None:
    """Atomically write the list of served devices (with their real ports) as JSON."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(target.suffix + ".tmp")
    payload = {"devices": [asdict(spec) for spec in specs]}
    temporary.write_text(json.dumps(payload, indent=1))
    os.replace(temporary, target)


def read_manifest(path: Path | str) -> list[LabDeviceSpec]:
    data = json.loads(Path(path).read_text())
    return [LabDeviceSpec(**item) for item in data["devices"]]

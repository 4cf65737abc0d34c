"""Platforms NetWeave adds to Netmiko, as data: for each ``device_type`` a Netmiko connection
class and the pattern of the lines with which the device rejects a command. Registered
through the ``netweave.netmiko_platforms`` entry points (a third-party package adds one the
same way), then known to Netmiko's ``ConnectHandler`` like its own."""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass
from importlib.metadata import entry_points

from netmiko import BaseConnection

GROUP = "netweave.netmiko_platforms"
_lock = threading.Lock()
_platforms: dict[str, NetmikoPlatform] = {}
_loaded = False


@dataclass(frozen=True)
class Preparation:
    """What a platform's Netmiko ``session_preparation`` does, as data (see
    ``netmiko_login``): NetWeave then prepares sessions with reads that wait for the prompt
    instead of Netmiko's sleeps."""

    first_prompt: str  # the characters a prompt of this platform ends with (a regex class)
    commands: tuple[str, ...]  # terminal settings, each read up to the prompt
    ansi_escape_codes: bool = False  # the platform paints its output (Netmiko strips it)


@dataclass(frozen=True)
class NetmikoPlatform:
    device_type: str
    connection_class: type[BaseConnection]
    error_pattern: str  # a line the device answers a rejected command with
    show_config: str = "show running-config"
    save_command: str = "write memory"
    preparation: Preparation | None = None  # None: the connection class's own preparation


def register(platform: NetmikoPlatform) -> None:
    """Make ``platform.device_type`` a Netmiko device type."""
    ssh_dispatcher = importlib.import_module("netmiko.ssh_dispatcher")  # the module, not
    # the function netmiko's package exports under the same name
    ssh_dispatcher.CLASS_MAPPER[platform.device_type] = platform.connection_class
    if platform.device_type not in ssh_dispatcher.platforms:
        ssh_dispatcher.platforms.append(platform.device_type)
    _platforms[platform.device_type] = platform


def load() -> dict[str, NetmikoPlatform]:
    global _loaded
    if not _loaded:
        with _lock:
            if not _loaded:
                for entry in entry_points(group=GROUP):
                    found = entry.load()
                    if not isinstance(found, NetmikoPlatform):
                        raise TypeError(f"{GROUP}:{entry.name} is not a NetmikoPlatform")
                    register(found)
                _loaded = True
    return _platforms


def platform(device_type: str | None) -> NetmikoPlatform | None:
    return load().get(device_type or "")

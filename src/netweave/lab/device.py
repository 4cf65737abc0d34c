"""One simulated device: its spec, configuration state, faults and open sessions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from netweave.lab.cli_common import CliSession
from netweave.lab.cli_ios import IosCli
from netweave.lab.cli_junos import JunosCli
from netweave.lab.cli_linux import LinuxShell
from netweave.lab.config_ios import IosConfig, parse_config_text
from netweave.lab.files import FileStore
from netweave.lab.interfaces import ios_interfaces
from netweave.lab.junos import JunosConfig
from netweave.lab.neighbors import Neighbor, neighbors
from netweave.lab.netconf import NetconfServer
from netweave.lab.platforms import PLATFORMS
from netweave.lab.specs import LabDeviceSpec

if TYPE_CHECKING:
    import asyncssh

FaultKind = Literal["refuse_auth", "drop", "hang", "slow"]


@dataclass
class Fault:
    """``drop``: close the session on the command after ``after`` commands; ``hang``: stop
    answering (TCP stays open); ``slow``: add ``delay`` seconds per command;
    ``refuse_auth``: every login fails."""

    kind: FaultKind
    after: int = 0
    delay: float = 0.0
    commands_seen: int = field(default=0, compare=False)


class LabDevice:
    def __init__(self, spec: LabDeviceSpec) -> None:
        self.spec = spec
        self.profile = PLATFORMS[spec.platform]
        self.boot = datetime.now(UTC) - timedelta(days=9, hours=3, minutes=4 + spec.index % 50)
        # the lab's links seen from here: (local interface, peer device, peer interface)
        self.attachments: list[tuple[str, LabDevice, str]] = []
        self.fault: Fault | None = None
        self.connections: set[asyncssh.SSHServerConnection] = set()
        self.streams = 0  # long commands (``ping ... repeat N``) writing output right now
        self.ios_config: IosConfig | None = None
        self.junos_config: JunosConfig | None = None
        self.startup_config = ""
        self.files = FileStore()
        # set by the Lab: whether an address anywhere in the lab answers a ping
        self.network: Callable[[str], bool] | None = None
        self.reloads = 0  # ``reload`` confirmed this many times
        family = self.profile.family
        if family in ("ios", "eos"):
            self.ios_config = IosConfig(self.profile, spec.name, spec.index)
            self.startup_config = self.ios_config.render()
        elif family == "junos":
            self.junos_config = JunosConfig(self.profile, spec.name, spec.index)
        # the ``netconf`` SSH subsystem (Junos, IOS XE), on the same configuration as the CLI
        self.netconf = NetconfServer.for_device(
            self.profile, self.ios_config, self.junos_config, self._save
        )

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def host(self) -> str:
        return self.spec.host

    @property
    def port(self) -> int:
        return self.spec.port

    @property
    def hostname(self) -> str:
        if self.ios_config is not None:
            return self.ios_config.hostname
        if self.junos_config is not None:
            return self.junos_config.hostname
        return self.spec.name

    def running_config(self) -> str:
        if self.ios_config is not None:
            return self.ios_config.render()
        if self.junos_config is not None:
            return self.junos_config.render()
        return ""

    def _save(self) -> None:
        if self.ios_config is not None:
            self.startup_config = self.ios_config.render()

    def new_cli(self, username: str) -> CliSession:
        spec = self.spec
        if self.ios_config is not None:
            return IosCli(
                self.profile,
                self.ios_config,
                spec.index,
                self.boot,
                spec.enable_secret,
                self.neighbors,
                lambda: self.startup_config,
                self._save,
                self.files,
                reachable=self.reachable,
            )
        if self.junos_config is not None:
            return JunosCli(
                self.profile, self.junos_config, spec.index, self.boot, username, self.neighbors
            )
        return LinuxShell(self.profile, spec.name, spec.index, self.boot, username)

    def neighbors(self, protocol: str) -> list[Neighbor]:
        """Who this device hears over ``cdp`` or ``lldp`` right now (links with both ends
        up)."""
        return neighbors(self, protocol)

    def addresses(self) -> set[str]:
        """What answers a ping on this device: its listening address and the addresses of
        its up interfaces."""
        found = {self.spec.host}
        if self.ios_config is not None:
            views = ios_interfaces(self.ios_config, self.spec.index)
            found |= {v.address for v in views if v.enabled and v.address}
        return found

    def reachable(self, address: str) -> bool:
        if self.network is not None:
            return self.network(address)
        return address in self.addresses()

    def reboot(self, *, drop_sessions: bool = True) -> None:
        """``reload`` confirmed: the running configuration goes back to the saved one, the
        uptime starts again, every session drops (new ones are accepted at once; with
        ``drop_sessions`` False the caller drops them). Files (flash) stay."""
        if self.ios_config is not None:
            self.ios_config.blocks = parse_config_text(self.startup_config)
        self.boot = datetime.now(UTC)
        self.reloads += 1
        if drop_sessions:
            self.drop_sessions()

    def drop_sessions(self) -> None:
        for conn in list(self.connections):
            conn.abort()

    def command_delay(self, line: str) -> float:
        """Artificial latency: only for non-empty lines (clients send bare newlines to find
        the prompt)."""
        if not line.strip():
            return 0.0
        extra = self.fault.delay if self.fault and self.fault.kind == "slow" else 0.0
        return self.spec.delay + extra

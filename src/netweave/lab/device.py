"""One simulated device: its spec, configuration state, faults and open sessions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from netweave.lab.cli_common import CliSession
from netweave.lab.cli_ios import IosCli
from netweave.lab.cli_junos import JunosCli
from netweave.lab.cli_linux import LinuxShell
from netweave.lab.config_ios import IosConfig
from netweave.lab.files import FileStore
from netweave.lab.junos import JunosConfig
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
    def __init__(self, spec: LabDeviceSpec, neighbours: list[str] | None = None) -> None:
        self.spec = spec
        self.profile = PLATFORMS[spec.platform]
        self.boot = datetime.now(UTC) - timedelta(days=9, hours=3, minutes=4 + spec.index % 50)
        self.neighbours = neighbours or []
        self.fault: Fault | None = None
        self.connections: set[asyncssh.SSHServerConnection] = set()
        self.streams = 0  # long commands (``ping ... repeat N``) writing output right now
        self.ios_config: IosConfig | None = None
        self.junos_config: JunosConfig | None = None
        self.startup_config = ""
        self.files = FileStore()
        family = self.profile.family
        if family in ("ios", "eos"):
            self.ios_config = IosConfig(self.profile, spec.name, spec.index)
            self.startup_config = self.ios_config.render()
        elif family == "junos":
            self.junos_config = JunosConfig(self.profile, spec.name, spec.index)

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
                self.neighbours,
                lambda: self.startup_config,
                self._save,
                self.files,
            )
        if self.junos_config is not None:
            return JunosCli(self.profile, self.junos_config, spec.index, self.boot, username)
        return LinuxShell(self.profile, spec.name, spec.index, self.boot, username)

    def command_delay(self, line: str) -> float:
        """Artificial latency: only for non-empty lines (clients send bare newlines to find
        the prompt)."""
        if not line.strip():
            return 0.0
        extra = self.fault.delay if self.fault and self.fault.kind == "slow" else 0.0
        return self.spec.delay + extra

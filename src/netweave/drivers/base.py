"""The driver port: what the session pool and the executor need from any device library."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from netweave.foundation.plugins import PluginRegistry

QueueStrategy = Literal["pinned", "fifo"]


class DriverError(Exception):
    """A device-side failure. ``kind`` feeds NetPulse's error type; ``retryable`` tells the
    pool whether a read may be retried on a fresh session."""

    def __init__(self, kind: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retryable = retryable


class BaseDriverArgs(BaseModel):
    """Options of one job for a driver; each driver declares its own (unknown keys are a 422)."""

    model_config = ConfigDict(extra="forbid")

    read_timeout: float = Field(default=30, gt=0, le=3600, description="Seconds per command")


class BaseConnectionArgs(BaseModel):
    """What every SSH-based driver needs. Extra keys pass through to the library."""

    model_config = ConfigDict(extra="allow")

    host: str = Field(min_length=1, max_length=255)
    port: int = Field(default=22, ge=1, le=65535)
    username: str | None = Field(default=None, max_length=128)
    password: SecretStr | None = None
    secret: SecretStr | None = Field(default=None, description="Enable secret")
    device_type: str | None = Field(default=None, description="Netmiko device_type / platform")
    timeout: float = Field(default=20, gt=0, le=600)

    def session_key(self, driver: str) -> tuple[str, int, str, str]:
        """Devices are identified by host + port (+ user), never by address alone."""
        return (self.host, self.port, self.username or "", driver)


@dataclass
class CommandOutput:
    command: str
    stdout: str
    stderr: str = ""
    exit_status: int = 0
    duration_seconds: float = 0.0
    parsed: Any = None


@dataclass
class ConfigOutcome:
    """Line-by-line config push: what was applied, what failed, what was skipped."""

    output: str
    applied: list[str] = field(default_factory=list)
    failed_line: str | None = None
    error: str | None = None
    skipped: list[str] = field(default_factory=list)
    saved: bool = False
    duration_seconds: float = 0.0
    diff: str | None = None  # candidate vs running, when the driver can tell
    committed: bool = True  # False for a dry run

    @property
    def ok(self) -> bool:
        return self.failed_line is None


class DriverSession(ABC):
    """One open connection to one device."""

    info: dict[str, Any]

    @abstractmethod
    def run_commands(self, commands: list[str], options: dict[str, Any]) -> list[CommandOutput]: ...

    @abstractmethod
    def push_config(self, lines: list[str], options: dict[str, Any]) -> ConfigOutcome: ...

    @abstractmethod
    def is_alive(self) -> bool: ...

    def keepalive(self) -> bool:
        return self.is_alive()

    @abstractmethod
    def close(self) -> None: ...


class Driver(ABC):
    name: ClassVar[str]
    persistent: ClassVar[bool]
    default_queue_strategy: ClassVar[QueueStrategy]
    connection_args: ClassVar[type[BaseConnectionArgs]] = BaseConnectionArgs
    driver_args: ClassVar[type[BaseDriverArgs]] = BaseDriverArgs

    @abstractmethod
    def connect(self, args: BaseConnectionArgs) -> DriverSession: ...


registry: PluginRegistry[Driver] = PluginRegistry(
    "netweave.drivers",
    Driver,  # type: ignore[type-abstract]
)

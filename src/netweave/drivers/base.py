"""The driver port: what the session pool and the executor need from any device library."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from netweave.drivers.arguments import PassThrough, no_pass_through
from netweave.foundation.plugins import PluginRegistry

QueueStrategy = Literal["pinned", "fifo"]
SessionKey = tuple[str, int, str, str]  # host, port, driver, identity fingerprint

# Keys the session identity by an HMAC, never a plain hash of a password: a per-process random
# key makes the fingerprint useless outside this process (logs, dumps, stats).
_FINGERPRINT_KEY = secrets.token_bytes(32)
_KEY_FILE_FIELDS = (
    "key_file",
    "key_filename",
    "ssh_key_file",
    "ssh_config_file",
    "pkey_file",
    "proxy_key_filename",
)
# Commands that change the terminal (paging, width, monitor): no cheap way back, so the
# session is not reused. Netmiko's own settings at login are the exceptions.
_TERMINAL = re.compile(r"^\s*(ter(m(i(n(al?)?)?)?)?\s|screen-length\b|set\s+cli\s)", re.I)
_OWN_TERMINAL = {"terminal length 0", "terminal width 511"}


# Commands that move a CLI session to another mode (privilege, configuration, a sub-shell).
_MODE = re.compile(
    r"^\s*(en(a(b(le?)?)?)?|dis(a(b(le?)?)?)?|conf(i(g(u(re?)?)?)?)?|end|exit|logout|quit"
    r"|start-shell|cli|edit|top|up)(\s|$)",
    re.I,
)


def changes_mode(command: str) -> bool:
    """Whether ``command`` may leave a CLI session in another mode than it found it, or
    change its terminal settings."""
    return _MODE.match(command) is not None or changes_terminal(command)


def changes_terminal(command: str) -> bool:
    """Whether ``command`` changes the terminal's settings for the rest of the session."""
    if _TERMINAL.match(command) is None:
        return False
    return " ".join(command.lower().split()) not in _OWN_TERMINAL


class DriverError(Exception):
    """A device-side failure. ``kind`` feeds NetPulse's error type; ``retryable`` tells the
    pool whether a read may be retried on a fresh session. ``cause`` (``auth_failed``,
    ``connection_refused``, ``timeout`` ...), ``phase`` and the measured ``elapsed`` seconds
    come from ``netweave.drivers.failures``."""

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        retryable: bool = False,
        cause: str | None = None,
        phase: str | None = None,
        elapsed: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retryable = retryable
        self.cause = cause
        self.phase = phase
        self.elapsed = elapsed


class BaseDriverArgs(BaseModel):
    """Options of one job for a driver; each driver declares its own (unknown keys are a 422)."""

    model_config = ConfigDict(extra="forbid")

    read_timeout: float = Field(default=30, gt=0, le=86_400, description="Seconds per command")


class JumpHost(BaseModel):
    """One SSH jump host (bastion) in front of a device: the driver logs in here first and
    has it forward a TCP connection to the next hop or the device. ``name``: the inventory
    bastion's name (none for a per-request ``proxy_host``)."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1, max_length=255)
    port: int = Field(default=22, ge=1, le=65535)
    username: str | None = Field(default=None, max_length=128)
    password: SecretStr | None = None
    pkey: SecretStr | None = Field(default=None, description="Private key (PEM/OpenSSH text)")
    key_filename: str | None = Field(default=None, max_length=4096)
    passphrase: SecretStr | None = None
    name: str | None = None

    def label(self) -> str:
        where = f"{self.host}:{self.port}"
        return f"jump host {self.name} ({where})" if self.name else f"jump host {where}"


class BaseConnectionArgs(BaseModel):
    """What every SSH-based driver needs. Extra keys pass through to the library when its
    call accepts them (``netweave.drivers.arguments``); any other is refused.

    A jump host comes from the request (NetPulse's ``proxy_*`` fields: one hop) or from the
    inventory (the device's bastion and the bastion's own: ``jump_hosts``, first hop first)."""

    model_config = ConfigDict(extra="allow")

    host: str = Field(min_length=1, max_length=255)
    port: int = Field(default=22, ge=1, le=65535)
    username: str | None = Field(default=None, max_length=128)
    password: SecretStr | None = None
    secret: SecretStr | None = Field(default=None, description="Enable secret")
    device_type: str | None = Field(default=None, description="Netmiko device_type / platform")
    timeout: float = Field(default=20, gt=0, le=600)
    proxy_host: str | None = Field(default=None, min_length=1, max_length=255)
    proxy_port: int = Field(default=22, ge=1, le=65535)
    proxy_username: str | None = Field(default=None, max_length=128)
    proxy_password: SecretStr | None = None
    proxy_pkey: SecretStr | None = None
    proxy_key_filename: str | None = Field(default=None, max_length=4096)
    proxy_passphrase: SecretStr | None = None
    jump_hosts: list[JumpHost] = Field(default_factory=list, max_length=2)
    host_key: str | None = Field(
        default=None,
        max_length=16384,
        description="The device's SSH host key as in known_hosts ('ssh-ed25519 AAAA...'): "
        "strict checking, a different key is refused (host_key_mismatch)",
    )

    @field_validator("host_key")
    @classmethod
    def _known_hosts_line(cls, value: str | None) -> str | None:
        if value is not None:
            parts = value.split()
            if len(parts) < 2 or not parts[0].startswith(("ssh-", "ecdsa-", "sk-")):
                raise ValueError("host_key: expected '<key type> <base64 key>' as in known_hosts")
        return value

    def hops(self) -> list[JumpHost]:
        """The jump hosts in order, first hop first (empty: a direct connection)."""
        if self.proxy_host is None:
            return list(self.jump_hosts)
        proxy = JumpHost(
            host=self.proxy_host,
            port=self.proxy_port,
            username=self.proxy_username or self.username,
            password=self.proxy_password,
            pkey=self.proxy_pkey,
            key_filename=self.proxy_key_filename,
            passphrase=self.proxy_passphrase,
        )
        return [*self.jump_hosts, proxy]

    def session_key(self, driver: str) -> SessionKey:
        """Devices are identified by host + port, never by address alone; a session by its
        device, driver and whole identity: user, secrets and every connection option (a
        wrong password or a missing enable secret never runs on someone else's session)."""
        return (self.host, self.port, driver, self.fingerprint())

    def fingerprint(self) -> str:
        """HMAC (per-process random key) of everything but host and port, secrets included."""
        identity: dict[str, Any] = {}
        for name, value in self.model_dump(exclude={"host", "port"}).items():
            value = _revealed(value)
            identity[name] = value
            if name in _KEY_FILE_FIELDS and isinstance(value, str):
                identity[f"{name}:stat"] = _file_stamp(value)  # a rotated key is a new identity
        text = json.dumps(identity, sort_keys=True, default=repr, separators=(",", ":"))
        return hmac.new(_FINGERPRINT_KEY, text.encode(), hashlib.sha256).hexdigest()[:32]


def _revealed(value: Any) -> Any:
    """``value`` with every secret (nested ones too: jump hosts) in clear, for the HMAC."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {key: _revealed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_revealed(item) for item in value]
    return value


def _file_stamp(path: str) -> list[int]:
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return []
    return [status.st_mtime_ns, status.st_size, status.st_ino]


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


@dataclass
class FileOutcome:
    """One file copied to or from a device: checksums of the bytes that crossed, and the
    device's own md5 of its copy when it can tell (``verified``: None when it cannot)."""

    size: int
    md5: str
    sha256: str
    remote_md5: str | None = None
    duration_seconds: float = 0.0
    protocol: str = "scp"

    @property
    def verified(self) -> bool | None:
        return None if self.remote_md5 is None else self.remote_md5 == self.md5


class DriverSession(ABC):
    """One open connection to one device."""

    info: dict[str, Any]

    @abstractmethod
    def run_commands(self, commands: list[str], options: dict[str, Any]) -> list[CommandOutput]: ...

    def stream_command(
        self, command: str, sink: Callable[[str], None], options: dict[str, Any]
    ) -> CommandOutput:
        """Run one long command, handing its output to ``sink`` as it arrives, until the
        device is done (a detached task); a cancel aborts the session, which ends it. Only
        drivers whose class sets ``streams`` implement it."""
        raise DriverError("invalid_request", "this driver cannot stream a command's output")

    @abstractmethod
    def push_config(self, lines: list[str], options: dict[str, Any]) -> ConfigOutcome: ...

    @abstractmethod
    def is_alive(self) -> bool: ...

    def keepalive(self) -> bool:
        return self.is_alive()

    def settle(self) -> bool:
        """After each job on a kept session: bring it back to its base state (mode, prompt,
        terminal) so the next job does not depend on this one. False: the session cannot be
        trusted any more and is discarded. Must be cheap when nothing changed."""
        return True

    @abstractmethod
    def close(self) -> None: ...

    def put_file(
        self, source: IO[bytes], size: int, remote_path: str, options: dict[str, Any]
    ) -> FileOutcome:
        """Copy ``size`` bytes of ``source`` to ``remote_path`` on the device (drivers
        with ``Driver.transfers_files``)."""
        raise DriverError("driver", "this driver does not transfer files")

    def get_file(
        self, remote_path: str, sink: IO[bytes], max_bytes: int, options: dict[str, Any]
    ) -> FileOutcome:
        """Copy ``remote_path`` from the device into ``sink`` (at most ``max_bytes``)."""
        raise DriverError("driver", "this driver does not transfer files")

    def abort(self) -> None:
        """Called from another thread to interrupt an operation in flight (a canceled job
        or a stopped run): cut the connection so the blocked read fails now. The session
        is discarded afterwards. Default: ``close()``; a driver whose ``close`` is a polite
        exit that waits on the device overrides it to cut the transport instead."""
        self.close()


class Driver(ABC):
    name: ClassVar[str]
    persistent: ClassVar[bool]
    default_queue_strategy: ClassVar[QueueStrategy]
    connection_args: ClassVar[type[BaseConnectionArgs]] = BaseConnectionArgs
    driver_args: ClassVar[type[BaseDriverArgs]] = BaseDriverArgs
    # request-level options (``enable_mode``, ``save``) honoured without a driver arg of
    # that name: e.g. a driver whose sessions are always privileged, or whose commit saves
    implied_options: ClassVar[frozenset[str]] = frozenset()
    checks_host_key: ClassVar[bool] = False  # honours connection_args.host_key
    streams: ClassVar[bool] = False  # implements DriverSession.stream_command (detach)
    transfers_files: ClassVar[bool] = False  # put_file / get_file (NetPulse file_transfer)
    # where extra driver_args / connection_args may go (library calls and refusals)
    driver_rules: ClassVar[PassThrough | None] = None
    connection_rules: ClassVar[PassThrough | None] = None

    @abstractmethod
    def connect(self, args: BaseConnectionArgs) -> DriverSession: ...

    @classmethod
    def pass_through_driver_args(
        cls, extra: dict[str, Any], field: str = "driver_args"
    ) -> dict[str, dict[str, Any]]:
        """``driver_args`` beyond the driver's own, by the library call each goes to;
        ``ArgumentRefused`` (a 422) for one it cannot honour (``netweave.drivers.arguments``).
        By the driver's ``driver_rules``; none: nothing accepted."""
        if cls.driver_rules is None:
            return no_pass_through(cls.name, field, extra)
        return cls.driver_rules.check(extra, field)

    @classmethod
    def pass_through_connection_args(
        cls, extra: dict[str, Any], device_type: str | None, field: str = "connection_args"
    ) -> dict[str, dict[str, Any]]:
        """``connection_args`` beyond the declared ones (``model_extra``) for a device of
        ``device_type``, by the library call each goes to; ``ArgumentRefused`` for one the
        driver cannot honour. By the driver's ``connection_rules``; none: nothing accepted."""
        if cls.connection_rules is None:
            return no_pass_through(cls.name, field, extra)
        return cls.connection_rules.check(extra, field)


registry: PluginRegistry[Driver] = PluginRegistry(
    "netweave.drivers",
    Driver,  # type: ignore[type-abstract]
)

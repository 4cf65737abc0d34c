"""The device side of a terminal: an interactive SSH shell (PTY ``xterm``) opened with the
device's stored credential, decrypted just in time and never kept past the login."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import asyncssh
from sqlalchemy.orm import Session

from netweave.core.inventory.bastions import jump_hosts
from netweave.core.inventory.credential_scope import Destination
from netweave.core.inventory.credentials import resolve_credential
from netweave.core.inventory.devices import get_device
from netweave.db.models import Device
from netweave.drivers.base import JumpHost
from netweave.foundation.errors import InvalidInput
from netweave.foundation.secrets import SecretBox

TERM_TYPE = "xterm"


class DeviceUnreachable(Exception):
    """Connecting or logging in failed; the message is safe to show (no secret in it)."""


@dataclass(frozen=True, repr=False)
class Login:
    host: str
    port: int
    username: str
    password: str | None = field(default=None)
    ssh_key: str | None = field(default=None)
    enable_secret: str | None = field(default=None)
    hops: tuple[JumpHost, ...] = field(default=())  # the device's bastions, first hop first

    def __repr__(self) -> str:  # never print the secrets
        return f"Login({self.username}@{self.host}:{self.port}, secrets=<hidden>)"

    @property
    def secrets(self) -> tuple[str | None, ...]:
        at_hops = tuple(h.password.get_secret_value() for h in self.hops if h.password)
        return (self.password, self.enable_secret, *at_hops)


def terminal_device(session: Session, device_id: int) -> Device:
    """The device, if a terminal can be opened on it (it has a stored credential)."""
    device = get_device(session, device_id)
    if device.credential_id is None:
        raise InvalidInput(
            f"device {device.name!r} has no stored credential: set one to open a terminal",
            field="credential",
        )
    return device


def device_login(session: Session, box: SecretBox, device: Device) -> Login:
    assert device.credential_id is not None
    destination = Destination(device.host, device.port, device.id, "device")
    credential = resolve_credential(session, box, device.credential_id, destination)
    hops = jump_hosts(session, box, device.bastion_id) if device.bastion_id is not None else []
    return Login(
        host=device.host,
        port=device.port,
        username=credential.username,
        password=credential.password,
        ssh_key=credential.ssh_key,
        enable_secret=credential.enable_secret,
        hops=tuple(hops),
    )


@dataclass
class Shell:
    connection: asyncssh.SSHClientConnection
    process: asyncssh.SSHClientProcess[bytes]
    tunnels: list[asyncssh.SSHClientConnection] = field(default_factory=list)  # bastions

    async def read(self) -> bytes:
        """Output as it comes; ``b""`` when the device closed the session."""
        try:
            return await self.process.stdout.read(65536)
        except (asyncssh.Error, OSError, asyncio.IncompleteReadError):
            return b""

    def write(self, data: bytes) -> None:
        with contextlib.suppress(asyncssh.Error, OSError, BrokenPipeError):
            self.process.stdin.write(data)

    def resize(self, cols: int, rows: int) -> None:
        with contextlib.suppress(asyncssh.Error, OSError):
            self.process.change_terminal_size(cols, rows)

    async def close(self) -> None:
        self.process.close()
        for connection in [self.connection, *reversed(self.tunnels)]:
            connection.close()
            with contextlib.suppress(asyncssh.Error, OSError, TimeoutError):
                await asyncio.wait_for(connection.wait_closed(), 5)


def _keys(text: str | None, whose: str) -> list[asyncssh.SSHKey] | None:
    if not text:
        return None
    try:
        return [asyncssh.import_private_key(text)]
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise DeviceUnreachable(f"the stored SSH key of {whose} cannot be read") from exc


async def _connect(
    host: str,
    port: int,
    username: str,
    password: str | None,
    keys: list[asyncssh.SSHKey] | None,
    timeout: float,
    tunnel: asyncssh.SSHClientConnection | None,
    what: str,
) -> asyncssh.SSHClientConnection:
    where = f"{what} {host}:{port}" if what else f"{host}:{port}"
    try:
        return await asyncio.wait_for(
            asyncssh.connect(
                host,
                port,
                tunnel=tunnel,
                username=username,
                password=password,
                client_keys=keys,
                agent_path=None,
                known_hosts=None,  # like the drivers: the inventory is the source of truth
                config=None,
                connect_timeout=timeout,
                login_timeout=timeout,
                keepalive_interval=60,
            ),
            timeout + 1,
        )
    except asyncssh.PermissionDenied as exc:
        raise DeviceUnreachable(
            f"authentication failed on {where} as {username!r}: "
            f"check the {'bastion' if what else 'device'}'s stored credential"
        ) from exc
    except TimeoutError as exc:
        raise DeviceUnreachable(f"no answer from {where} within {timeout:g} s") from exc
    except asyncssh.ChannelOpenError as exc:
        via = f"jump host {tunnel.get_extra_info('peername')[0]}" if tunnel else "a jump host"
        raise DeviceUnreachable(f"{via} would not forward to {where}: {_describe(exc)}") from exc
    except (OSError, asyncssh.Error) as exc:
        raise DeviceUnreachable(f"cannot connect to {where}: {_describe(exc)}") from exc


async def open_shell(login: Login, cols: int, rows: int, timeout: float) -> Shell:
    """An interactive shell on the device, through its bastions when it has some."""
    tunnels: list[asyncssh.SSHClientConnection] = []
    try:
        for hop in login.hops:
            password = hop.password.get_secret_value() if hop.password else None
            key = _keys(hop.pkey.get_secret_value() if hop.pkey else None, hop.label())
            tunnel = tunnels[-1] if tunnels else None
            connection = await _connect(
                hop.host, hop.port, hop.username or "", password, key, timeout, tunnel, "jump host"
            )
            tunnels.append(connection)
        keys = _keys(login.ssh_key, "the device")
        tunnel = tunnels[-1] if tunnels else None
        connection = await _connect(
            login.host, login.port, login.username, login.password, keys, timeout, tunnel, ""
        )
    except BaseException:
        for opened in reversed(tunnels):
            opened.close()
        raise
    where = f"{login.host}:{login.port}"
    try:
        process = await connection.create_process(
            term_type=TERM_TYPE,
            term_size=(cols, rows),
            encoding=None,
            stderr=asyncssh.STDOUT,
        )
    except (OSError, asyncssh.Error) as exc:
        connection.close()
        for opened in reversed(tunnels):
            opened.close()
        raise DeviceUnreachable(f"{where} refused a shell: {_describe(exc)}") from exc
    return Shell(connection, process, tunnels)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, asyncssh.Error):
        return exc.reason or type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__

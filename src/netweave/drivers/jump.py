"""Jump hosts (bastions): log in to each hop with Paramiko, have it forward a TCP connection
to the next hop, and hand the driver the last forwarded channel.

Drivers that take a socket (Netmiko, Paramiko) get the channel itself; the others (scrapli's
libssh2, NAPALM's libraries, pyeapi's HTTP) connect to a :class:`LoopbackForward`: a
listener on 127.0.0.1 piping each connection to its own forwarded channel. Every failure
names the hop it happened at: a refused login or a refused forward at a bastion is never
reported as the device's fault."""

from __future__ import annotations

import contextlib
import io
import select
import socket
import threading
from collections.abc import Callable
from typing import Any

import paramiko

from netweave.drivers import tcp
from netweave.drivers.base import BaseConnectionArgs, DriverError, JumpHost
from netweave.drivers.failures import PhaseClock, failure, seconds

_KEY_TYPES: tuple[type[paramiko.PKey], ...] = (
    paramiko.Ed25519Key,
    paramiko.ECDSAKey,
    paramiko.RSAKey,
)
# RFC 4254 channel-open failure codes
_ADMINISTRATIVELY_PROHIBITED = 1


def load_private_key(text: str, passphrase: str | None, where: str) -> paramiko.PKey:
    """A private key from its PEM/OpenSSH text (never from a file)."""
    for key_type in _KEY_TYPES:
        try:
            return key_type.from_private_key(io.StringIO(text), password=passphrase)
        except paramiko.PasswordRequiredException as exc:
            raise DriverError(
                "invalid_request", f"{where}: the private key needs a passphrase"
            ) from exc
        except (paramiko.SSHException, ValueError):
            continue
    raise DriverError("invalid_request", f"{where}: not a private key paramiko can read")


class JumpChain:
    """Open SSH logins to every hop in order; :meth:`open` forwards to the device."""

    def __init__(self, hops: list[JumpHost], timeout: float) -> None:
        self.hops = hops
        self.timeout = timeout
        self.clients: list[paramiko.SSHClient] = []
        self.forwards: list[LoopbackForward] = []

    @classmethod
    def through(cls, args: BaseConnectionArgs) -> JumpChain | None:
        """The chain ``args`` asks for (its ``hops()``), or None for a direct connection."""
        hops = args.hops()
        return cls(hops, args.timeout) if hops else None

    def open(self, host: str, port: int) -> paramiko.Channel:
        """Log in to each hop, then a forwarded channel to ``host:port`` from the last."""
        sock: Any = None
        try:
            for position, hop in enumerate(self.hops):
                client = self._login(hop, sock)
                self.clients.append(client)
                following = self.hops[position + 1] if position + 1 < len(self.hops) else None
                to_host, to_port = (following.host, following.port) if following else (host, port)
                sock = self._forward(client, hop, to_host, to_port)
        except BaseException:
            self.close()
            raise
        return sock

    def open_loopback(self, host: str, port: int) -> tuple[str, int]:
        """Like :meth:`open`, for a driver that dials an address itself: where to dial."""
        first = self.open(host, port)
        client, hop = self.clients[-1], self.hops[-1]
        forward = LoopbackForward(first, lambda: self._forward(client, hop, host, port))
        self.forwards.append(forward)
        return "127.0.0.1", forward.port

    def _login(self, hop: JumpHost, sock: Any) -> paramiko.SSHClient:
        clock = PhaseClock(f"{hop.host}:{hop.port}", f"logging in to {hop.label()}")
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        options: dict[str, Any] = {
            "hostname": hop.host,
            "port": hop.port,
            "username": hop.username or "",
            "timeout": self.timeout,
            "banner_timeout": self.timeout,
            "auth_timeout": self.timeout,
            "allow_agent": False,
            "look_for_keys": False,
            "sock": sock,
        }
        passphrase = hop.passphrase.get_secret_value() if hop.passphrase else None
        if hop.password is not None:
            options["password"] = hop.password.get_secret_value()
        if hop.pkey is not None:
            options["pkey"] = load_private_key(hop.pkey.get_secret_value(), passphrase, hop.label())
        if hop.key_filename is not None:
            options["key_filename"] = hop.key_filename
            options["passphrase"] = passphrase
        try:
            if sock is None:  # the first hop: TCP_NODELAY before the handshake
                options["sock"] = tcp.connect(hop.host, hop.port, self.timeout)
            client.connect(**options)
        except paramiko.AuthenticationException as exc:
            client.close()
            took = clock.elapsed()
            raise failure(
                "auth_failed",
                f"authentication failed at {hop.label()} for user {hop.username!r} "
                f"after {seconds(took)} s",
                phase=clock.name,
                elapsed=took,
            ) from exc
        except Exception as exc:
            client.close()
            raise _at_hop(clock.error(exc), hop) from exc
        transport = client.get_transport()
        if transport is not None:
            transport.set_keepalive(15)
        return client

    def _forward(
        self, client: paramiko.SSHClient, hop: JumpHost, host: str, port: int
    ) -> paramiko.Channel:
        clock = PhaseClock(f"{hop.host}:{hop.port}", f"forwarding through {hop.label()}")
        transport = client.get_transport()
        assert transport is not None  # connected above
        try:
            return transport.open_channel(
                "direct-tcpip", (host, port), ("127.0.0.1", 0), timeout=self.timeout
            )
        except paramiko.ChannelException as exc:
            took = clock.elapsed()
            if exc.code == _ADMINISTRATIVELY_PROHIBITED:
                raise failure(
                    "forwarding_refused",
                    f"{hop.label()} refused to forward to {host}:{port} "
                    f"(administratively prohibited: TCP forwarding is off or not allowed there)",
                    phase=clock.name,
                    elapsed=took,
                ) from exc
            raise failure(
                "unreachable",
                f"{hop.label()} could not connect to {host}:{port}: {exc.text} "
                f"(after {seconds(took)} s)",
                phase=clock.name,
                elapsed=took,
            ) from exc
        except Exception as exc:
            raise _at_hop(clock.error(exc), hop) from exc

    def close(self) -> None:
        for forward in self.forwards:
            forward.close()
        for client in reversed(self.clients):
            with contextlib.suppress(Exception):
                client.close()
        self.forwards.clear()
        self.clients.clear()


def _at_hop(error: DriverError, hop: JumpHost) -> DriverError:
    """A failure while reaching a bastion says so (the device was never reached)."""
    if hop.label() not in error.message:
        error.message = f"{hop.label()}: {error.message}"
        error.args = (error.message,)
    return error


class LoopbackForward:
    """A listener on 127.0.0.1 (OS-assigned port) for a driver that dials an address itself.
    Each accepted connection is piped to its own forwarded channel from the last hop (the
    first one is ``first``, opened before the driver dials, so a refused forward is reported
    as such); an HTTP driver may open several. It lives as long as the session."""

    def __init__(self, first: paramiko.Channel, opener: Callable[[], paramiko.Channel]) -> None:
        self.spare: paramiko.Channel | None = first
        self.opener = opener
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.closed = threading.Event()
        self.channels: list[paramiko.Channel] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, name="jump-forward", daemon=True).start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                peer, _ = self.listener.accept()
            except OSError:
                return  # closed
            peer.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                channel, self.spare = self.spare, None
            try:
                channel = channel or self.opener()
            except Exception:
                peer.close()
                continue
            self.channels.append(channel)
            threading.Thread(
                target=self._pipe, args=(peer, channel), name="jump-pipe", daemon=True
            ).start()

    def _pipe(self, peer: socket.socket, channel: paramiko.Channel) -> None:
        with peer, contextlib.suppress(OSError, EOFError, paramiko.SSHException):
            while not self.closed.is_set():
                readable, _, _ = select.select([peer, channel], [], [], 0.5)
                if peer in readable:
                    data = peer.recv(65536)
                    if not data:
                        break
                    channel.sendall(data)
                if channel in readable:
                    data = channel.recv(65536)
                    if not data:
                        break
                    peer.sendall(data)
        with contextlib.suppress(Exception):
            channel.close()

    def close(self) -> None:
        self.closed.set()
        with contextlib.suppress(Exception):
            self.listener.close()
        for channel in [*self.channels, *([self.spare] if self.spare else [])]:
            with contextlib.suppress(Exception):
                channel.close()

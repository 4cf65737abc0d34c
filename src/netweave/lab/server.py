"""The asyncssh server: every lab device listens on its own address/port, all on one
event loop. Echo is handled here (no asyncssh line editor) so that typed-ahead input is
echoed only when the device reads it, like a real device."""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import socket
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import asyncssh

from netweave.lab.cli_common import CliSession, Reply, Stream
from netweave.lab.device import Fault, LabDevice
from netweave.lab.eapi import EapiServer
from netweave.lab.files import file_name
from netweave.lab.sftp import SftpServer
from netweave.lab.specs import LabDeviceSpec, LabLink
from netweave.lab.topology import check_links

_HOST_KEY: asyncssh.SSHKey | None = None


def host_key(path: Path | None = None) -> asyncssh.SSHKey:
    """One host key per process (optionally persisted so clients' known_hosts stay valid)."""
    global _HOST_KEY
    if path is not None and path.exists():
        return asyncssh.read_private_key(str(path))
    if _HOST_KEY is None:
        _HOST_KEY = asyncssh.generate_private_key("ssh-ed25519")
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            _HOST_KEY.write_private_key(str(path))
            path.chmod(0o600)
    return _HOST_KEY


INTERRUPTS = ("\x03", "\x1e")  # Ctrl-C; IOS's escape sequence (Ctrl-Shift-6) sends Ctrl-^


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


class _DeviceSession(asyncssh.SSHServerSession[str]):
    def __init__(self, device: LabDevice, username: str) -> None:
        self.device = device
        self.cli: CliSession = device.new_cli(username)
        self.chan: asyncssh.SSHServerChannel[str] | None = None
        self.pending = ""
        self.raw = bytearray()  # input of a binary (SCP) channel
        self.line = ""
        self.exec_command: str | None = None
        self.subsystem: str | None = None  # "sftp": the channel speaks SFTP, not a CLI
        self.secret = False
        self.last_cr = False
        self.hung = False
        self.closed = False
        self.wakeup = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.eof = False

    # asyncssh callbacks -------------------------------------------------------------
    def connection_made(self, chan: asyncssh.SSHServerChannel[str]) -> None:
        self.chan = chan

    def pty_requested(self, term_type: str, term_size: object, term_modes: object) -> bool:
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        self.exec_command = command
        return True

    def subsystem_requested(self, subsystem: str) -> bool:
        """``sftp`` on the device's file store, ``netconf`` on its configuration (Junos and
        IOS XE only): binary from the first byte."""
        if subsystem not in ("sftp", "netconf"):
            return False
        if subsystem == "netconf" and self.device.netconf is None:
            return False
        self.subsystem = subsystem
        if self.chan is not None:
            self.chan.set_encoding(None)
        return True

    def session_started(self) -> None:
        if self.subsystem == "sftp":
            self.task = asyncio.ensure_future(self._sftp())
        elif self.subsystem == "netconf":
            self.task = asyncio.ensure_future(self._netconf())
        elif self.exec_command is not None and self.exec_command.startswith("scp "):
            self.task = asyncio.ensure_future(self._scp(self.exec_command))
        elif self.exec_command is not None:
            self.task = asyncio.ensure_future(self._run_exec(self.exec_command))
        else:
            self._write(self.cli.prompt())
            self.task = asyncio.ensure_future(self._pump())

    def data_received(self, data: str, datatype: object) -> None:
        if isinstance(data, bytes):  # an SCP transfer: the channel is binary
            self.raw += data
        else:
            self.pending += data
        self.wakeup.set()

    def eof_received(self) -> bool:
        """The client will send no more input. A shell session ends here; an exec channel
        (``ssh -n host cmd`` sends EOF straight after the request, before the command has
        run) and the SCP sink finish their work and exit by themselves."""
        self.eof = True
        self.wakeup.set()
        if self.exec_command is not None or self.subsystem is not None:
            return True  # keep our half open: the command's output is still to come
        self._close()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.wakeup.set()
        if self.task is not None and not self.task.done():
            self.task.cancel()

    # behaviour ------------------------------------------------------------------------
    def _write(self, text: str) -> None:
        if self.chan is not None and not self.closed and text:
            self.chan.write(_crlf(text))

    def _close(self, status: int = 0) -> None:
        if self.chan is not None and not self.closed:
            self.closed = True
            self.chan.exit(status)

    def _fault_blocks(self, line: str) -> bool:
        """Apply drop/hang faults before a command runs; True when it must not run."""
        fault = self.device.fault
        if fault is None or not line.strip():
            return self.hung
        if fault.kind == "hang":
            self.hung = True
            return True
        if fault.kind == "drop":
            fault.commands_seen += 1
            if fault.commands_seen > fault.after:
                self.closed = True
                if self.chan is not None:
                    self.chan.get_connection().abort()
                return True
        return False

    async def _execute(self, line: str) -> Reply | None:
        if self._fault_blocks(line):
            return None
        delay = self.device.command_delay(line)
        if delay:
            await asyncio.sleep(delay)
        return self.cli.handle(line)

    async def _run_exec(self, command: str) -> None:
        if self._fault_blocks(command):
            return
        delay = self.device.command_delay(command)
        if delay:
            await asyncio.sleep(delay)
        reply = self.cli.run_exec(command)
        self._write(reply.output)
        if reply.stream is not None:
            await self._stream(reply.stream)
        if reply.reboot:  # restarted before the client sees the channel close
            self.device.reboot(drop_sessions=False)
        self._close(reply.exit_status)
        if reply.reboot:
            self.device.drop_sessions()

    async def _stream(self, stream: Stream) -> None:
        """Write a long command's output over time; Ctrl-C in the input (or the session
        closing) stops it. ``device.streams`` counts the commands streaming right now."""
        self.device.streams += 1
        try:
            for number in range(stream.count):
                if await self._interrupted(stream.interval):
                    self._write(stream.interrupted(number))
                    return
                self._write(stream.chunk(number))
            self._write(stream.done)
        finally:
            self.device.streams -= 1

    async def _interrupted(self, seconds: float) -> bool:
        """Wait ``seconds``; True at once when an interrupt arrives or the session ends."""
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            hits = [self.pending.index(key) for key in INTERRUPTS if key in self.pending]
            if hits:
                self.pending = self.pending[min(hits) + 1 :]
                return True
            remaining = deadline - asyncio.get_running_loop().time()
            if self.closed:
                return True
            if remaining <= 0:
                return False
            if self.eof:  # no more input can come (an exec channel): just wait
                await asyncio.sleep(remaining)
                continue
            self.wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), remaining)

    async def _wait_for(self, condition: Callable[[], bool]) -> bool:
        while not condition():
            if self.eof or self.closed:
                return condition()
            self.wakeup.clear()
            await self.wakeup.wait()
        return True

    async def _scp(self, command: str) -> None:
        """``scp -t PATH`` (the receiving end: what Netmiko, NAPALM and NetWeave's uploads
        use) or ``scp -f PATH`` (the sending end: downloads). Bytes, not text: the channel
        is switched to binary for the transfer."""
        try:
            words = shlex.split(command)[1:]
        except ValueError:
            words = command.split()[1:]
        flags = {w for w in words if w.startswith("-")}
        target = next((w for w in reversed(words) if not w.startswith("-")), "")
        chan = self.chan
        assert chan is not None
        chan.set_encoding(None)
        raw: Any = chan  # writes bytes from here on
        if "-f" in flags:
            await self._scp_source(raw, target)
        else:
            await self._scp_sink(raw, target)

    async def _scp_sink(self, raw: Any, target: str) -> None:
        raw.write(b"\0")
        while True:
            if not await self._wait_for(lambda: b"\n" in self.raw):
                break
            header, _, rest = bytes(self.raw).partition(b"\n")
            self.raw = bytearray(rest)
            if header.startswith(b"C"):
                _, size_text, name = header[1:].decode().split(" ", 2)
                size = int(size_text)
                raw.write(b"\0")
                if not await self._wait_for(lambda size=size: len(self.raw) > size):  # type: ignore[misc]
                    break
                content = bytes(self.raw[:size])
                self.raw = self.raw[size + 1 :]
                path = target if target and not target.endswith(("/", ":")) else target + name
                self.device.files.write(path, content)
            raw.write(b"\0")
        self._close(0)

    async def _scp_source(self, raw: Any, target: str) -> None:
        """As OpenSSH's ``scp -f``: nothing is sent before the sink's first go-ahead, not
        even the error for a missing file (a client still writing its go-ahead would
        otherwise meet a closed channel instead of the error)."""
        content = self.device.files.read_bytes(target)
        name = file_name(target).rsplit("/", 1)[-1] or "file"
        chunks = []
        if content is not None:
            chunks = [f"C0644 {len(content)} {name}\n".encode(), content + b"\0"]
        for chunk in chunks or [f"\x01scp: {target}: No such file or directory\n".encode()]:
            if not await self._wait_for(lambda: len(self.raw) > 0):  # the client's go-ahead
                self._close(1)
                return
            if self.raw[:1] != b"\0":
                self._close(1)
                return
            del self.raw[:1]
            raw.write(chunk)
        if not chunks:
            self._close(1)
            return
        await self._wait_for(lambda: len(self.raw) > 0)
        self._close(0)

    async def _sftp(self) -> None:
        """Answer SFTP requests until the client closes (see :mod:`netweave.lab.sftp`)."""
        server = SftpServer(self.device.files)
        raw: Any = self.chan  # binary
        while await self._wait_for(lambda: len(self.raw) > 0):
            data, self.raw = bytes(self.raw), bytearray()
            try:
                answer = server.feed(data)
            except ValueError:  # not SFTP: the real servers hang up too
                break
            if answer:
                raw.write(answer)
        self._close(0)

    async def _netconf(self) -> None:
        """NETCONF until either side ends it (see :mod:`netweave.lab.netconf`)."""
        assert self.device.netconf is not None
        raw: Any = self.chan  # binary

        def send(data: bytes) -> None:
            if not self.closed:
                raw.write(data)

        session = self.device.netconf.open(send, self._close)
        try:
            session.start()
            while not session.closed and await self._wait_for(lambda: len(self.raw) > 0):
                data, self.raw = bytes(self.raw), bytearray()
                session.received(data)
        finally:
            session.ended()  # its locks go, even when the connection drops
        self._close(0)

    async def _pump(self) -> None:
        while not self.closed:
            if not self.pending or self.hung:
                self.wakeup.clear()
                await self.wakeup.wait()
                continue
            echo: list[str] = []
            while self.pending and not self.closed:
                char, self.pending = self.pending[0], self.pending[1:]
                if char == "\n" and self.last_cr:
                    self.last_cr = False
                    continue
                self.last_cr = char == "\r"
                if char in "\r\n":
                    echo.append("\r\n")
                    self._write("".join(echo))
                    echo = []
                    line, self.line = self.line, ""
                    was_secret, self.secret = self.secret, False
                    reply = await self._execute(line)
                    if reply is None:
                        break
                    if was_secret and not reply.output:
                        pass
                    self._write(reply.output)
                    if reply.stream is not None:
                        await self._stream(reply.stream)
                    if reply.reboot:  # every session drops, this one included
                        self.device.reboot()
                        return
                    if reply.close:
                        self._close()
                        return
                    self.secret = reply.secret_input
                    self._write(self.cli.prompt())
                elif char in ("\x7f", "\x08"):
                    if self.line:
                        self.line = self.line[:-1]
                        if not self.secret:
                            echo.append("\b \b")
                elif char == "\x03":
                    self.line = ""
                    echo.append("^C\r\n" + self.cli.prompt())
                elif char == "\x15":
                    self.line = ""
                elif char >= " " or char == "\t":
                    self.line += char
                    if not self.secret:
                        echo.append(char)
            if echo:
                self._write("".join(echo))


class _DeviceServer(asyncssh.SSHServer):
    def __init__(self, device: LabDevice) -> None:
        self.device = device
        self.conn: asyncssh.SSHServerConnection | None = None
        self.username = ""

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        self.device.connections.add(conn)
        sock = conn.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.conn is not None:
            self.device.connections.discard(self.conn)

    def begin_auth(self, username: str) -> bool:
        self.username = username
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        fault = self.device.fault
        if fault is not None and fault.kind == "refuse_auth":
            return False
        spec = self.device.spec
        return username == spec.username and password == spec.password

    def kbdint_auth_supported(self) -> bool:
        return True

    def get_kbdint_challenge(
        self, username: str, lang: str, submethods: str
    ) -> tuple[str, str, str, list[tuple[str, bool]]]:
        return "", "", "", [("Password: ", False)]

    def validate_kbdint_response(self, username: str, responses: Sequence[str]) -> bool:
        return len(responses) == 1 and self.validate_password(username, responses[0])

    def session_requested(self) -> _DeviceSession:
        return _DeviceSession(self.device, self.username)


class Lab:
    """Many simulated devices served from the running event loop."""

    def __init__(
        self,
        specs: list[LabDeviceSpec],
        *,
        host_key_path: Path | None = None,
        links: Sequence[LabLink] = (),
    ) -> None:
        check_links(specs, links)
        self.specs = specs
        self.links = list(links)
        self.host_key_path = host_key_path
        self.devices: list[LabDevice] = []
        self._by_name: dict[str, LabDevice] = {}
        self._servers: list[asyncssh.SSHAcceptor] = []
        self._eapi: list[EapiServer] = []

    async def start(self) -> None:
        key = host_key(self.host_key_path)
        for spec in self.specs:
            device = LabDevice(spec)
            device.network = self.answers  # a ping from a device reaches the whole lab
            server = await asyncssh.create_server(
                lambda device=device: _DeviceServer(device),
                spec.host,
                spec.port,
                server_host_keys=[key],
                line_editor=False,
                reuse_address=True,
                keepalive_interval=0,
            )
            spec.port = server.sockets[0].getsockname()[1]
            self._servers.append(server)
            if spec.platform == "arista_eos":
                eapi = EapiServer(device)
                spec.eapi_port = await eapi.start(spec.host, spec.eapi_port or 0)
                self._eapi.append(eapi)
            self.devices.append(device)
            self._by_name[spec.name] = device
        for link in self.links:  # both ends hear each other (CDP, LLDP)
            source, destination = self._by_name[link.source], self._by_name[link.destination]
            source.attachments.append(
                (link.source_interface, destination, link.destination_interface)
            )
            destination.attachments.append(
                (link.destination_interface, source, link.source_interface)
            )

    async def stop(self) -> None:
        for device in self.devices:
            for conn in list(device.connections):
                conn.abort()
        for server in self._servers:
            server.close()
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()
        for eapi in self._eapi:
            await eapi.stop()
        self._eapi.clear()

    def device(self, name: str) -> LabDevice:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no lab device named {name!r}") from None

    def set_fault(self, name: str, fault: Fault) -> None:
        self.device(name).fault = fault

    def clear_fault(self, name: str) -> None:
        self.device(name).fault = None

    def kill_sessions(self, name: str) -> int:
        device = self.device(name)
        connections = list(device.connections)
        for conn in connections:
            conn.abort()
        return len(connections)

    def answers(self, address: str) -> bool:
        """Whether ``address`` answers a ping from a lab device: an address the lab listens
        on or an up interface's address of any of its devices."""
        return any(address in device.addresses() for device in self.devices)

    @property
    def session_count(self) -> int:
        return sum(len(device.connections) for device in self.devices)

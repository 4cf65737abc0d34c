"""Syslog listeners: UDP datagrams and TCP streams (RFC 6587 octet counting or newline
framing, detected per connection) on one asyncio loop in a thread. Every message goes
into a bounded queue; when it is full the message is counted as dropped, so a flood never
blocks the loop or grows memory."""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

log = logging.getLogger(__name__)
MAX_MESSAGE = 64 * 1024
MAX_FRAME = MAX_MESSAGE * 4  # an octet count above this is broken framing
UDP_BUFFER = 8 * 1024 * 1024

# raw message, source address, arrival time, whether its TCP framing was broken
Received = tuple[bytes, str, datetime, bool]


@dataclass
class ListenerCounters:
    received: int = 0
    dropped: int = 0
    oversized: int = 0
    malformed: int = 0  # broken TCP framing with nothing left to store (the rest is stored)
    tcp_connections: int = 0
    by_transport: dict[str, int] = field(default_factory=lambda: {"udp": 0, "tcp": 0})


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, accept: Callable[[bytes, str, str], None]) -> None:
        self.accept = accept

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        self.accept(data, str(addr[0]), "udp")


class SyslogListener:
    def __init__(self, host: str, udp_port: int | None, tcp_port: int | None, capacity: int):
        self.host = host
        self.udp_port = udp_port
        self.tcp_port = tcp_port
        self.queue: queue.Queue[Received] = queue.Queue(maxsize=capacity)
        self.counters = ListenerCounters()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._closers: list[Callable[[], None]] = []
        self._udp_inode: int | None = None

    # -- intake -----------------------------------------------------------------------
    def accept(self, data: bytes, source: str, transport: str, malformed: bool = False) -> None:
        counters = self.counters
        counters.received += 1
        counters.by_transport[transport] += 1
        if len(data) > MAX_MESSAGE:
            counters.oversized += 1
            data = data[:MAX_MESSAGE]
        try:
            self.queue.put_nowait((data, source, datetime.now(UTC), malformed))
        except queue.Full:
            counters.dropped += 1

    async def _tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        source = str(peer[0]) if peer else ""
        self.counters.tcp_connections += 1
        try:
            while True:
                first = await reader.read(1)
                if not first:
                    return
                if first in (b"\n", b"\r", b"\x00"):
                    continue
                if first.isdigit():  # octet counting (RFC 6587): "LEN SP MSG"
                    await self._counted(reader, first, source)
                else:  # non-transparent framing: a newline ends the message
                    self.accept(await self._line(reader, first), source, "tcp")
        except ConnectionError:
            return
        finally:
            writer.close()

    async def _counted(self, reader: asyncio.StreamReader, head: bytes, source: str) -> None:
        """One octet-counted frame. A broken count (not digits then a space, or more than
        a frame may hold) loses the framing: the rest of that line is kept as a message
        and counted as malformed. A frame cut by the end of the stream is kept as far as
        it came, counted as malformed too."""
        while len(head) <= len(str(MAX_FRAME)) and head[-1:].isdigit():
            byte = await reader.read(1)
            if not byte:
                self._malformed(head, source)
                return
            head += byte
        if not head.endswith(b" ") or not 0 < int(head[:-1]) <= MAX_FRAME:
            self._malformed(await self._line(reader, head), source)
            return
        try:
            self.accept(await reader.readexactly(int(head[:-1])), source, "tcp")
        except asyncio.IncompleteReadError as exc:
            self._malformed(exc.partial, source)

    async def _line(self, reader: asyncio.StreamReader, head: bytes) -> bytes:
        """The rest of a line; past the stream's limit, the line is cut (counted oversized
        by ``accept``) and what follows up to the newline is skipped."""
        try:
            line = head + await reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:  # no final newline: the message anyway
            line = head + exc.partial
        except asyncio.LimitOverrunError as exc:
            line = head + await reader.readexactly(exc.consumed)
            while True:  # discard the remainder of the oversized line
                try:
                    await reader.readuntil(b"\n")
                    break
                except asyncio.LimitOverrunError as more:
                    await reader.readexactly(more.consumed)
                except asyncio.IncompleteReadError:
                    break
        return line.rstrip(b"\r\n\x00")

    def _malformed(self, data: bytes, source: str) -> None:
        if data.strip(b"\r\n\x00 "):
            self.accept(data, source, "tcp", malformed=True)
        else:
            self.counters.malformed += 1

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="syslog", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._open())
        except BaseException as exc:  # a port in use: report to start()
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        loop.run_forever()
        for close in self._closers:
            close()
        loop.run_until_complete(asyncio.sleep(0))
        loop.close()

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        if self.udp_port is not None:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_DGRAM)
            # a deep kernel buffer absorbs bursts while the loop is busy (capped by rmem_max)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_BUFFER)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.udp_port))
            self._udp_inode = os.fstat(sock.fileno()).st_ino
            transport, _ = await loop.create_datagram_endpoint(lambda: _Udp(self.accept), sock=sock)
            self.udp_port = transport.get_extra_info("sockname")[1]
            self._closers.append(transport.close)
        if self.tcp_port is not None:
            server = await asyncio.start_server(
                self._tcp, self.host, self.tcp_port, limit=MAX_FRAME
            )
            self.tcp_port = server.sockets[0].getsockname()[1]
            self._closers.append(server.close)

    def kernel_dropped(self) -> int:
        """Datagrams the kernel discarded because the UDP receive buffer was full (Linux:
        the drops column of /proc/net/udp for this socket; 0 where unknown)."""
        return udp_drops(self._udp_inode) if self._udp_inode is not None else 0

    def stop(self) -> None:
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)


PROC_UDP = ("/proc/net/udp", "/proc/net/udp6")


def udp_drops(inode: int) -> int:
    """The kernel's drop counter of the UDP socket with this inode (0 when not found)."""
    for table in PROC_UDP:
        try:
            with open(table, encoding="ascii") as handle:
                next(handle, None)  # the header
                for line in handle:
                    fields = line.split()
                    if len(fields) >= 13 and fields[9] == str(inode):
                        return int(fields[12])
        except (OSError, ValueError):
            continue
    return 0

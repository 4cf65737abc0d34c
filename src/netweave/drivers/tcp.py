"""The TCP connection under an SSH client, opened with ``TCP_NODELAY`` before the handshake.

SSH's key exchange and password login are small messages written in several pieces; with
Nagle's algorithm on, each exchange waits for the peer's delayed ACK, ~40 ms twice per
login (Paramiko opening its own socket: 88 ms to log in to a lab device; on a socket opened
here: 3.7 ms). Later small command writes would wait the same way."""

from __future__ import annotations

import contextlib
import socket
from typing import Any


def connect(host: str, port: int, timeout: float) -> socket.socket:
    """A connected socket to ``host:port`` (every address tried, as Paramiko does), with
    ``TCP_NODELAY``; OSError (refused, unreachable, timed out) as the socket raises it."""
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def set_nodelay(transport: Any) -> None:
    """``TCP_NODELAY`` on an open Paramiko transport's socket (when it is a TCP socket)."""
    with contextlib.suppress(Exception):
        transport.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


IDLE_POLL = 1.0  # seconds: how often an idle SSH transport's reader thread wakes up


def poll_slowly(transport: Any) -> None:
    """Paramiko's reader thread wakes every 0.1 s to check its transport is still active:
    18 % of a core for 1,000 idle sessions. Once a second does the same (keepalives are
    sent on time; a close cuts the socket with :func:`shutdown`, which wakes it at once)."""
    with contextlib.suppress(Exception):
        transport.sock.settimeout(IDLE_POLL)


def shutdown(transport: Any) -> None:
    """End the TCP connection now (the device sees it closed at once, the reader thread
    wakes), before Paramiko closes the socket."""
    with contextlib.suppress(Exception):
        transport.sock.shutdown(socket.SHUT_RDWR)

"""SCP over an open SSH connection (a Paramiko ``Transport``): a new channel on the session
the job already holds, so no second login, and jump hosts work as for commands.

The protocol is spoken here rather than by the ``scp`` package: what the device sends is
not trusted. Only one regular file is accepted, of the size announced and at most
``max_bytes``; its name is ignored (the file goes where the caller said, never to a path
the device chose), and directories or recursion are refused."""

from __future__ import annotations

import hashlib
import re
import shlex
import time
from dataclasses import dataclass
from typing import IO, Any

CHUNK = 32768
_HEADER = re.compile(rb"^C[0-7]{4} (\d{1,15}) [^/\n]+$")


class ScpError(Exception):
    """The device refused or broke the transfer (its own message when it gave one)."""


@dataclass
class Transferred:
    size: int
    md5: str
    sha256: str
    duration_seconds: float


def _quote(path: str) -> str:
    return shlex.quote(path)


def _open(transport: Any, command: str, timeout: float) -> Any:
    channel = transport.open_session(timeout=timeout)
    channel.settimeout(timeout)
    channel.exec_command(command)
    return channel


def _ack(channel: Any) -> None:
    """Read the other end's one-byte answer: 0 ok, 1/2 an error with a message line."""
    code = channel.recv(1)
    if code == b"\0":
        return
    if not code:
        raise ScpError("the device closed the SCP channel")
    message = _line(channel, 1024).decode("utf-8", "replace").strip()
    raise ScpError(message or f"the device answered {code!r}")


def _line(channel: Any, limit: int) -> bytes:
    data = bytearray()
    while len(data) < limit:
        byte = channel.recv(1)
        if not byte or byte == b"\n":
            break
        data += byte
    return bytes(data)


def put(
    transport: Any, source: IO[bytes], size: int, remote_path: str, timeout: float
) -> Transferred:
    """Send ``size`` bytes of ``source`` to ``remote_path`` (``scp -t``)."""
    started = time.perf_counter()
    md5, sha256 = hashlib.md5(), hashlib.sha256()
    name = remote_path.replace("\\", "/").rsplit("/", 1)[-1].rsplit(":", 1)[-1] or "file"
    channel = _open(transport, f"scp -t {_quote(remote_path)}", timeout)
    try:
        _ack(channel)
        channel.sendall(f"C0644 {size} {name}\n".encode())
        _ack(channel)
        sent = 0
        while sent < size:
            chunk = source.read(min(CHUNK, size - sent))
            if not chunk:
                raise ScpError(f"the staged file ended after {sent} of {size} bytes")
            md5.update(chunk)
            sha256.update(chunk)
            channel.sendall(chunk)
            sent += len(chunk)
        channel.sendall(b"\0")
        _ack(channel)
        channel.shutdown_write()
    finally:
        channel.close()
    return Transferred(size, md5.hexdigest(), sha256.hexdigest(), time.perf_counter() - started)


def get(
    transport: Any, remote_path: str, sink: IO[bytes], max_bytes: int, timeout: float
) -> Transferred:
    """Receive ``remote_path`` (``scp -f``) into ``sink``: one regular file, at most
    ``max_bytes`` (a larger one is refused before its content is read)."""
    started = time.perf_counter()
    md5, sha256 = hashlib.md5(), hashlib.sha256()
    channel = _open(transport, f"scp -f {_quote(remote_path)}", timeout)
    try:
        try:
            channel.sendall(b"\0")
        except OSError:  # closed already: an error it sent first is still in the buffer
            if not channel.recv_ready():
                raise
        first = channel.recv(1)
        if first in (b"\1", b"\2"):
            message = _line(channel, 1024).decode("utf-8", "replace").strip()
            raise ScpError(message or "the device refused the download")
        if first != b"C":
            raise ScpError(
                "the device did not send a regular file (a directory, or not SCP?)"
                if first
                else "the device closed the SCP channel"
            )
        header = b"C" + _line(channel, 4096)
        match = _HEADER.match(header)
        if match is None:
            raise ScpError("the device sent a malformed SCP header")
        size = int(match.group(1))
        if size > max_bytes:
            raise ScpError(f"the file is {size} bytes, more than the {max_bytes} bytes allowed")
        channel.sendall(b"\0")
        received = 0
        while received < size:
            chunk = channel.recv(min(CHUNK, size - received))
            if not chunk:
                raise ScpError(f"the device closed the transfer after {received} of {size} bytes")
            md5.update(chunk)
            sha256.update(chunk)
            sink.write(chunk)
            received += len(chunk)
        _ack(channel)  # the source's end-of-file marker
        channel.sendall(b"\0")
    finally:
        channel.close()
    return Transferred(size, md5.hexdigest(), sha256.hexdigest(), time.perf_counter() - started)

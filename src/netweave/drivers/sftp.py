"""SFTP over an open SSH connection (a Paramiko ``Transport``): a new channel on the session
the job already holds, as :mod:`netweave.drivers.scp` does, for devices that serve the
``sftp`` subsystem (IOS XE with ``ip sftp server``... Linux, Junos).

What the device says is not trusted: a download's size is read first and a file larger than
``max_bytes`` is refused before any of it is read, and no more than the announced size is
written to the sink."""

from __future__ import annotations

import hashlib
import time
from typing import IO, Any

import paramiko

from netweave.drivers.scp import CHUNK, ScpError, Transferred


class SftpError(ScpError):
    """The device refused or broke the transfer (its own message when it gave one)."""


def _client(transport: Any, timeout: float) -> paramiko.SFTPClient:
    try:
        client = paramiko.SFTPClient.from_transport(transport)
    except paramiko.SSHException as exc:
        raise SftpError(f"the device has no SFTP server: {exc}") from exc
    if client is None:
        raise SftpError("the device refused the SFTP channel")
    channel = client.get_channel()
    if channel is not None:
        channel.settimeout(timeout)
    return client


def put(
    transport: Any, source: IO[bytes], size: int, remote_path: str, timeout: float
) -> Transferred:
    """Send ``size`` bytes of ``source`` to ``remote_path``, then check the device's size."""
    started = time.perf_counter()
    md5, sha256 = hashlib.md5(), hashlib.sha256()
    client = _client(transport, timeout)
    try:
        try:
            with client.open(remote_path, "wb") as remote:
                remote.set_pipelined(True)
                sent = 0
                while sent < size:
                    chunk = source.read(min(CHUNK, size - sent))
                    if not chunk:
                        raise SftpError(f"the staged file ended after {sent} of {size} bytes")
                    md5.update(chunk)
                    sha256.update(chunk)
                    remote.write(chunk)
                    sent += len(chunk)
            stored = client.stat(remote_path).st_size
        except paramiko.SSHException as exc:  # the connection went away mid-transfer
            raise ConnectionError(str(exc) or type(exc).__name__) from exc
        except OSError as exc:
            if isinstance(exc, TimeoutError | ConnectionError):
                raise
            raise SftpError(_said(exc)) from exc
        if stored != size:
            raise SftpError(f"the device stored {stored} bytes of {size}")
    finally:
        client.close()
    return Transferred(size, md5.hexdigest(), sha256.hexdigest(), time.perf_counter() - started)


def get(
    transport: Any, remote_path: str, sink: IO[bytes], max_bytes: int, timeout: float
) -> Transferred:
    """Receive ``remote_path`` into ``sink``: at most ``max_bytes`` (refused before reading)."""
    started = time.perf_counter()
    md5, sha256 = hashlib.md5(), hashlib.sha256()
    client = _client(transport, timeout)
    try:
        try:
            size = client.stat(remote_path).st_size or 0
            if size > max_bytes:
                raise SftpError(
                    f"the file is {size} bytes, more than the {max_bytes} bytes allowed"
                )
            received = 0
            with client.open(remote_path, "rb") as remote:
                remote.prefetch(size)
                while received < size:
                    chunk = remote.read(min(CHUNK, size - received))
                    if not chunk:
                        raise SftpError(
                            f"the device ended the transfer after {received} of {size} bytes"
                        )
                    md5.update(chunk)
                    sha256.update(chunk)
                    sink.write(chunk)
                    received += len(chunk)
        except paramiko.SSHException as exc:  # the connection went away mid-transfer
            raise ConnectionError(str(exc) or type(exc).__name__) from exc
        except OSError as exc:
            if isinstance(exc, TimeoutError | ConnectionError):
                raise
            raise SftpError(_said(exc)) from exc
    finally:
        client.close()
    return Transferred(size, md5.hexdigest(), sha256.hexdigest(), time.perf_counter() - started)


def _said(exc: OSError) -> str:
    """Paramiko's IOError from an SFTP status: the device's words."""
    return exc.strerror or str(exc) or type(exc).__name__

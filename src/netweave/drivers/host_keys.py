"""Strict host key checking for the Paramiko-based drivers: ``connection_args.host_key`` (a
known_hosts key, ``'<type> <base64>'``) pins the device's key; any other key is refused with
Paramiko's ``BadHostKeyException`` (classified ``host_key_mismatch``), an unknown one never
added. Without it, a key is accepted on first sight, as the drivers always did."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator

import paramiko
from paramiko.hostkeys import HostKeyEntry

from netweave.drivers.base import BaseConnectionArgs, DriverError


def known_host_name(host: str, port: int) -> str:
    """The name known_hosts files the key under (``[host]:port`` off port 22)."""
    return host if port == 22 else f"[{host}]:{port}"


def pinned_key(args: BaseConnectionArgs) -> tuple[str, paramiko.PKey] | None:
    """(known_hosts name, key) of ``args.host_key``, or None (no pinning)."""
    if args.host_key is None:
        return None
    name = known_host_name(args.host, args.port)
    try:
        entry = HostKeyEntry.from_line(f"{name} {args.host_key}")
    except (paramiko.SSHException, ValueError) as exc:
        raise DriverError(
            "invalid_request", f"host_key: not a key paramiko can read: {exc}"
        ) from exc
    if entry is None or entry.key is None:
        raise DriverError("invalid_request", "host_key: not a key paramiko can read")
    return name, entry.key


def pin(client: paramiko.SSHClient, args: BaseConnectionArgs) -> None:
    """Pin ``args.host_key`` on ``client`` (refuse every other key), or accept any key."""
    found = pinned_key(args)
    if found is None:
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        return
    name, key = found
    client.get_host_keys().add(name, key.get_name(), key)
    client.set_missing_host_key_policy(paramiko.RejectPolicy())


@contextlib.contextmanager
def known_hosts_file(args: BaseConnectionArgs) -> Iterator[str | None]:
    """A private known_hosts file holding only the pinned key, for a library that reads
    one (Netmiko's ``alt_key_file``); None without pinning. Removed afterwards."""
    found = pinned_key(args)
    if found is None:
        yield None
        return
    name, key = found
    handle, path = tempfile.mkstemp(prefix="netweave-known-hosts-")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(f"{name} {key.get_name()} {key.get_base64()}\n")
        yield path
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)

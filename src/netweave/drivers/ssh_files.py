"""File transfers for the SSH drivers: SCP (or SFTP) on the session's own connection, then
the device's md5 of its copy (``verify /md5``, ``md5sum``, ``file checksum md5``) compared
with the md5 of the bytes that crossed."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from typing import IO, Any, Literal

from netweave.drivers import scp, sftp
from netweave.drivers.base import DriverError, FileOutcome
from netweave.drivers.failures import PhaseClock, seconds

# algorithm → device_type prefix → the command printing a file's digest, and where the
# digest is in its output: after "=" (``verify /md5 (flash:x) = <hex>``, Junos's
# ``MD5 (x) = <hex>``) or first on its line (``md5sum``)
_HEX = {"md5": 32, "sha256": 64, "sha512": 128}
_AFTER_EQUALS, _LINE_START = r"=\s*([0-9a-f]{%d})\b", r"(?m)^([0-9a-f]{%d})\s"
_DIGEST_COMMANDS: dict[str, tuple[tuple[tuple[str, ...], str, str], ...]] = {
    "md5": (
        (("cisco_", "arista_"), "verify /md5 {path}", _AFTER_EQUALS),
        (("linux",), "md5sum {quoted}", _LINE_START),
        (("juniper",), "file checksum md5 {path}", _AFTER_EQUALS),
    ),
    "sha256": (
        (("linux",), "sha256sum {quoted}", _LINE_START),
        (("juniper",), "file checksum sha-256 {path}", _AFTER_EQUALS),
    ),
    "sha512": (
        (("cisco_", "arista_"), "verify /sha512 {path}", _AFTER_EQUALS),
        (("linux",), "sha512sum {quoted}", _LINE_START),
    ),
}
Protocol = Literal["scp", "sftp"]


def digest_command(
    device_type: str | None, remote_path: str, algorithm: str = "md5"
) -> tuple[str, re.Pattern[str]] | None:
    """The command printing ``remote_path``'s digest (``md5``, ``sha256``, ``sha512``) on
    this platform, and where the digest is in its output (None: no known command)."""
    for prefixes, template, where in _DIGEST_COMMANDS.get(algorithm, ()):
        if (device_type or "").startswith(prefixes):
            command = template.format(path=remote_path, quoted=shlex.quote(remote_path))
            return command, re.compile(where % _HEX[algorithm])
    return None


def md5_command(device_type: str | None, remote_path: str) -> tuple[str, re.Pattern[str]] | None:
    """The command printing ``remote_path``'s md5 on this platform (None: no known one)."""
    return digest_command(device_type, remote_path, "md5")


def needs_enable(device_type: str | None) -> bool:
    """``verify /md5`` is a privileged EXEC command."""
    return (device_type or "").startswith(("cisco_", "arista_"))


def put(
    transport: Any,
    source: IO[bytes],
    size: int,
    remote_path: str,
    timeout: float,
    target: str,
    remote_md5: Callable[[str], str | None] | None,
    protocol: Protocol = "scp",
) -> FileOutcome:
    clock = PhaseClock(target, f"uploading to {remote_path!r}")
    mover = sftp if protocol == "sftp" else scp
    try:
        moved = mover.put(transport, source, size, remote_path, timeout)
    except scp.ScpError as exc:
        raise _refused("upload to", remote_path, exc, clock) from exc
    except (OSError, EOFError) as exc:
        raise clock.error(exc) from exc
    return _verified(moved, remote_path, clock, remote_md5, protocol)


def get(
    transport: Any,
    remote_path: str,
    sink: IO[bytes],
    max_bytes: int,
    timeout: float,
    target: str,
    remote_md5: Callable[[str], str | None] | None,
    protocol: Protocol = "scp",
) -> FileOutcome:
    clock = PhaseClock(target, f"downloading {remote_path!r}")
    mover = sftp if protocol == "sftp" else scp
    try:
        moved = mover.get(transport, remote_path, sink, max_bytes, timeout)
    except scp.ScpError as exc:
        raise _refused("download of", remote_path, exc, clock) from exc
    except (OSError, EOFError) as exc:
        raise clock.error(exc) from exc
    return _verified(moved, remote_path, clock, remote_md5, protocol)


def _verified(
    moved: scp.Transferred,
    remote_path: str,
    clock: PhaseClock,
    remote_md5: Callable[[str], str | None] | None,
    protocol: Protocol,
) -> FileOutcome:
    outcome = FileOutcome(
        size=moved.size,
        md5=moved.md5,
        sha256=moved.sha256,
        duration_seconds=moved.duration_seconds,
        protocol=protocol,
    )
    if remote_md5 is not None:
        clock.enter(f"verifying {remote_path!r}")
        try:
            outcome.remote_md5 = remote_md5(remote_path)
        except (OSError, EOFError) as exc:
            raise clock.error(exc) from exc
    return outcome


def _refused(what: str, remote_path: str, exc: scp.ScpError, clock: PhaseClock) -> DriverError:
    took = clock.elapsed()
    return DriverError(
        "driver",
        f"{what} {remote_path!r} failed: {exc} after {seconds(took)} s",
        cause="error",
        phase=clock.name,
        elapsed=took,
    )

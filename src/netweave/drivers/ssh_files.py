"""File transfers for the SSH drivers: SCP on the session's own connection, then the
device's md5 of its copy (``verify /md5``, ``md5sum``, ``file checksum md5``) compared
with the md5 of the bytes that crossed."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from typing import IO, Any

from netweave.drivers import scp
from netweave.drivers.base import DriverError, FileOutcome
from netweave.drivers.failures import PhaseClock, seconds

# device_type prefix → the command printing a file's md5, and where the digest is in it
_MD5_COMMANDS: tuple[tuple[tuple[str, ...], str, re.Pattern[str]], ...] = (
    (("cisco_", "arista_"), "verify /md5 {path}", re.compile(r"=\s*([0-9a-f]{32})\b")),
    (("linux",), "md5sum {quoted}", re.compile(r"^([0-9a-f]{32})\s", re.M)),
    (("juniper",), "file checksum md5 {path}", re.compile(r"\b([0-9a-f]{32})\b")),
)


def md5_command(device_type: str | None, remote_path: str) -> tuple[str, re.Pattern[str]] | None:
    """The command printing ``remote_path``'s md5 on this platform (None: no known one)."""
    for prefixes, template, digest in _MD5_COMMANDS:
        if (device_type or "").startswith(prefixes):
            command = template.format(path=remote_path, quoted=shlex.quote(remote_path))
            return command, digest
    return None


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
) -> FileOutcome:
    clock = PhaseClock(target, f"uploading to {remote_path!r}")
    try:
        moved = scp.put(transport, source, size, remote_path, timeout)
    except scp.ScpError as exc:
        raise _refused("upload to", remote_path, exc, clock) from exc
    except (OSError, EOFError) as exc:
        raise clock.error(exc) from exc
    return _verified(moved, remote_path, clock, remote_md5)


def get(
    transport: Any,
    remote_path: str,
    sink: IO[bytes],
    max_bytes: int,
    timeout: float,
    target: str,
    remote_md5: Callable[[str], str | None] | None,
) -> FileOutcome:
    clock = PhaseClock(target, f"downloading {remote_path!r}")
    try:
        moved = scp.get(transport, remote_path, sink, max_bytes, timeout)
    except scp.ScpError as exc:
        raise _refused("download of", remote_path, exc, clock) from exc
    except (OSError, EOFError) as exc:
        raise clock.error(exc) from exc
    return _verified(moved, remote_path, clock, remote_md5)


def _verified(
    moved: scp.Transferred,
    remote_path: str,
    clock: PhaseClock,
    remote_md5: Callable[[str], str | None] | None,
) -> FileOutcome:
    outcome = FileOutcome(
        size=moved.size,
        md5=moved.md5,
        sha256=moved.sha256,
        duration_seconds=moved.duration_seconds,
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

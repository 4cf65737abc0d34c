"""Where a stored version lives in the configuration repository and what its commit says.

``<device>/running-config.txt`` holds the running configuration, ``<device>/show/<command
slug>.txt`` the output of a show command (operational data). A ``/`` in a device name
(names allow it) is written ``%2F`` so that every device is one folder.

A commit's message is ``backup <device> v<version> (run <id>)`` (``backup <device> '<show
command>' v<version> ...`` for operational data), then trailers naming the device, the
command, the version, the path and the SQL row: the repository explains itself to any
git tool, and a commit can be mapped back to its row."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from netweave.foundation.operational import command_slug

AUTHOR = b"NetWeave <netweave@localhost>"
BRANCH = b"refs/heads/main"
RUNNING_CONFIG = "running-config.txt"
SHA = re.compile(r"^[0-9a-f]{7,40}\Z")
_TRAILER = re.compile(r"^(Device|Command|Version|Path|Row): (.*)$", re.MULTILINE)


def device_folder(name: str) -> str:
    return name.replace("/", "%2F")


def file_path(device: str, command: str) -> str:
    """The path of ``device``'s running configuration (``command`` empty) or of a show
    command's output."""
    if not command:
        return f"{device_folder(device)}/{RUNNING_CONFIG}"
    return f"{device_folder(device)}/show/{command_slug(command)}.txt"


def commit_message(
    device: str, command: str, version: int, source: str, run_id: str | None, row_id: int
) -> bytes:
    what = f"{device} '{command}'" if command else device
    title = f"{source} {what} v{version}" + (f" (run {run_id})" if run_id else "")
    trailers = [f"Device: {device}"]
    if command:
        trailers.append(f"Command: {command}")
    trailers += [
        f"Version: {version}",
        f"Path: {file_path(device, command)}",
        f"Row: {row_id}",
    ]
    return (title + "\n\n" + "\n".join(trailers) + "\n").encode()


@dataclass(frozen=True)
class CommitInfo:
    """What a NetWeave commit records (``row``/``version``/``path`` None for a commit
    made by another tool)."""

    sha: str
    time: datetime
    title: str
    message: str
    row: int | None
    version: int | None
    path: str | None
    command: str


def commit_info(sha: str, message: bytes, commit_time: int) -> CommitInfo:
    text = message.decode("utf-8", "replace")
    fields = dict(_TRAILER.findall(text))

    def number(key: str) -> int | None:
        value = fields.get(key, "")
        return int(value) if value.isdigit() else None

    return CommitInfo(
        sha=sha,
        time=datetime.fromtimestamp(commit_time, UTC),
        title=text.split("\n", 1)[0],
        message=text,
        row=number("Row"),
        version=number("Version"),
        path=fields.get("Path"),
        command=fields.get("Command", ""),
    )


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")

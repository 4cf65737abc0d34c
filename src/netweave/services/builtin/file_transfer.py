"""File transfer: SCP or SFTP between the worker and the device, over the device's pooled
Netmiko session (a second channel on its SSH connection: no second login), with the
device's own checksum of its copy compared to the bytes that crossed.

The worker side is confined to one folder (``NETWEAVE_FILE_TRANSFER_DIR``, default
``<data_dir>/files``): local paths are relative to it, and an absolute path, a ``..`` or a
symlink leading out is refused where the service is saved (a 422 naming the input) and
again on the worker after rendering. That is why the type is not privileged: it reads and
writes only that folder on a NetWeave host, and reaches only the target device, with the
device's own credential; an operator can already run commands there."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from netweave.drivers.base import FileOutcome
from netweave.drivers.ssh_files import digest_command
from netweave.services.base import (
    Service,
    ServiceContext,
    ServiceInputs,
    ServiceOutcome,
    Template,
)

MiB = 1024 * 1024
_TEMPLATED = re.compile(r"\{[{%#].*?[}%#]\}", re.S)  # a Jinja2 expression, statement, comment
FOLDER = "the file transfer folder"


def relative(path: str) -> str:
    """``path`` if it is relative and stays below its folder (no ``..``); else ValueError."""
    if not path.strip():
        raise ValueError("must not be empty")
    if any(ord(c) < 32 for c in path):
        raise ValueError("must not contain control characters")
    if Path(path).is_absolute() or path.startswith(("/", "\\", "~")) or path[1:3] == ":\\":
        raise ValueError(f"must be a path relative to {FOLDER} (NETWEAVE_FILE_TRANSFER_DIR)")
    if ".." in Path(path.replace("\\", "/")).parts:
        raise ValueError(f"must not contain '..': it stays inside {FOLDER}")
    return path


def confine(root: Path, path: str) -> Path:
    """``path`` inside ``root`` with symlinks resolved; ValueError when it leaves it."""
    base = root.resolve()
    target = (base / relative(path)).resolve()
    if not target.is_relative_to(base) or target == base:
        raise ValueError(f"resolves outside {FOLDER} (a symlink?)")
    return target


class FileTransferInputs(ServiceInputs):
    direction: Literal["put", "get"] = Field(
        description="put: from the worker's folder to the device; get: from the device"
    )
    protocol: Literal["scp", "sftp"] = Field(
        default="scp", description="SCP (IOS: ip scp server enable) or SFTP"
    )
    source_file: Template = Field(
        min_length=1,
        max_length=1024,
        description="put: a path relative to the file transfer folder; get: the path on the "
        "device (flash:/x.bin). Jinja2 allowed",
    )
    destination_file: Template = Field(
        min_length=1,
        max_length=1024,
        description="put: the path on the device; get: a path relative to the file transfer "
        "folder (e.g. backups/{{ device.name }}.cfg). Jinja2 allowed",
    )
    verify: Literal["none", "md5", "sha256", "sha512"] = Field(
        default="md5",
        description="Compare the device's checksum of its copy with the bytes that crossed "
        "(IOS/EOS: md5, sha512; Linux: all; Junos: md5, sha256)",
    )
    overwrite: bool = Field(
        default=False, description="Replace an existing destination file (else the step fails)"
    )
    max_bytes: int = Field(
        default=100 * MiB, ge=1, le=4096 * MiB, description="get: refuse a larger file"
    )
    timeout: float = Field(default=300, gt=0, le=3600, description="Seconds without progress")
    _root: Path | None = PrivateAttr(default=None)  # the folder, on the validating host

    @field_validator("source_file", "destination_file")
    @classmethod
    def _local_stays_inside(cls, value: str, info: ValidationInfo) -> str:
        local = "source_file" if info.data.get("direction") == "put" else "destination_file"
        if info.field_name != local:
            if any(ord(c) < 32 for c in value):
                raise ValueError("must not contain control characters")
            return value
        if "{" in value:  # its literal parts now; the rendered path on the worker
            relative(_TEMPLATED.sub("x", value))
            return value
        root = (info.context or {}).get("file_transfer_dir")
        if root is None:
            return relative(value)
        confine(Path(root), value)
        return value

    @model_validator(mode="after")
    def _folder(self, info: ValidationInfo) -> FileTransferInputs:
        root = (info.context or {}).get("file_transfer_dir")
        self._root = Path(root) if root is not None else None
        return self


class FileTransfer(Service[FileTransferInputs]):
    title = "File transfer"
    description = "SCP/SFTP a file to or from the device, checksum verified."
    Inputs = FileTransferInputs
    driver = "netmiko"

    def run(self, ctx: ServiceContext, inputs: FileTransferInputs) -> ServiceOutcome:
        if ctx.device is None:
            return ServiceOutcome(False, {"error": "run_method: file transfers run per device"})
        put = inputs.direction == "put"
        source, destination = ctx.render(inputs.source_file), ctx.render(inputs.destination_file)
        local_field = "source_file" if put else "destination_file"
        remote_field = "destination_file" if put else "source_file"
        remote = destination if put else source
        base: dict[str, Any] = {
            "direction": inputs.direction,
            "protocol": inputs.protocol,
            "source": source,
            "destination": destination,
        }
        if inputs._root is None:
            return _failed(base, f"{local_field}: no file transfer folder on this worker")
        try:
            local = confine(inputs._root, destination if not put else source)
        except ValueError as exc:
            return _failed(base, f"{local_field}: {exc}")
        if not remote.strip() or any(ord(c) < 32 for c in remote):
            return _failed(base, f"{remote_field}: must be one line of text")
        algorithm = inputs.verify
        if algorithm != "none" and digest_command(ctx.device.platform, remote, algorithm) is None:
            return _failed(
                base,
                f"verify: NetWeave knows no {algorithm} command on {ctx.device.platform}; "
                "choose another algorithm or none",
            )
        options = {"read_timeout": inputs.timeout, "protocol": inputs.protocol}
        started = time.perf_counter()
        if put:
            moved = self._put(ctx, inputs, local, remote, options)
        else:
            moved = self._get(ctx, inputs, local, remote, options)
        if isinstance(moved, str):
            return _failed(base, moved)
        outcome, device_digest = moved
        ctx.log(f"{inputs.protocol} {inputs.direction}: {outcome.size} bytes, {remote}")
        result = {
            **base,
            "bytes": outcome.size,
            "duration_seconds": round(time.perf_counter() - started, 4),
            "checksum": None,
            "verified": None,
        }
        if algorithm == "none":
            return ServiceOutcome(True, result)
        mine = _local_digest(outcome, local, algorithm)
        verified = device_digest is not None and device_digest == mine
        result["checksum"] = {"algorithm": algorithm, "local": mine, "device": device_digest}
        result["verified"] = verified
        if not verified:
            result["error"] = (
                f"verify: the device printed no {algorithm} of {remote} (enable secret?)"
                if device_digest is None
                else f"verify: {algorithm} mismatch: the device's copy differs"
            )
        return ServiceOutcome(verified, result)

    @staticmethod
    def _put(
        ctx: ServiceContext,
        inputs: FileTransferInputs,
        local: Path,
        remote: str,
        options: dict[str, Any],
    ) -> tuple[FileOutcome, str | None] | str:
        if not local.is_file():
            return f"source_file: no such file in {FOLDER}"
        size = local.stat().st_size

        def action(session: Any) -> tuple[FileOutcome, str | None] | str:
            if not inputs.overwrite and session.remote_digest(remote, "md5") is not None:
                return f"destination_file: {remote} exists on the device (overwrite: false)"
            with local.open("rb") as source:
                outcome = session.put_file(source, size, remote, options)
            return outcome, _device_digest(session, outcome, remote, inputs.verify)

        result: tuple[FileOutcome, str | None] | str = ctx.session_call(
            action, driver="netmiko", read_only=False
        )
        return result

    @staticmethod
    def _get(
        ctx: ServiceContext,
        inputs: FileTransferInputs,
        local: Path,
        remote: str,
        options: dict[str, Any],
    ) -> tuple[FileOutcome, str | None] | str:
        if local.exists() and not inputs.overwrite:
            return f"destination_file: exists in {FOLDER} (overwrite: false)"
        if local.is_dir():
            return f"destination_file: is a folder in {FOLDER}"
        local.parent.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(prefix=".netweave-", dir=local.parent)
        os.close(handle)

        def action(session: Any) -> tuple[FileOutcome, str | None]:
            with open(partial, "wb") as sink:  # a retry starts again from an empty file
                outcome = session.get_file(remote, sink, inputs.max_bytes, options)
            return outcome, _device_digest(session, outcome, remote, inputs.verify)

        try:
            moved: tuple[FileOutcome, str | None] = ctx.session_call(
                action, driver="netmiko", read_only=True
            )
            os.replace(partial, local)  # whole or not at all
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        return moved


def _device_digest(session: Any, outcome: FileOutcome, remote: str, algorithm: str) -> str | None:
    """The device's checksum of its copy (the md5 the driver already read after the
    transfer; another algorithm by its command)."""
    if algorithm == "none":
        return None
    if algorithm == "md5":
        return outcome.remote_md5
    digest: str | None = session.remote_digest(remote, algorithm)
    return digest


def _local_digest(outcome: FileOutcome, local: Path, algorithm: str) -> str:
    """The checksum of the bytes that crossed (computed while they did, or of the local
    file for sha512)."""
    if algorithm == "md5":
        return outcome.md5
    if algorithm == "sha256":
        return outcome.sha256
    digest = hashlib.new(algorithm)
    with local.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _failed(base: dict[str, Any], error: str) -> ServiceOutcome:
    return ServiceOutcome(False, {**base, "error": error})

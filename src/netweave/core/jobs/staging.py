"""Staged files of NetPulse ``file_transfer`` jobs, under ``<data_dir>/staging``: an upload
waits there for the worker that puts it on the device, a download for the client that
fetches it (``GET /storage/fetch/{id}``). Each expires ``staged_file_ttl`` seconds after it
was staged and is deleted then.

A staged file is named by a random id only (32 hex digits, checked before any path is
built): nothing a request says ever becomes a path on the server."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Literal

from netweave.foundation.errors import NetWeaveError, NotFound
from netweave.foundation.private import private_dir
from netweave.foundation.settings import Settings

Kind = Literal["upload", "download"]
CHUNK = 1 << 20
SWEEP_EVERY = 60.0  # seconds between two sweeps of expired files
_ID = re.compile(r"[0-9a-f]{32}")


class FileTooLarge(NetWeaveError):
    status_code = 413


@dataclass
class StagedFile:
    id: str
    kind: Kind
    name: str
    owner_id: int | None
    expires_at: str  # ISO 8601, UTC
    size: int = 0
    md5: str = ""
    sha256: str = ""
    job_id: str | None = None
    device_id: int | None = None
    host: str = ""
    port: int = 0

    @property
    def expired(self) -> bool:
        return datetime.fromisoformat(self.expires_at) <= datetime.now(UTC)


class Staging:
    """The staging directory. Settings are read on each use (their caps may change)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._swept = 0.0
        self._guard = threading.Lock()

    @property
    def root(self) -> Path:
        root = self.settings.data_dir / "staging"
        if not root.is_dir():
            private_dir(root)
        return root

    def _paths(self, file_id: str, field: str = "file_id") -> tuple[Path, Path]:
        if not _ID.fullmatch(file_id):  # never a path built from anything else
            raise NotFound(f"no staged file with id {file_id!r}", field=field)
        return self.root / f"{file_id}.data", self.root / f"{file_id}.json"

    def _new(self, kind: Kind, name: str, owner_id: int | None) -> StagedFile:
        expires = datetime.now(UTC) + timedelta(seconds=self.settings.staged_file_ttl)
        clean = re.sub(r"[^\w.+@-]", "_", os.path.basename(name or ""))[:255] or kind
        return StagedFile(secrets.token_hex(16), kind, clean, owner_id, expires.isoformat())

    def _save(self, staged: StagedFile) -> None:
        _, meta = self._paths(staged.id)
        temporary = meta.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(staged)))
        temporary.replace(meta)

    # -- uploads ------------------------------------------------------------------------
    def stage_upload(self, source: IO[bytes], name: str, owner_id: int | None) -> StagedFile:
        """Copy ``source`` in, hashing it; more than ``file_upload_max_bytes`` is a 413."""
        self.sweep()
        limit = self.settings.file_upload_max_bytes
        staged = self._new("upload", name, owner_id)
        data, _ = self._paths(staged.id)
        md5, sha256 = hashlib.md5(), hashlib.sha256()
        try:
            with data.open("xb") as sink:
                while chunk := source.read(CHUNK):
                    staged.size += len(chunk)
                    if staged.size > limit:
                        raise FileTooLarge(
                            f"the file is larger than {limit} bytes (file_upload_max_bytes)",
                            field="file",
                        )
                    md5.update(chunk)
                    sha256.update(chunk)
                    sink.write(chunk)
            staged.md5, staged.sha256 = md5.hexdigest(), sha256.hexdigest()
            self._save(staged)
        except BaseException:
            self.delete(staged.id)
            raise
        return staged

    # -- downloads ----------------------------------------------------------------------
    def new_download(
        self, name: str, owner_id: int | None, job_id: str, device: tuple[int | None, str, int]
    ) -> tuple[StagedFile, Path]:
        """A download's record and the path its content goes to (then :meth:`finish`)."""
        self.sweep()
        staged = self._new("download", name, owner_id)
        staged.job_id = job_id
        staged.device_id, staged.host, staged.port = device
        return staged, self._paths(staged.id)[0]

    def finish(self, staged: StagedFile, size: int, md5: str, sha256: str) -> None:
        staged.size, staged.md5, staged.sha256 = size, md5, sha256
        self._save(staged)

    # -- lookups ------------------------------------------------------------------------
    def get(self, file_id: str, kind: Kind, field: str = "file_id") -> StagedFile:
        """A staged file that is there and not expired; otherwise a 404 saying which."""
        data, meta = self._paths(file_id, field)
        try:
            staged = StagedFile(**json.loads(meta.read_text()))
        except (OSError, ValueError, TypeError):
            raise NotFound(f"no staged file with id {file_id!r}", field=field) from None
        if staged.kind != kind or not data.is_file():
            raise NotFound(f"no staged file with id {file_id!r}", field=field)
        if staged.expired:
            self.delete(file_id)
            raise NotFound(
                f"the staged file {file_id!r} expired at {staged.expires_at}", field=field
            )
        return staged

    def path(self, staged: StagedFile) -> Path:
        return self._paths(staged.id)[0]

    def delete(self, file_id: str) -> None:
        for path in self._paths(file_id):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def sweep(self, force: bool = False) -> int:
        """Delete expired staged files (at most once a minute unless ``force``)."""
        now = time.monotonic()
        with self._guard:
            if not force and now - self._swept < SWEEP_EVERY:
                return 0
            self._swept = now
        removed = 0
        for meta in self.root.glob("*.json"):
            try:
                expires = datetime.fromisoformat(json.loads(meta.read_text())["expires_at"])
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if expires <= datetime.now(UTC):
                self.delete(meta.stem)
                removed += 1
        cutoff = time.time() - self.settings.staged_file_ttl
        for data in self.root.glob("*.data"):  # content whose record never got written
            with contextlib.suppress(FileNotFoundError):
                if not data.with_suffix(".json").exists() and data.stat().st_mtime < cutoff:
                    data.unlink()
        return removed

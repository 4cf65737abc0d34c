"""eNMS migration folders: one YAML file per object type (``device.yaml``, ``link.yaml``,
``pool.yaml``, ``credential.yaml``, ``user.yaml``, ``service.yaml``,
``workflow_edge.yaml``, ``task.yaml``), each a list of mappings, read from a directory or
from an uploaded ``.zip`` / ``.tar.gz`` of it.

Archives are read in memory, never extracted: only regular files named ``<type>.yaml``
(at the top or inside one folder) are read; a member whose name is absolute or climbs
(``..``) refuses the archive; entry count, each file's size and the unpacked total are
capped before anything is decompressed past them. YAML is loaded with the safe loader
(eNMS's ``!!bool "false"`` / ``!!int "1"`` tags are standard) and alias expansion is
bounded (``foundation.yamldoc``).
"""

from __future__ import annotations

import io
import re
import tarfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from netweave.core.migration.enms.workbook import Records
from netweave.foundation import yamldoc
from netweave.foundation.errors import InvalidInput

TYPES = (
    "device",
    "link",
    "pool",
    "credential",
    "user",
    "service",
    "workflow_edge",
    "task",
)
MAX_ENTRIES = 256  # members of an archive (an eNMS export has a dozen files)
MAX_FILE = 64 * 2**20  # one YAML file
MAX_UNPACKED = 256 * 2**20  # every member together
MAX_RECORDS = 200_000  # objects in one file
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
_FILE = re.compile(r"^([a-z_]+)\.ya?ml\Z")


def is_folder_archive(content: bytes) -> bool:
    """A ``.tar.gz`` / ``.tar``, or a ``.zip`` holding YAML files (an ``.xlsx`` is a zip
    too: it holds XML parts, no YAML)."""
    if content.startswith(GZIP_MAGIC) or _is_tar(content):
        return True
    if not content.startswith(ZIP_MAGIC):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()[: MAX_ENTRIES + 1]
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    return any(_FILE.match(PurePosixPath(name).name) for name in names) and not any(
        name == "[Content_Types].xml" for name in names
    )


def _is_tar(content: bytes) -> bool:
    return len(content) > 262 and content[257:262] == b"ustar"


def read_archive(content: bytes) -> Records:
    """The records of a zipped or tarred migration folder."""
    files = _zip_files(content) if content.startswith(ZIP_MAGIC) else _tar_files(content)
    return _records(files)


def read_directory(path: Path) -> Records:
    """The records of a migration folder on disk (its ``<type>.yaml`` files; others are
    ignored)."""
    files: dict[str, bytes] = {}
    total = 0
    for entry in sorted(path.iterdir())[: MAX_ENTRIES + 1]:
        match = _FILE.match(entry.name)
        if not match or not entry.is_file():
            continue
        size = entry.stat().st_size
        _check_size(entry.name, size)
        total += size
        _check_total(total)
        _add(files, match.group(1), entry.name, entry.read_bytes())
    return _records(files)


def _check_size(name: str, size: int) -> None:
    if size > MAX_FILE:
        raise InvalidInput(f"{name}: larger than {MAX_FILE // 2**20} MiB", field="file")


def _check_total(total: int) -> None:
    if total > MAX_UNPACKED:
        raise InvalidInput(
            f"the folder holds more than {MAX_UNPACKED // 2**20} MiB of YAML", field="file"
        )


def _member(name: str) -> str | None:
    """The object type a member holds, None for a member that is not ours; refuses names
    that are absolute or climb out of the archive."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", name):
        raise InvalidInput(f"archive member {name!r}: a path outside the folder", field="file")
    if len(path.parts) > 2:  # the folder itself may be zipped: folder/device.yaml
        return None
    match = _FILE.match(path.name)
    return match.group(1) if match else None


def _add(files: dict[str, bytes], kind: str, name: str, data: bytes) -> None:
    if kind in files:
        raise InvalidInput(f"{name}: a second {kind}.yaml in the folder", field="file")
    files[kind] = data


def _zip_files(content: bytes) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
            if len(members) > MAX_ENTRIES:
                raise InvalidInput(f"the archive has more than {MAX_ENTRIES} entries", field="file")
            total = 0
            for member in members:
                kind = _member(member.filename)
                if kind is None or member.is_dir():
                    continue
                _check_size(member.filename, member.file_size)
                total += member.file_size
                _check_total(total)
                with archive.open(member) as stream:
                    data = stream.read(MAX_FILE + 1)  # the header's size may lie
                _check_size(member.filename, len(data))
                _add(files, kind, member.filename, data)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise InvalidInput(f"not a readable .zip archive: {exc}", field="file") from exc
    return files


def _tar_files(content: bytes) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(content), mode="r:*") as archive:
            total = 0
            for count, member in enumerate(archive, start=1):
                if count > MAX_ENTRIES:
                    raise InvalidInput(
                        f"the archive has more than {MAX_ENTRIES} entries", field="file"
                    )
                kind = _member(member.name)
                # the sizes count before skipping: skipping a member decompresses it
                total += max(member.size, 0)
                _check_total(total)
                if kind is None or not member.isfile():
                    continue  # links, devices and folders are never followed
                _check_size(member.name, member.size)
                stream = archive.extractfile(member)
                if stream is None:
                    continue
                _add(files, kind, member.name, stream.read(MAX_FILE + 1))
    except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
        raise InvalidInput(f"not a readable .tar.gz archive: {exc}", field="file") from exc
    return files


def _records(files: dict[str, bytes]) -> Records:
    known = {kind: data for kind, data in files.items() if kind in TYPES}
    if not known:
        raise InvalidInput(
            "no eNMS migration file in the folder (expected some of "
            + ", ".join(f"{t}.yaml" for t in TYPES)
            + ")",
            field="file",
        )
    return {kind: _load(kind, known.get(kind)) for kind in TYPES}


def _load(kind: str, data: bytes | None) -> list[tuple[int, dict[str, Any]]]:
    if data is None:
        return []
    where = f"{kind}.yaml"
    try:
        document = yamldoc.load(data, field="file")
    except InvalidInput as exc:  # bad YAML, a tagged value that does not parse, a bomb
        raise InvalidInput(f"{where}: {exc.message}", field="file") from exc
    if document is None:
        return []
    if not isinstance(document, list):
        raise InvalidInput(f"{where}: expected a list of objects", field="file")
    if len(document) > MAX_RECORDS:
        raise InvalidInput(f"{where}: more than {MAX_RECORDS:,} objects", field="file")
    records = []
    for position, item in enumerate(document, start=1):
        if not isinstance(item, dict) or not all(isinstance(key, str) for key in item):
            raise InvalidInput(
                f"{where}: object {position} is not a mapping of property names", field="file"
            )
        records.append((position, item))
    return records

"""Private files: the data directory (secret key, SQLite database, lab files) is 0700 and
the database files 0600, created that way and tightened at start when found looser."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def _tighten(path: Path, mode: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if current & ~mode:  # anything beyond the wanted bits (group/other access)
        with contextlib.suppress(PermissionError):  # not ours: leave it, do not crash
            path.chmod(current & mode)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with the directory itself 0700; tighten it if looser."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _tighten(path, DIR_MODE)
    return path


def private_sqlite_file(path: Path) -> None:
    """Create the SQLite file 0600 before SQLite does (it creates its -wal and -shm with the
    database file's mode), and tighten the file and its side files when looser."""
    if not path.parent.exists():
        return  # SQLite will fail with its own clear error
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    for candidate in (path, *(Path(f"{path}{suffix}") for suffix in SQLITE_SIDE_FILES)):
        if candidate.exists():
            _tighten(candidate, FILE_MODE)

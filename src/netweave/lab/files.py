"""A device's file store (``bootflash:``): what SCP uploads land in (and downloads read
from), and what ``copy``, ``verify /md5``, ``dir`` and ``configure replace`` work on.
Contents are bytes (an image is not text); the CLI reads them as UTF-8."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

FILE_SYSTEM = "bootflash:"
TOTAL_BYTES = 8_000_000_000


def file_name(path: str) -> str:
    """``bootflash:/x.txt``, ``flash:x.txt``, ``x.txt`` → ``x.txt``."""
    name = path.split(":", 1)[1] if ":" in path else path
    return name.lstrip("/")


class FileStore:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.times: dict[str, datetime] = {}

    def write(self, path: str, content: str | bytes) -> None:
        name = file_name(path)
        self.files[name] = content.encode() if isinstance(content, str) else bytes(content)
        self.times[name] = datetime.now(UTC)

    def read(self, path: str) -> str | None:
        data = self.read_bytes(path)
        return None if data is None else data.decode("utf-8", "replace")

    def read_bytes(self, path: str) -> bytes | None:
        return self.files.get(file_name(path))

    def delete(self, path: str) -> bool:
        name = file_name(path)
        self.times.pop(name, None)
        return self.files.pop(name, None) is not None

    def dir(self, path: str = "") -> str:
        target = file_name(path) if path else ""
        names = sorted(self.files)
        if target:
            if target not in self.files:
                return f"%Error opening {FILE_SYSTEM}/{target} (No such file or directory)\n"
            names = [target]
        lines = [f"Directory of {FILE_SYSTEM}/{target}", ""]
        for number, name in enumerate(names, start=11):
            size = len(self.files[name])
            stamp = self.times[name].strftime("%b %d %Y %H:%M:%S +00:00")
            lines.append(f"{number:>6}  -rw-  {size:>10}  {stamp}  {name}")
        used = sum(len(content) for content in self.files.values())
        lines += ["", f"{TOTAL_BYTES} bytes total ({TOTAL_BYTES - used} bytes free)"]
        return "\n".join(lines) + "\n"

    def md5(self, path: str) -> str | None:
        return self.digest(path, "md5")

    def digest(self, path: str, algorithm: str) -> str | None:
        """``md5``, ``sha256`` or ``sha512`` of a file as hex; None when it is missing."""
        content = self.read_bytes(path)
        return None if content is None else hashlib.new(algorithm, content).hexdigest()

"""The ``sftp`` SSH subsystem of a lab device, on its file store (``bootflash:``): enough
of SFTP version 3 (draft-ietf-secsh-filexfer-02) for clients to put, get, stat, list and
remove files. Sans-IO: :meth:`SftpServer.feed` takes the bytes the client sent and returns
the bytes to answer; the SSH session moves them.

Paths name files as the CLI does: ``x.txt``, ``/x.txt``, ``flash:x.txt`` and
``bootflash:/x.txt`` are the same file (the store is flat)."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from netweave.lab.files import FileStore, file_name

INIT, VERSION, OPEN, CLOSE, READ, WRITE, LSTAT, FSTAT = 1, 2, 3, 4, 5, 6, 7, 8
SETSTAT, FSETSTAT, OPENDIR, READDIR, REMOVE, REALPATH, STAT = 9, 10, 11, 12, 13, 16, 17
STATUS, HANDLE, DATA, NAME, ATTRS = 101, 102, 103, 104, 105
OK, EOF, NO_SUCH_FILE, FAILURE, BAD_MESSAGE, UNSUPPORTED = 0, 1, 2, 4, 5, 8
PF_WRITE, PF_CREAT, PF_TRUNC, PF_EXCL = 0x02, 0x08, 0x10, 0x20
ATTR_SIZE, ATTR_PERMISSIONS = 0x01, 0x04
REGULAR_FILE, DIRECTORY = 0o100644, 0o040755
MAX_PACKET = 256 * 1024 + 1024  # a 256 KiB write and its header


class _Malformed(Exception):
    pass


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def take(self, count: int) -> bytes:
        if self.position + count > len(self.data):
            raise _Malformed
        chunk = self.data[self.position : self.position + count]
        self.position += count
        return chunk

    def uint32(self) -> int:
        value: int = struct.unpack(">I", self.take(4))[0]
        return value

    def uint64(self) -> int:
        value: int = struct.unpack(">Q", self.take(8))[0]
        return value

    def string(self) -> bytes:
        return self.take(self.uint32())


def _string(value: bytes | str) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return struct.pack(">I", len(data)) + data


def _attrs(size: int | None, mode: int) -> bytes:
    if size is None:
        return struct.pack(">II", ATTR_PERMISSIONS, mode)
    return struct.pack(">IQI", ATTR_SIZE | ATTR_PERMISSIONS, size, mode)


@dataclass
class _Handle:
    path: str
    writing: bool
    content: bytearray = field(default_factory=bytearray)
    listed: bool = False  # a directory handle whose names were sent


class SftpServer:
    def __init__(self, files: FileStore) -> None:
        self.files = files
        self.buffer = bytearray()
        self.handles: dict[bytes, _Handle] = {}
        self.next_handle = 0

    def feed(self, data: bytes) -> bytes:
        """Answers to every complete request in what has arrived so far."""
        self.buffer += data
        out = bytearray()
        while len(self.buffer) >= 4:
            (length,) = struct.unpack(">I", self.buffer[:4])
            if length > MAX_PACKET or length == 0:
                raise ValueError("malformed SFTP packet")
            if len(self.buffer) < 4 + length:
                break
            packet = bytes(self.buffer[4 : 4 + length])
            del self.buffer[: 4 + length]
            out += self._answer(packet)
        return bytes(out)

    def _answer(self, packet: bytes) -> bytes:
        kind = packet[0]
        reader = _Reader(packet[1:])
        if kind == INIT:
            return self._packet(VERSION, struct.pack(">I", 3))
        try:
            request = reader.uint32()
        except _Malformed:
            raise ValueError("malformed SFTP packet") from None
        try:
            return self._request(kind, request, reader)
        except _Malformed:
            return self._status(request, BAD_MESSAGE, "malformed request")

    def _request(self, kind: int, request: int, reader: _Reader) -> bytes:
        if kind == OPEN:
            path, flags = reader.string().decode(), reader.uint32()
            return self._open(request, path, flags)
        if kind == OPENDIR:
            reader.string()
            return self._new_handle(request, _Handle("", writing=False, listed=False))
        if kind in (CLOSE, READ, WRITE, FSTAT, READDIR, FSETSTAT):
            handle = self.handles.get(reader.string())
            if handle is None:
                return self._status(request, FAILURE, "invalid handle")
            return self._on_handle(kind, request, reader, handle)
        if kind in (STAT, LSTAT):
            path = reader.string().decode()
            if file_name(path) == "":
                return self._packet(ATTRS, struct.pack(">I", request) + _attrs(None, DIRECTORY))
            content = self.files.read_bytes(path)
            if content is None:
                return self._status(request, NO_SUCH_FILE, "No such file")
            attrs = _attrs(len(content), REGULAR_FILE)
            return self._packet(ATTRS, struct.pack(">I", request) + attrs)
        if kind == REALPATH:
            path = "/" + file_name(reader.string().decode())
            entry = _string(path) + _string(path) + _attrs(None, DIRECTORY)
            return self._packet(NAME, struct.pack(">II", request, 1) + entry)
        if kind == REMOVE:
            if self.files.delete(reader.string().decode()):
                return self._status(request, OK, "")
            return self._status(request, NO_SUCH_FILE, "No such file")
        if kind == SETSTAT:
            return self._status(request, OK, "")
        return self._status(request, UNSUPPORTED, "operation not supported")

    def _open(self, request: int, path: str, flags: int) -> bytes:
        exists = self.files.read_bytes(path) is not None
        if flags & PF_WRITE:
            if exists and flags & PF_EXCL:
                return self._status(request, FAILURE, "file exists")
            if not exists and not flags & PF_CREAT:
                return self._status(request, NO_SUCH_FILE, "No such file")
            content = b"" if flags & PF_TRUNC or not exists else self.files.read_bytes(path)
            return self._new_handle(request, _Handle(path, True, bytearray(content or b"")))
        if not exists:
            return self._status(request, NO_SUCH_FILE, "No such file")
        return self._new_handle(request, _Handle(path, False))

    def _on_handle(self, kind: int, request: int, reader: _Reader, handle: _Handle) -> bytes:
        if kind == CLOSE:
            self.handles = {k: v for k, v in self.handles.items() if v is not handle}
            if handle.writing:
                self.files.write(handle.path, bytes(handle.content))
            return self._status(request, OK, "")
        if kind == READ:
            offset, length = reader.uint64(), reader.uint32()
            content = self.files.read_bytes(handle.path) or b""
            if offset >= len(content):
                return self._status(request, EOF, "end of file")
            chunk = content[offset : offset + min(length, 65536)]
            return self._packet(DATA, struct.pack(">I", request) + _string(chunk))
        if kind == WRITE:
            offset, data = reader.uint64(), reader.string()
            if not handle.writing:
                return self._status(request, FAILURE, "not open for writing")
            if len(handle.content) < offset:
                handle.content += bytes(offset - len(handle.content))
            handle.content[offset : offset + len(data)] = data
            return self._status(request, OK, "")
        if kind == FSTAT:
            size = (
                len(handle.content)
                if handle.writing
                else len(self.files.read_bytes(handle.path) or b"")
            )
            return self._packet(ATTRS, struct.pack(">I", request) + _attrs(size, REGULAR_FILE))
        if kind == READDIR:
            if handle.listed:
                return self._status(request, EOF, "end of directory")
            handle.listed = True
            names = sorted(self.files.files)
            body = struct.pack(">II", request, len(names))
            for name in names:
                size = len(self.files.files[name])
                body += _string(name) + _string(f"-rw-r--r-- 1 0 0 {size} {name}")
                body += _attrs(size, REGULAR_FILE)
            return self._packet(NAME, body)
        return self._status(request, OK, "")  # FSETSTAT: times and modes are not kept

    def _new_handle(self, request: int, handle: _Handle) -> bytes:
        self.next_handle += 1
        key = str(self.next_handle).encode()
        self.handles[key] = handle
        return self._packet(HANDLE, struct.pack(">I", request) + _string(key))

    def _status(self, request: int, code: int, message: str) -> bytes:
        body = struct.pack(">II", request, code) + _string(message) + _string("en")
        return self._packet(STATUS, body)

    @staticmethod
    def _packet(kind: int, body: bytes) -> bytes:
        return struct.pack(">IB", len(body) + 1, kind) + body

"""The terminal's wire protocol, independent of the web framework.

Client → server: binary frames are keystrokes (bytes for the device, as typed); text frames
are JSON control messages — ``{"type": "resize", "cols": 120, "rows": 40}`` or
``{"type": "data", "data": "show version\\r"}`` — and any other text is keystrokes too.
Server → client: binary frames are the device's output; text frames are JSON status
messages (``{"type": "connected", ...}``). The close frame carries a code and a readable
reason: 1000 normal, 44xx like the HTTP status (4401 not signed in, 4403 not allowed,
4404 no such device, 4408 idle, 4422 the device has no stored credential, 4429 too many
sessions), 4502 the device refused the login or could not be reached, 1011 a server error."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

MIN_SIZE, MAX_COLS, MAX_ROWS = 1, 1000, 500
DEFAULT_COLS, DEFAULT_ROWS = 80, 24

NORMAL = 1000
IDLE = 4408
UNREACHABLE = 4502
INTERNAL = 1011
REASON_BYTES = 123  # the WebSocket limit for a close reason


@dataclass(frozen=True)
class Data:
    data: bytes


@dataclass(frozen=True)
class Resize:
    cols: int
    rows: int


@dataclass(frozen=True)
class Hangup:
    """The client went away."""


@dataclass(frozen=True)
class Ignored:
    """A control message this server does not understand (answered by nothing)."""

    why: str


Inbound = Data | Resize | Hangup | Ignored


@dataclass(frozen=True)
class Outcome:
    """How the session ended: the close code and reason to send to the client."""

    code: int
    reason: str


class Peer(Protocol):
    """The browser side of a terminal (the API adapts a WebSocket to this)."""

    async def receive(self) -> Inbound: ...

    async def send(self, data: bytes) -> None: ...

    async def notify(self, event: dict[str, Any]) -> None: ...


def clamp_size(cols: int | None, rows: int | None) -> tuple[int, int]:
    return (
        max(MIN_SIZE, min(MAX_COLS, cols or DEFAULT_COLS)),
        max(MIN_SIZE, min(MAX_ROWS, rows or DEFAULT_ROWS)),
    )


def parse_frame(text: str | None, data: bytes | None) -> Inbound:
    if data is not None:
        return Data(data)
    if not text:
        return Data(b"")
    if text.startswith("{"):
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        if isinstance(message, dict) and isinstance(message.get("type"), str):
            return _control(message)
    return Data(text.encode())


def _control(message: dict[str, Any]) -> Inbound:
    kind = message["type"]
    if kind == "resize":
        cols, rows = message.get("cols"), message.get("rows")
        if not isinstance(cols, int) or not isinstance(rows, int) or cols < 1 or rows < 1:
            return Ignored("resize needs positive integer cols and rows")
        return Resize(*clamp_size(cols, rows))
    if kind == "data" and isinstance(message.get("data"), str):
        return Data(str(message["data"]).encode())
    return Ignored(f"unknown control message type {kind!r}")


def close_reason(text: str) -> str:
    """A reason that fits a WebSocket close frame (123 bytes of UTF-8)."""
    encoded = text.encode()
    if len(encoded) <= REASON_BYTES:
        return text
    return encoded[: REASON_BYTES - 3].decode(errors="ignore") + "..."


def banner(text: str) -> bytes:
    """A message printed in the terminal itself, on its own line, in bold yellow."""
    return f"\r\n\x1b[1;33m*** {text} ***\x1b[0m\r\n".encode()

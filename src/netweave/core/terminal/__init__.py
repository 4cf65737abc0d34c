"""The web SSH terminal: an interactive shell on an inventory device, bridged to the
browser, limited per user, closed when idle and audited (``terminal_sessions``)."""

from netweave.core.terminal.protocol import (
    Data,
    Hangup,
    Ignored,
    Inbound,
    Outcome,
    Peer,
    Resize,
    clamp_size,
    close_reason,
    parse_frame,
)
from netweave.core.terminal.records import get_session, list_sessions, to_detail, to_read
from netweave.core.terminal.schemas import TerminalSessionDetail, TerminalSessionRead
from netweave.core.terminal.service import TerminalService, TooManySessions
from netweave.core.terminal.transcript import Transcript

__all__ = [
    "Data",
    "Hangup",
    "Ignored",
    "Inbound",
    "Outcome",
    "Peer",
    "Resize",
    "TerminalService",
    "TerminalSessionDetail",
    "TerminalSessionRead",
    "TooManySessions",
    "Transcript",
    "clamp_size",
    "close_reason",
    "get_session",
    "list_sessions",
    "parse_frame",
    "to_detail",
    "to_read",
]

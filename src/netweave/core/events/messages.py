"""A received syslog message, as the listeners' parsers hand it to the core."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

SEVERITIES = ("emergency", "alert", "critical", "error", "warning", "notice", "info", "debug")
FACILITIES = (
    *("kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron"),
    *("authpriv", "ftp", "ntp", "security", "console", "solaris-cron"),
    *(f"local{n}" for n in range(8)),
)


@dataclass
class SyslogMessage:
    facility: int
    severity: int
    message: str
    hostname: str = ""
    program: str = ""
    pid: str = ""
    msgid: str = ""
    timestamp: datetime | None = None
    structured: dict[str, dict[str, str]] = field(default_factory=dict)
    rfc: str = "3164"
    source: str = ""  # the sender's address
    received_at: datetime | None = None
    # the frame broke its format (no <PRI>, a truncated RFC 5424 header, bad framing):
    # what could be read is kept, and the server counts it
    malformed: bool = False

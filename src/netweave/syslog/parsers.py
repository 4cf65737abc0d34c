"""Built-in syslog parsers: RFC 5424 and RFC 3164 (with the Cisco variants: sequence numbers,
``*`` timestamps, ``%FAC-SEV-MNEMONIC`` programs). Lenient: what does not parse is kept
as the message text, never dropped."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from typing import ClassVar

from netweave.core.events.messages import SyslogMessage
from netweave.foundation.plugins import PluginRegistry

_PRI = re.compile(rb"^<(\d{1,3})>")
_5424 = re.compile(
    r"^1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<pid>\S+) (?P<msgid>\S+) "
    r"(?P<sd>-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (?P<msg>.*))?$",
    re.S,
)
_SD_ELEMENT = re.compile(r"\[([^\s\]]+)((?:\s+[^=\s]+=\"(?:[^\"\\]|\\.)*\")*)\]")
_SD_PARAM = re.compile(r'([^=\s]+)="((?:[^"\\]|\\.)*)"')
_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
_3164 = re.compile(
    rf"^(?:\d+: )?\*?(?P<ts>(?:{_MONTHS}) +\d{{1,2}} (?:\d{{4}} )?\d\d:\d\d:\d\d(?:\.\d+)?)"
    r"(?: [A-Z]{3,4})?:? (?P<rest>.*)$",
    re.S,
)
_TAG = re.compile(r"^(?P<tag>[^\s:\[]{1,64})(?:\[(?P<pid>[^\]]{1,32})\])?: ?(?P<msg>.*)$", re.S)
_CISCO = re.compile(r"%(?P<mnemonic>[A-Z0-9_]+-\d-[A-Z0-9_]+)")


class SyslogParser(ABC):
    """A message format after the ``<PRI>``: return None when the text is not yours."""

    priority: ClassVar[int] = 100  # lower runs first

    @abstractmethod
    def parse(
        self, facility: int, severity: int, text: str, received: datetime
    ) -> SyslogMessage | None: ...


class Rfc5424(SyslogParser):
    priority = 10

    def parse(
        self, facility: int, severity: int, text: str, received: datetime
    ) -> SyslogMessage | None:
        return _parse_5424(text, facility, severity) if text.startswith("1 ") else None


class Rfc3164(SyslogParser):
    """BSD syslog and the Cisco variants; lenient, so it comes last and never refuses."""

    priority = 1000

    def parse(
        self, facility: int, severity: int, text: str, received: datetime
    ) -> SyslogMessage | None:
        return _parse_3164(text, facility, severity, received)


registry: PluginRegistry[SyslogParser] = PluginRegistry(
    "netweave.syslog_parsers",
    SyslogParser,  # type: ignore[type-abstract]
    noun="syslog parser",
)
_chain: list[SyslogParser] = []


def parsers() -> list[SyslogParser]:
    if not _chain:
        loaded = [registry.get(name)() for name in registry.names()]
        _chain.extend(sorted(loaded, key=lambda p: p.priority))
    return _chain


def _text(data: bytes) -> str:
    """Lossy UTF-8 without NULs (PostgreSQL text cannot hold them; a device never means
    one): binary garbage still becomes a storable message."""
    return data.decode("utf-8", "replace").rstrip("\r\n\x00").replace("\x00", "\ufffd")


def parse(data: bytes, received: datetime | None = None) -> SyslogMessage:
    received = received or datetime.now(UTC)
    match = _PRI.match(data)
    if match is None or int(match.group(1)) > 191:
        text = _text(data).strip()
        # user.notice, as RFC 3164 says a relay labels a message without a valid PRI
        return SyslogMessage(1, 5, text, timestamp=received, rfc="none", malformed=True)
    facility, severity = divmod(int(match.group(1)), 8)
    text = _text(data[match.end() :])
    for parser in parsers():
        parsed = parser.parse(facility, severity, text, received)
        if parsed is not None:
            return parsed
    return SyslogMessage(facility, severity, text, timestamp=received, rfc="none", malformed=True)


def _nil(value: str) -> str:
    return "" if value == "-" else value


def _parse_5424(text: str, facility: int, severity: int) -> SyslogMessage:
    match = _5424.match(text)
    if match is None:
        return _partial_5424(text, facility, severity)
    structured: dict[str, dict[str, str]] = {}
    if match.group("sd") != "-":
        for element in _SD_ELEMENT.finditer(match.group("sd")):
            structured[element.group(1)] = {
                key: value.replace('\\"', '"').replace("\\]", "]").replace("\\\\", "\\")
                for key, value in _SD_PARAM.findall(element.group(2))
            }
    message = (match.group("msg") or "").removeprefix("\ufeff")
    return SyslogMessage(
        facility,
        severity,
        message,
        hostname=_nil(match.group("host")),
        program=_nil(match.group("app")),
        pid=_nil(match.group("pid")),
        msgid=_nil(match.group("msgid")),
        timestamp=_5424_time(match.group("ts")),
        structured=structured,
        rfc="5424",
    )


def _5424_time(text: str) -> datetime | None:
    if text == "-":
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _partial_5424(text: str, facility: int, severity: int) -> SyslogMessage:
    """A truncated or broken RFC 5424 frame: keep the header fields that are there and the
    rest as the message text."""
    fields = text.split(" ", 6)[1:]
    header = [_nil(value) for value in fields[:5]] + [""] * (5 - len(fields[:5]))
    return SyslogMessage(
        facility,
        severity,
        fields[5] if len(fields) > 5 else "",
        hostname=header[1],
        program=header[2],
        pid=header[3],
        msgid=header[4],
        timestamp=_5424_time(fields[0]) if fields else None,
        rfc="5424",
        malformed=True,
    )


def _parse_3164(text: str, facility: int, severity: int, received: datetime) -> SyslogMessage:
    hostname = ""
    timestamp = None
    rest = text
    match = _3164.match(text)
    if match is not None:
        rest = match.group("rest")
        timestamp = _bsd_time(match.group("ts"), received)
        first, _, after = rest.partition(" ")
        if first and not first.endswith(":") and not first.startswith("%") and after:
            hostname, rest = first, after  # "HOST TAG: msg"; Cisco omits the host
    program = pid = ""
    tag = _TAG.match(rest)
    if tag is not None and not rest.startswith("%"):
        program, pid, rest = tag.group("tag"), tag.group("pid") or "", tag.group("msg")
    cisco = _CISCO.search(rest)
    if cisco is not None and (not program or program.isdigit()):
        program = cisco.group("mnemonic")
    return SyslogMessage(
        facility,
        severity,
        rest.strip(),
        hostname=hostname,
        program=program,
        pid=pid,
        timestamp=timestamp or received,
        rfc="3164",
    )


def _bsd_time(text: str, received: datetime) -> datetime | None:
    cleaned = " ".join(text.split())
    for layout in ("%b %d %Y %H:%M:%S", "%b %d %H:%M:%S"):
        try:
            moment = datetime.strptime(cleaned.split(".")[0], layout)
        except ValueError:
            continue
        if "%Y" not in layout:
            moment = moment.replace(year=received.year)
            if moment.month == 12 and received.month == 1:
                moment = moment.replace(year=received.year - 1)
        return moment.replace(tzinfo=UTC)
    return None

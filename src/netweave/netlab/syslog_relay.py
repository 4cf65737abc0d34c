"""FRR's log, sent as syslog: each router's daemons write one log file (``log file``); this
relay follows the files, as rsyslog's imfile would, and sends each new line as an RFC 5424
message over UDP from a socket inside the router's own namespace (so it comes from the
router's management address), to the syslog listener given."""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from netweave.netlab.host import socket_in

# 2026/12/07 11:18:34.123 OSPF: [XQA13-4ED8B][EC 134217741] warnings: text
LINE = re.compile(
    r"^(?P<stamp>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d+)?) (?P<tag>[A-Z0-9_-]+): "
    r"(?:\[[^\]]*\])*\s*(?:(?P<level>emergencies|alerts|critical|errors|warnings|"
    r"notifications|informational|debugging): )?(?P<text>.*)$"
)
SEVERITY = {
    "emergencies": 0, "alerts": 1, "critical": 2, "errors": 3, "warnings": 4,
    "notifications": 5, "informational": 6, "debugging": 7,
}  # fmt: skip
APP = {"OSPF": "ospfd", "BGP": "bgpd", "ZEBRA": "zebra", "STATIC": "staticd"}
FACILITY_LOCAL7 = 23


@dataclass
class Source:
    router: str
    namespace: str | None  # None: send from the host's namespace
    log: Path
    offset: int = 0
    sock: socket.socket | None = None


def rfc5424(router: str, line: str) -> bytes | None:
    found = LINE.match(line)
    if not found:
        return None
    severity = SEVERITY.get(found["level"] or "", 5 if "adjacency" in line.lower() else 6)
    stamp = datetime.strptime(found["stamp"].split(".")[0], "%Y/%m/%d %H:%M:%S")
    when = stamp.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    app = APP.get(found["tag"], found["tag"].lower())
    pri = FACILITY_LOCAL7 * 8 + severity
    return f"<{pri}>1 {when} {router} {app} - - - {found['text']}".encode()


class SyslogRelay:
    def __init__(self, target: tuple[str, int], sources: list[Source]) -> None:
        self.target = target
        self.sources = sources
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="netlab-syslog", daemon=True)

    def start(self) -> None:
        for source in self.sources:
            if source.namespace is None:
                source.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            else:
                descriptor = socket_in(source.namespace, socket.AF_INET, socket.SOCK_DGRAM)
                source.sock = socket.socket(fileno=descriptor)
            source.offset = source.log.stat().st_size if source.log.exists() else 0
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        for source in self.sources:
            if source.sock is not None:
                source.sock.close()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            for source in self.sources:
                self._forward(source)

    def _forward(self, source: Source) -> None:
        try:
            with source.log.open("rb") as handle:
                handle.seek(source.offset)
                chunk = handle.read()
        except OSError:
            return
        end = chunk.rfind(b"\n")
        if end < 0:
            return
        source.offset += end + 1
        for raw in chunk[: end + 1].splitlines():
            message = rfc5424(source.router, raw.decode(errors="replace"))
            if message is None or source.sock is None:
                continue
            try:
                source.sock.sendto(message, self.target)
                self.sent += 1
            except OSError:
                time.sleep(0.05)  # the listener is not there yet: the line is dropped, as UDP would

"""The syslog server: listeners → bounded queue → one pump thread that parses batches and
hands them to the core (store + rules). Purges past retention every minute."""

from __future__ import annotations

import logging
import queue
import threading
import time

from netweave.core.events.messages import SyslogMessage
from netweave.core.events.schemas import SyslogStats
from netweave.core.events.syslog import EventService
from netweave.syslog.listener import Received, SyslogListener
from netweave.syslog.parsers import parse

log = logging.getLogger(__name__)
BATCH = 2000
PURGE_EVERY_S = 60.0


class SyslogServer:
    def __init__(
        self,
        events: EventService,
        host: str,
        port: int,
        *,
        udp: bool = True,
        tcp: bool = True,
        capacity: int = 100_000,
    ) -> None:
        self.events = events
        self.listener = SyslogListener(host, port if udp else None, port if tcp else None, capacity)
        self._stop = threading.Event()
        self._pump: threading.Thread | None = None
        self.ingest_errors = 0
        self.malformed = 0  # stored messages whose framing or format was broken

    @property
    def udp_port(self) -> int | None:
        return self.listener.udp_port

    @property
    def tcp_port(self) -> int | None:
        return self.listener.tcp_port

    def start(self) -> SyslogServer:
        self.listener.start()
        self._pump = threading.Thread(target=self._run, name="syslog-pump", daemon=True)
        self._pump.start()
        return self

    def _run(self) -> None:
        source = self.listener.queue
        last_purge = time.monotonic()
        while not self._stop.is_set() or not source.empty():
            try:
                first = source.get(timeout=0.2)
            except queue.Empty:
                first = None
            batch: list[Received] = [first] if first is not None else []
            while len(batch) < BATCH:
                try:
                    batch.append(source.get_nowait())
                except queue.Empty:
                    break
            if batch:
                self._ingest(batch)
            if time.monotonic() - last_purge > PURGE_EVERY_S:
                last_purge = time.monotonic()
                try:
                    self.events.purge()
                except Exception:
                    log.exception("syslog retention purge")

    def _ingest(self, batch: list[Received]) -> None:
        messages: list[SyslogMessage] = []
        for data, address, received, broken in batch:
            message = parse(data, received)
            message.source, message.received_at = address, received
            message.malformed = message.malformed or broken
            self.malformed += message.malformed
            messages.append(message)
        for attempt in range(3):
            try:
                self.events.ingest(messages)
                return
            except Exception:  # the database is restarting: retry, then count the loss
                log.exception("syslog ingest (attempt %d)", attempt + 1)
                time.sleep(0.5 * (attempt + 1))
        self.ingest_errors += len(messages)

    def stats(self) -> SyslogStats:
        counters = self.listener.counters
        return SyslogStats(
            received=counters.received,
            stored=self.events.stored,
            dropped=counters.dropped + self.ingest_errors,
            kernel_dropped=self.listener.kernel_dropped(),
            oversized=counters.oversized,
            malformed=counters.malformed + self.malformed,
            queue_depth=self.listener.queue.qsize(),
            queue_capacity=self.listener.queue.maxsize,
            rules_fired=self.events.rules_fired,
            tcp_connections=counters.tcp_connections,
            listening={"udp": self.udp_port, "tcp": self.tcp_port},
        )

    def stop(self) -> None:
        self.listener.stop()
        self._stop.set()
        if self._pump is not None:
            self._pump.join(timeout=10)

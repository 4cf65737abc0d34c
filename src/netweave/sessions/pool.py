"""The session pool. One worker process holds many sessions (threads, not processes); a
device runs one job at a time; a dead session is replaced transparently for reads only.

A session is keyed by its whole identity (``BaseConnectionArgs.session_key``: host, port,
driver and an HMAC of user, secrets and connection options): a request with another password
or enable secret gets its own session and its own circuit breaker. After each job the session
settles back to its base state (``DriverSession.settle``) or is discarded."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from netweave.drivers.base import (
    BaseConnectionArgs,
    Driver,
    DriverError,
    DriverSession,
    SessionKey,
)
from netweave.sessions import cancel

T = TypeVar("T")
DeviceKey = tuple[str, int, str]  # host, port, driver: one job at a time per device
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PoolSettings:
    idle_ttl: float = 300.0  # close a session unused for this long
    max_age: float = 3600.0  # and any session older than this, used or not
    keepalive_interval: float = 60.0  # probe idle sessions this often
    breaker_threshold: int = 3  # consecutive connection failures before backing off
    breaker_base: float = 2.0  # first back-off, doubled per failure
    breaker_max: float = 300.0
    reap_interval: float = 5.0


@dataclass
class _Entry:
    session: DriverSession
    created: float
    last_used: float
    uses: int = 0


@dataclass
class _Breaker:
    failures: int = 0
    open_until: float = 0.0
    last_error: str = ""
    last_failure: float = 0.0


@dataclass
class PoolCounters:
    opened: int = 0
    reused: int = 0
    reconnected: int = 0
    reaped_idle: int = 0
    reaped_age: int = 0
    breaker_rejections: int = 0
    keepalive_failures: int = 0
    unsettled: int = 0  # sessions discarded because they could not return to their base state
    aborted: int = 0  # sessions cut under a running job that was canceled (then discarded)
    extra: dict[str, int] = field(default_factory=dict)


class SessionPool:
    def __init__(self, settings: PoolSettings | None = None) -> None:
        self.settings = settings or PoolSettings()
        self._entries: dict[SessionKey, _Entry] = {}
        self._locks: dict[DeviceKey, threading.Lock] = {}
        self._breakers: dict[SessionKey, _Breaker] = {}
        self._guard = threading.Lock()
        self.counters = PoolCounters()
        self._stop = threading.Event()
        self._reaper: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------
    def start(self) -> None:
        if self._reaper is None:
            self._reaper = threading.Thread(
                target=self._reap_loop, name="session-reaper", daemon=True
            )
            self._reaper.start()

    def close(self) -> None:
        self._stop.set()
        with self._guard:
            keys = list(self._entries)
        for key in keys:
            with self._lock_for(key):
                self._discard(key)

    # -- use --------------------------------------------------------------------------
    def _lock_for(self, key: SessionKey) -> threading.Lock:
        """Per device (not per identity): bounded by the fleet, whatever the passwords tried."""
        device = (key[0], key[1], key[2])
        with self._guard:
            lock = self._locks.get(device)
            if lock is None:
                lock = self._locks[device] = threading.Lock()
            return lock

    def _discard(self, key: SessionKey) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            entry.session.close()

    def _check_breaker(self, key: SessionKey) -> None:
        breaker = self._breakers.get(key)
        if breaker and breaker.open_until > time.monotonic():
            self.counters.breaker_rejections += 1
            wait = breaker.open_until - time.monotonic()
            raise DriverError(
                "circuit_open",
                f"{key[0]}:{key[1]} failed {breaker.failures} times in a row "
                f"({breaker.last_error}); next attempt allowed in {wait:.0f} s",
            )

    def _failure(self, key: SessionKey, error: DriverError) -> None:
        breaker = self._breakers.setdefault(key, _Breaker())
        breaker.failures += 1
        breaker.last_error = error.message[:200]
        breaker.last_failure = time.monotonic()
        if breaker.failures >= self.settings.breaker_threshold:
            exponent = breaker.failures - self.settings.breaker_threshold
            backoff = min(self.settings.breaker_base * 2**exponent, self.settings.breaker_max)
            breaker.open_until = time.monotonic() + backoff

    def _connect(self, key: SessionKey, driver: Driver, args: BaseConnectionArgs) -> _Entry:
        try:
            session = driver.connect(args)
        except DriverError as error:
            if error.kind in ("connection", "timeout", "authentication"):
                self._failure(key, error)
            raise
        self._breakers.pop(key, None)
        self.counters.opened += 1
        now = time.monotonic()
        entry = _Entry(session, created=now, last_used=now)
        if driver.persistent:
            self._entries[key] = entry
        return entry

    def run(
        self,
        driver: Driver,
        args: BaseConnectionArgs,
        action: Callable[[DriverSession], T],
        *,
        retry_on_dead_session: bool,
    ) -> tuple[T, bool]:
        """Run ``action`` on the device's session (serially per device). Returns the result
        and whether an already-open session was reused. A session found dead is replaced;
        a session that dies during ``action`` is retried once only when allowed (reads).

        Under a job's :class:`~netweave.sessions.cancel.CancelToken` a cancel aborts the
        session in use: ``action`` fails at once with the ``canceled`` error, nothing is
        retried and the session is discarded."""
        key = args.session_key(driver.name)
        token = cancel.current()
        if token is not None:
            token.check()
        with self._lock_for(key):
            if token is not None:
                token.check()  # canceled while it waited for the device
            self._check_breaker(key)
            entry = self._entries.get(key)
            now = time.monotonic()
            if entry is not None and now - entry.created > self.settings.max_age:
                self._discard(key)
                self.counters.reaped_age += 1
                entry = None
            if entry is not None and not entry.session.is_alive():
                self._discard(key)  # found dead before use: replacing it resends nothing
                self.counters.reconnected += 1
                entry = None
            reused = entry is not None
            if entry is None:
                entry = self._connect(key, driver, args)
            try:
                result = self._guarded(key, entry, action, token)
            except DriverError as error:
                self._discard(key)
                retry = error.retryable and reused and retry_on_dead_session
                if not retry or error.kind == "canceled":
                    raise
                self.counters.reconnected += 1
                entry = self._connect(key, driver, args)
                reused = False
                result = self._guarded(key, entry, action, token)
            if token is not None and token.canceled:  # it ended as the abort came: cut
                self._aborted(key, entry)
            elif driver.persistent and not self._settled(entry.session):
                self._discard(key)  # the next job gets a fresh session, never this state
                self.counters.unsettled += 1
            entry.last_used = time.monotonic()
            entry.uses += 1
            if reused:
                self.counters.reused += 1
            if not driver.persistent:
                entry.session.close()
            return result, reused

    def _guarded(
        self,
        key: SessionKey,
        entry: _Entry,
        action: Callable[[DriverSession], T],
        token: cancel.CancelToken | None,
    ) -> T:
        """``action`` on the session; under a token, a cancel aborts the session and
        whatever it raised becomes the ``canceled`` error."""
        if token is None:
            return action(entry.session)
        try:
            with token.attached(entry.session):
                token.check()  # canceled while it logged in
                return action(entry.session)
        except Exception as exc:
            if not token.canceled:
                raise
            self._aborted(key, entry)
            raise DriverError("canceled", token.reason or "canceled") from exc

    def _aborted(self, key: SessionKey, entry: _Entry) -> None:
        """A session cut under a canceled job is never used again."""
        if self._entries.get(key) is entry:
            self._entries.pop(key, None)
        entry.session.abort()
        self.counters.aborted += 1

    @staticmethod
    def _settled(session: DriverSession) -> bool:
        try:
            return session.settle()
        except Exception:  # a session that cannot tell its state is not kept
            log.warning("session could not return to its base state", exc_info=True)
            return False

    def drop(self, host: str, port: int) -> int:
        """Close every session to host:port (e.g. after a device reboot)."""
        with self._guard:
            keys = [k for k in self._entries if k[0] == host and k[1] == port]
        for key in keys:
            with self._lock_for(key):
                self._discard(key)
        return len(keys)

    # -- housekeeping -----------------------------------------------------------------
    def reap(self) -> None:
        now = time.monotonic()
        with self._guard:
            items = list(self._entries.items())
            # failures of identities never retried (a mistyped password) are forgotten
            stale = now - self.settings.breaker_max
            for key, breaker in list(self._breakers.items()):
                if breaker.last_failure < stale and breaker.open_until <= now:
                    self._breakers.pop(key, None)
        for key, entry in items:
            lock = self._lock_for(key)
            if not lock.acquire(blocking=False):
                continue  # busy: certainly not idle
            try:
                if self._entries.get(key) is not entry:
                    continue
                if now - entry.last_used > self.settings.idle_ttl:
                    self._discard(key)
                    self.counters.reaped_idle += 1
                elif now - entry.created > self.settings.max_age:
                    self._discard(key)
                    self.counters.reaped_age += 1
                elif now - entry.last_used > self.settings.keepalive_interval:
                    if not entry.session.keepalive():
                        self._discard(key)
                        self.counters.keepalive_failures += 1
                    else:
                        entry.last_used = entry.last_used  # a probe is not a use
            finally:
                lock.release()

    def _reap_loop(self) -> None:
        while not self._stop.wait(self.settings.reap_interval):
            try:
                self.reap()
            except Exception:  # the reaper must survive anything
                log.exception("session reaper")

    def stats(self) -> dict[str, Any]:
        with self._guard:
            sessions = len(self._entries)
            open_breakers = sum(
                1 for b in self._breakers.values() if b.open_until > time.monotonic()
            )
        counters = self.counters
        return {
            "sessions": sessions,
            "open_circuit_breakers": open_breakers,
            "opened": counters.opened,
            "reused": counters.reused,
            "reconnected": counters.reconnected,
            "reaped_idle": counters.reaped_idle,
            "reaped_age": counters.reaped_age,
            "breaker_rejections": counters.breaker_rejections,
            "keepalive_failures": counters.keepalive_failures,
            "unsettled": counters.unsettled,
            "aborted": counters.aborted,
        }

"""Stopping a job that is already on a device. The job's thread runs under a
:class:`CancelToken` (``with token.active()``); the session pool attaches the device session
it lends to the token, so ``cancel()`` from any other thread aborts that session (its
blocked read fails at once), and every retry loop asks ``token.canceled`` before trying
again. An aborted session is discarded, never returned to the pool."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from contextvars import ContextVar

from netweave.drivers.base import DriverError, DriverSession

log = logging.getLogger(__name__)
_current: ContextVar[CancelToken | None] = ContextVar("netweave_cancel_token", default=None)


class CancelToken:
    def __init__(self, job_id: str = "") -> None:
        self.job_id = job_id
        self.reason = ""
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._sessions: list[DriverSession] = []

    @property
    def canceled(self) -> bool:
        return self._event.is_set()

    def cancel(self, reason: str = "canceled") -> bool:
        """Mark the job canceled and abort the sessions it holds now; False when it was
        canceled already. Never blocks: each abort runs in a thread of its own."""
        with self._lock:
            if self._event.is_set():
                return False
            self.reason = reason
            self._event.set()
            sessions = list(self._sessions)
        for session in sessions:
            _abort_soon(session)
        return True

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True (at once) when the job is canceled meanwhile."""
        return self._event.wait(seconds)

    def check(self) -> None:
        """Raise the ``canceled`` driver error when the job was canceled."""
        if self.canceled:
            raise DriverError("canceled", self.reason or "canceled")

    @contextlib.contextmanager
    def attached(self, session: DriverSession) -> Iterator[None]:
        """While inside, a cancel aborts ``session`` (at once if it came before)."""
        with self._lock:
            self._sessions.append(session)
            late = self._event.is_set()
        if late:
            _abort_soon(session)
        try:
            yield
        finally:
            with self._lock:
                self._sessions.remove(session)

    @contextlib.contextmanager
    def active(self) -> Iterator[CancelToken]:
        """This thread (and what it calls: services, the pool) runs under this token."""
        reset = _current.set(self)
        try:
            yield self
        finally:
            _current.reset(reset)


def current() -> CancelToken | None:
    """The token of the job this thread runs, if any."""
    return _current.get()


def _abort_soon(session: DriverSession) -> None:
    def abort() -> None:
        try:
            session.abort()
        except Exception:  # an abort must never fail the canceller
            log.warning("aborting a device session failed", exc_info=True)

    threading.Thread(target=abort, name="session-abort", daemon=True).start()

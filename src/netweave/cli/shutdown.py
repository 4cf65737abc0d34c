"""How a long-running NetWeave process ends (``serve``, ``worker``, ``scheduler``, ``syslog``).

SIGTERM or SIGINT asks for a clean shutdown: the command stops what it started, in order
(stop accepting → stop its loops and run controllers → let in-flight device jobs finish for
at most :data:`SHUTDOWN_GRACE_S`, then close the device sessions → stop its child processes:
the demo lab, the guard processes) and exits 0.

A second signal during a slow shutdown forces the exit: every child process is killed and
the process exits with 128 + the signal number. So does a shutdown still running
:data:`SHUTDOWN_LIMIT_S` after the first signal (something is stuck; status 1).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

SHUTDOWN_GRACE_S = 10.0  # in-flight device jobs (and HTTP requests) get this long
SHUTDOWN_LIMIT_S = 3 * SHUTDOWN_GRACE_S  # the backstop: past this a shutdown is stuck
HANDLED = (signal.SIGINT, signal.SIGTERM)


def child_pids(pid: int | None = None) -> list[int]:
    """The live descendants of ``pid`` (default: this process), children first (Linux
    ``/proc``; empty elsewhere)."""
    found: list[int] = []
    pending = [pid or os.getpid()]
    while pending:
        parent = pending.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:  # the task ended meanwhile, or no /proc
                continue
            for child in map(int, children):
                if child not in found:
                    found.append(child)
                    pending.append(child)
    return found


def force_exit(code: int, reason: str) -> None:
    """Kill every child process and leave at once (no cleanup: it is what got stuck)."""
    # os.write, not print: a signal handler may interrupt a print holding the stream's lock
    with contextlib.suppress(OSError):
        os.write(2, f"netweave: {reason}: forcing the exit\n".encode())
    for pid in child_pids():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:  # gone already
            continue
    os._exit(code)


class ShutdownSignals:
    """SIGTERM/SIGINT handling of one process: the first signal sets :attr:`requested` and
    runs the ``on_request`` callbacks (in the main thread, between two bytecodes: keep them
    to setting flags); a second one, or the :data:`SHUTDOWN_LIMIT_S` backstop, forces the
    exit."""

    def __init__(self, limit: float = SHUTDOWN_LIMIT_S) -> None:
        self.requested = threading.Event()
        self.signal: int | None = None
        self.limit = limit
        self._callbacks: list[Callable[[], None]] = []

    def install(self) -> ShutdownSignals:
        for signum in HANDLED:
            signal.signal(signum, self._handle)
        return self

    def on_request(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)
        if self.requested.is_set():
            callback()

    def wait(self, timeout: float | None = None) -> bool:
        """True once a shutdown is requested (False when ``timeout`` passed first)."""
        return self.requested.wait(timeout)

    def request(self) -> None:
        """Ask for the shutdown without a signal (e.g. a worker node stopped through the
        API): the same path, the same backstop."""
        if self.requested.is_set():
            return
        self.requested.set()
        backstop = threading.Timer(
            self.limit, force_exit, (1, f"shutdown still running after {self.limit:g} s")
        )
        backstop.daemon = True
        backstop.name = "shutdown-backstop"
        backstop.start()
        for callback in self._callbacks:
            callback()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested.is_set():
            force_exit(128 + signum, f"second {signal.Signals(signum).name} during shutdown")
        self.signal = signum
        self.request()

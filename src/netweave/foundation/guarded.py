"""Run user-supplied work (template rendering, output parsing) under a time and memory limit.

Python threads cannot be killed and a backtracking ``re`` match cannot be interrupted, so the
work runs in a small pool of long-lived guard processes, each a fresh interpreter (the
server is multithreaded: a plain fork could copy a held lock). Each guard caps its own address space
(``RLIMIT_AS``); the caller waits at most the time limit for the answer, then kills the guard
and a fresh one is started lazily on the next call. Callers queue for a free guard.

``run(func, *args)``: ``func`` must be a picklable top-level function; its return value
and any exception it raises come back to the caller (an exception that cannot be pickled
comes back as :class:`GuardedError`). Guards are stopped at exit, and each exits by itself
when its socket to the server closes (the server died).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from netweave.foundation.errors import Unavailable

DEFAULT_TIMEOUT = 5.0
DEFAULT_MEMORY_MB = 512
DEFAULT_WORKERS = 2
# A guard's start (a fresh interpreter importing the modules its work needs) is not the
# work: it is waited for apart from the time limit, with this much patience (a loaded
# machine can take seconds to start an interpreter).
STARTUP_TIMEOUT = 120.0
READY = b"ready"


class LimitExceeded(Exception):
    """The work took longer than the time limit or used more than the memory limit."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # "time" or "memory"


class GuardedError(Exception):
    """An exception raised by the work that could not be sent back as itself."""


@dataclass(frozen=True)
class Limits:
    timeout: float = DEFAULT_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB
    workers: int = DEFAULT_WORKERS
    preload: tuple[str, ...] = ()  # modules a guard imports before it says it is ready


def serve(fd: int, memory_mb: int, preload: tuple[str, ...] = ()) -> None:
    """The guard process: cap the address space, import ``preload``, say it is ready, then
    answer requests until the socket closes. Requests and answers are pickled tuples."""
    import importlib
    import resource

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server's Ctrl-C is for the server
    conn = Connection(fd)
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for module in preload:
        with contextlib.suppress(Exception):  # a missing module fails its call, not the guard
            importlib.import_module(module)
    try:
        conn.send_bytes(READY)
    except OSError:
        return
    while True:
        try:
            request = conn.recv_bytes()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            func, args, kwargs = pickle.loads(request)
            answer: tuple[str, Any] = ("ok", func(*args, **kwargs))
        except MemoryError:
            answer = ("memory", None)
        except Exception as exc:  # user work: report whatever it raised
            answer = ("raised", exc)
        except BaseException as exc:  # SystemExit...: an error of the work, not of the caller
            answer = ("raised", GuardedError(f"{type(exc).__name__}: {exc}"))
        try:
            conn.send_bytes(pickle.dumps(answer))
        except MemoryError:
            conn.send_bytes(pickle.dumps(("memory", None)))
        except Exception as exc:  # the result or the exception does not pickle
            error = GuardedError(f"{type(exc).__name__}: {exc}")
            conn.send_bytes(pickle.dumps(("raised", error)))
        if answer[0] == "memory":
            return  # a process that ran out of memory is not trusted for the next call


class _Guard:
    """One guard: a fresh interpreter (never a fork of the multithreaded server, and not
    multiprocessing's spawn, which re-runs the server's main script) on a socket pair."""

    def __init__(self, memory_mb: int, preload: tuple[str, ...] = ()) -> None:
        ours, theirs = socket.socketpair()
        code = (
            "from netweave.foundation.guarded import serve; "
            + f"serve({theirs.fileno()}, {memory_mb}, {preload!r})"
        )
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.process = subprocess.Popen(  # our own interpreter and module
            [sys.executable, "-c", code],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            env=env,
            close_fds=True,
        )
        theirs.close()
        self.conn = Connection(ours.detach())
        self.memory_mb = memory_mb
        self.started = False

    def wait_ready(self) -> bool:
        """Wait for the guard's start (not counted in any call's time limit)."""
        if self.started:
            return True
        try:
            if self.conn.poll(STARTUP_TIMEOUT) and self.conn.recv_bytes() == READY:
                self.started = True
        except (EOFError, OSError):
            return False
        return self.started

    def call(self, request: bytes, timeout: float) -> tuple[str, Any]:
        try:
            self.conn.send_bytes(request)
            if not self.conn.poll(timeout):
                return ("time", None)
            answer: tuple[str, Any] = pickle.loads(self.conn.recv_bytes())
            return answer
        except (EOFError, OSError):  # killed by the kernel (out of memory) or crashed
            return ("memory", None)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)


class GuardPool:
    """At most ``limits.workers`` guards, started on first use; callers queue for one."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(self.limits.workers)
        self._idle: list[_Guard] = []
        self._busy: set[_Guard] = set()
        self._closed = False

    def run(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        limits = self.limits
        request = pickle.dumps((func, args, kwargs))  # a value that cannot be sent fails here
        with self._slots:
            guard = self._take(limits.memory_mb, limits.preload)
            if not guard.wait_ready():
                self._give_back(guard, False)
                raise Unavailable(
                    f"no guard process for templates and parsers started within "
                    f"{STARTUP_TIMEOUT:g} s; try again"
                )
            healthy = False
            try:
                status, value = guard.call(request, limits.timeout)
                healthy = status in ("ok", "raised")
            finally:
                self._give_back(guard, healthy)
        if status == "ok":
            return value
        if status == "raised":
            raise value
        if status == "time":
            raise LimitExceeded("time", f"took longer than {limits.timeout:g} s")
        raise LimitExceeded("memory", f"used more than {limits.memory_mb} MB of memory")

    def _take(self, memory_mb: int, preload: tuple[str, ...]) -> _Guard:
        with self._lock:
            while self._idle:
                guard = self._idle.pop()
                if guard.alive() and guard.memory_mb == memory_mb:
                    self._busy.add(guard)
                    return guard
                guard.stop()
        guard = _Guard(memory_mb, preload)
        with self._lock:
            self._busy.add(guard)
        return guard

    def _give_back(self, guard: _Guard, healthy: bool) -> None:
        with self._lock:
            self._busy.discard(guard)
            if healthy and not self._closed and guard.alive():
                self._idle.append(guard)
                return
        guard.stop()

    def processes(self) -> list[subprocess.Popen[bytes]]:
        """The live guard processes (for tests and diagnostics)."""
        with self._lock:
            return [g.process for g in [*self._idle, *self._busy] if g.alive()]

    def shutdown(self) -> None:
        """Stop the idle guards (a busy one is stopped when its call returns)."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for guard in idle:
            guard.stop()


_POOL = GuardPool()


def configure(timeout: float, memory_mb: int, workers: int, preload: tuple[str, ...] = ()) -> None:
    """Set the limits (from the settings) for the calls that follow; guards import
    ``preload`` before they take work."""
    global _POOL
    limits = Limits(timeout, memory_mb, workers, tuple(preload))
    if limits == _POOL.limits:
        return
    old, _POOL = _POOL, GuardPool(limits)
    old.shutdown()


def limits() -> Limits:
    return _POOL.limits


def run(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``func(*args, **kwargs)`` in a guard process; raises :class:`LimitExceeded`."""
    return _POOL.run(func, *args, **kwargs)


def processes() -> list[subprocess.Popen[bytes]]:
    return _POOL.processes()


def shutdown() -> None:
    """Stop the guards; the next call starts fresh ones."""
    global _POOL
    old, _POOL = _POOL, GuardPool(_POOL.limits)
    old.shutdown()


atexit.register(shutdown)

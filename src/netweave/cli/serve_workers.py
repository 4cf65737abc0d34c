"""``netweave serve --workers N``: N API processes behind one address, sharing nothing but
the database and Redis (the rq executor). The first process is the controller (schema,
first admin, job recovery, the reaper, node watch, run takeover, the embedded scheduler
and syslog); it and the N-1 API-only processes it starts each listen on the address with
SO_REUSEPORT, and the kernel spreads new connections over them by a hash of each
connection (one shared accept queue would let the first awake process take most). The
controller says it is up once they all listen (each writes a byte to a pipe). A process that
dies is started again; SIGTERM on the controller stops them all (each drains its requests);
a controller killed outright takes them with it (PR_SET_PDEATHSIG)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time

import uvicorn

from netweave.cli.console import err_console

PR_SET_PDEATHSIG = 1  # prctl(2)
RESTART_LIMIT = 5  # restarts per child before the controller gives up on it
BACKLOG = 2048
READY_WAIT_S = 60.0  # the controller says it is up once its API processes listen


def listening_socket(host: str, port: int) -> socket.socket:
    """A listening socket that the other API processes can bind too (SO_REUSEPORT)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    return sock


def _dies_with_parent() -> None:
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class ApiProcesses:
    """The controller's N-1 API-only children, kept running until :meth:`stop`."""

    def __init__(self, host: str, port: int, count: int, data_dir: str | None) -> None:
        self.bind = f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"
        self.count = count
        self.data_dir = data_dir
        self.children: list[subprocess.Popen[bytes]] = []
        self.restarts = [0] * count
        self._stopping = threading.Event()  # the watch thread may end
        self._no_restart = threading.Event()
        self._watch: threading.Thread | None = None
        self._ready: list[int] = []  # read ends of the children's readiness pipes

    def _spawn(self, tell: bool = False) -> subprocess.Popen[bytes]:
        """A child; ``tell``: it writes a byte to a pipe once it listens (see
        :meth:`wait_listening`)."""
        command = [sys.executable, "-m", "netweave.cli.main", "serve", "--api-bind", self.bind]
        if self.data_dir is not None:
            command += ["--data-dir", self.data_dir]
        if not tell:
            return subprocess.Popen(command, preexec_fn=_dies_with_parent)
        read, write = os.pipe()
        try:
            command += ["--ready-fd", str(write)]
            child = subprocess.Popen(command, preexec_fn=_dies_with_parent, pass_fds=(write,))
        finally:
            os.close(write)  # the child holds it now: its exit is the pipe's end
        self._ready.append(read)
        return child

    def start(self) -> ApiProcesses:
        self.children = [self._spawn(tell=True) for _ in range(self.count)]
        self._watch = threading.Thread(target=self._keep, name="api-processes", daemon=True)
        self._watch.start()
        return self

    def wait_listening(self, timeout: float) -> int:
        """Wait, up to ``timeout`` s, until every child started by :meth:`start` listens
        (clients connecting earlier all landed on the controller and, keeping their
        connections, stayed there); how many do. A child that exits closes its pipe
        without a word."""
        deadline = time.monotonic() + timeout
        pending, ready = list(self._ready), 0
        while pending and (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select(pending, [], [], left)
            for descriptor in readable:
                ready += len(os.read(descriptor, 1))
                pending.remove(descriptor)
        for descriptor in self._ready:
            os.close(descriptor)
        self._ready.clear()
        return ready

    def _keep(self) -> None:
        while not self._stopping.wait(1.0):
            for position, child in enumerate(self.children):
                if child.poll() is None or self._no_restart.is_set():
                    continue
                if self.restarts[position] >= RESTART_LIMIT:
                    continue
                self.restarts[position] += 1
                err_console.print(
                    f"[yellow]API process {child.pid} exited ({child.returncode}): "
                    "starting it again[/]"
                )
                self.children[position] = self._spawn()

    def stop(self, grace: float) -> None:
        """SIGTERM each (they drain), then end the watch thread: a child it restarted
        would get its PDEATHSIG when that thread ends, so the thread outlives them."""
        self._no_restart.set()
        for child in self.children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for child in self.children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self._stopping.set()
        if self._watch is not None:
            self._watch.join(timeout=5)


def tell_ready(descriptor: int | None) -> None:
    """An API process listens: say so to the controller (``--ready-fd``), once."""
    if descriptor is None:
        return
    with contextlib.suppress(OSError):  # the controller stopped waiting: nothing to tell
        os.write(descriptor, b"1")
    with contextlib.suppress(OSError):
        os.close(descriptor)


def parse_bind(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host.strip("[]"), int(port)


def api_config(
    app: object, keep_alive: int, grace: float, access_log: bool, **where: object
) -> uvicorn.Config:
    """Every API process's uvicorn settings (``where``: host and port, when it binds).

    ``loop="asyncio"``, not uvloop: the API's database reads and sync routes run in a
    thread pool, and under uvloop the requests whose answer comes back from a thread were
    served unevenly once the process was saturated: 1,000 clients polling ``GET
    /jobs/{id}``, one process, the same 1,100 requests/s either way, p99 7.9 s with 169
    requests past 10 s under uvloop against 1.7 s and none under asyncio's loop
    (docs/benchmarks.md, "The API under load")."""
    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        log_level="info",
        access_log=access_log,
        loop="asyncio",
        timeout_graceful_shutdown=int(grace),
        timeout_keep_alive=keep_alive,
        **where,  # type: ignore[arg-type]
    )

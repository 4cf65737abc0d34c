"""Running a lab: in a background thread (tests, embedding) or in the foreground (CLI)."""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from netweave.lab.cli_ios import IosCli
from netweave.lab.cli_junos import JunosCli
from netweave.lab.device import Fault, LabDevice
from netweave.lab.server import Lab
from netweave.lab.specs import LabDeviceSpec, LabLink, write_manifest

T = TypeVar("T")
STOP_TIMEOUT_S = 10.0  # closing every session and listener of a stopping lab


class LabThread:
    """A :class:`Lab` on its own event loop in a daemon thread; thread-safe controls."""

    def __init__(
        self,
        specs: list[LabDeviceSpec],
        *,
        host_key_path: Path | None = None,
        links: Sequence[LabLink] = (),
    ) -> None:
        """``links``: the cables between devices (see :mod:`netweave.lab.topology`), which
        their CDP and LLDP neighbour tables show."""
        self.lab = Lab(specs, host_key_path=host_key_path, links=links)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="netweave-lab", daemon=True
        )
        self.started = False

    def _call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def start(self) -> LabThread:
        self._thread.start()
        self._call(self.lab.start())
        self.started = True
        return self

    def stop(self) -> None:
        if self.started:
            self._call(self.lab.stop())
            self.started = False
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def __enter__(self) -> LabThread:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def devices(self) -> list[LabDevice]:
        return self.lab.devices

    def device(self, name: str) -> LabDevice:
        return self.lab.device(name)

    def _in_loop(self, action: Callable[[], T]) -> T:
        async def run() -> T:
            return action()

        return self._call(run())

    def set_fault(self, name: str, fault: Fault) -> None:
        self._in_loop(lambda: self.lab.set_fault(name, fault))

    def clear_fault(self, name: str) -> None:
        self._in_loop(lambda: self.lab.clear_fault(name))

    def kill_sessions(self, name: str) -> int:
        return self._in_loop(lambda: self.lab.kill_sessions(name))

    @property
    def session_count(self) -> int:
        return self._in_loop(lambda: self.lab.session_count)

    def sessions_of(self, name: str) -> int:
        return self._in_loop(lambda: len(self.lab.device(name).connections))

    def configure(self, name: str, lines: list[str]) -> str:
        """Apply configuration ``lines`` to device ``name`` as a CLI session would, without
        SSH (IOS/EOS: configuration mode; Junos: ``set``/``delete`` lines, then a commit):
        how a test changes a device under what it tests. Returns the device's complaints
        (empty when every line was accepted)."""

        def apply() -> str:
            device = self.lab.device(name)
            cli = device.new_cli(device.spec.username)
            if isinstance(cli, IosCli):
                return cli.merge_text("\n".join(lines))
            if not isinstance(cli, JunosCli):
                raise ValueError(f"{name} has no configuration ({device.spec.platform})")
            replies = [cli.handle(line).output for line in ["configure", *lines, "commit"]]
            cli.handle("exit")
            return "".join(r for r in replies if "error" in r or "unknown" in r)

        return self._in_loop(apply)


def rss_mb() -> float:
    """Current resident memory of this process (Linux /proc), in MiB."""
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_forever(
    specs: list[LabDeviceSpec],
    *,
    manifest: Path | None = None,
    host_key_path: Path | None = None,
    on_ready: Callable[[Lab, float], None] | None = None,
    links: Sequence[LabLink] = (),
) -> None:
    """Serve until SIGINT/SIGTERM, then close every session and listener (bounded by
    :data:`STOP_TIMEOUT_S`) and return. A second signal during the stop exits at once
    (status 128 + signal). ``on_ready(lab, start_seconds)`` runs once listening."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_signal(signum: int) -> None:
            if stop.is_set():  # a second signal: the stop is stuck, leave now
                os._exit(128 + signum)
            stop.set()

        for signum in (signal.SIGINT, signal.SIGTERM):  # before the start: none is missed
            loop.add_signal_handler(signum, on_signal, signum)
        lab = Lab(specs, host_key_path=host_key_path, links=links)
        try:
            started = time.perf_counter()
            await lab.start()
            elapsed = time.perf_counter() - started
            if manifest is not None:
                write_manifest(manifest, specs, links)
            if on_ready is not None:
                on_ready(lab, elapsed)
            await stop.wait()
        finally:
            if manifest is not None:
                manifest.unlink(missing_ok=True)
            try:
                await asyncio.wait_for(lab.stop(), STOP_TIMEOUT_S)
            except TimeoutError:
                print(f"lab: stop took over {STOP_TIMEOUT_S:g} s; exiting", file=sys.stderr)

    asyncio.run(main())

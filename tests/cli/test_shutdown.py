"""SIGTERM and SIGINT end every long-running command cleanly: exit status 0, every child
process it started gone, what it held released (the demo lab's SSH port, a worker node's
heartbeat).

Each signal gets one fleet of real processes (``serve --demo``, ``serve``, ``worker``,
``scheduler``, ``syslog``, ``lab up``), started at once and each awaited on its own sign of
readiness; each test then stops one of them."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from redis import Redis

from netweave.db.engine import make_engine
from netweave.db.migrate import upgrade
from netweave.executor.nodes import NodeDirectory
from tests.fixtures.ports import free_port as _free_port
from tests.fixtures.workers import REDIS_URL

ALL_COMMANDS = ("serve --demo", "serve", "worker", "scheduler", "syslog", "lab")
READY_TIMEOUT_S = 120.0  # starting six interpreters at once on a loaded 2-core machine
STOP_TIMEOUT_S = 40.0  # the commands' own backstop is 30 s (netweave.cli.shutdown)


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (``/proc/<pid>/task/*/children``, recursively)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            pending += children
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class Command:
    """One started command: its process, output file and data directory."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    data_dir: Path
    ports: dict[str, int] = field(default_factory=dict)
    children: list[int] = field(default_factory=list)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, ready: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not ready():
            assert self.process.poll() is None, f"{self.name} exited:\n{self.output()}"
            assert time.monotonic() < deadline, f"{self.name}: no {what}:\n{self.output()}"
            time.sleep(0.1)

    def stop(self, signum: int) -> int:
        """Send ``signum`` once; the exit status (the process is killed past the bound)."""
        self.children = [pid for pid in _descendants(self.process.pid) if _alive(pid)]
        self.process.send_signal(signum)
        try:
            return self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"{self.name} still running {STOP_TIMEOUT_S:g} s after {signum}")

    def assert_children_gone(self) -> None:
        deadline = time.monotonic() + 5  # a killed child is reaped by init, not at once
        while any(_alive(pid) for pid in self.children) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [pid for pid in self.children if _alive(pid)]
        assert not left, f"{self.name} left child processes {left}:\n{self.output()}"


@dataclass
class Fleet:
    signum: int
    commands: dict[str, Command]
    queue: str
    demo_key: str = ""

    def command(self, name: str) -> Command:
        return self.commands[name]


def _environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "NETWEAVE_DATA_DIR": str(data_dir),
        "NETWEAVE_MODE": "dev",
        "COLUMNS": "250",
        "TERM": "dumb",
        "PYTHONUNBUFFERED": "1",
        "NETWEAVE_SYSLOG_HOST": "127.0.0.1",
        "NETWEAVE_SYSLOG_PORT": str(_free_port()),
        **extra,
    }
    for name in ("NETWEAVE_DATABASE_URL", "NETWEAVE_ADMIN_PASSWORD", "NETWEAVE_SECRET_KEY"):
        env.pop(name, None)
    return env


def _start(name: str, root: Path, args: list[str], env: dict[str, str]) -> Command:
    data_dir = Path(env["NETWEAVE_DATA_DIR"])
    log = root / f"{name}.log"
    with log.open("wb") as out:  # a file, not a pipe: nobody reads while it runs
        process = subprocess.Popen(
            [sys.executable, "-m", "netweave.cli.main", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Command(name, process, log, data_dir)


@pytest.fixture(scope="module", params=[signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def fleet(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fleet]:
    root = tmp_path_factory.mktemp("shutdown")
    migrated = root / "migrated.db"  # for the commands that do not migrate (worker...)
    engine = make_engine(f"sqlite:///{migrated}")
    upgrade(engine)
    engine.dispose()

    def data_dir(name: str) -> Path:
        path = root / name
        path.mkdir(mode=0o700)
        shutil.copy(migrated, path / "netweave.db")
        return path

    queue = f"nwtest-{uuid.uuid4().hex[:8]}"
    api_demo, api_plain = _free_port(), _free_port()
    lab_port = _free_port("127.1.0.1")
    starters: dict[str, Callable[[], Command]] = {
        "serve --demo": lambda: _start(
            "serve-demo",
            root,
            [
                "serve",
                "--demo",
                "--port",
                str(api_demo),
                "--lab-port",
                str(lab_port),
                "--lab-devices",
                "4",
            ],
            _environment(root / "serve-demo"),
        ),
        "serve": lambda: _start(
            "serve", root, ["serve", "--port", str(api_plain)], _environment(root / "serve")
        ),
        "worker": lambda: _start(
            "worker",
            root,
            ["worker", "--threads", "2", "--node", queue],
            _environment(
                data_dir("worker"),
                NETWEAVE_EXECUTOR="rq",
                NETWEAVE_REDIS_URL=REDIS_URL,
                NETWEAVE_QUEUE_NAME=queue,
            ),
        ),
        "scheduler": lambda: _start(
            "scheduler", root, ["scheduler", "--every", "0.2"], _environment(data_dir("scheduler"))
        ),
        "syslog": lambda: _start(
            "syslog",
            root,
            ["syslog", "--port", str(_free_port())],
            _environment(data_dir("syslog")),
        ),
        "lab": lambda: _start(
            "lab",
            root,
            ["lab", "up", "--devices", "2", "--manifest", str(root / "lab.json")],
            _environment(root / "lab-data"),
        ),
    }
    commands = {name: starters[name]() for name in ALL_COMMANDS}
    commands["serve --demo"].ports = {"api": api_demo, "lab": lab_port}
    commands["serve"].ports = {"api": api_plain}
    redis = Redis.from_url(REDIS_URL)
    heartbeat = f"netweave:nodes:{queue}:{queue}"
    try:

        def says(name: str, line: str) -> Callable[[], bool]:
            return lambda: line in commands[name].output()

        for name, ready, what in [
            ("serve --demo", says("serve --demo", "NetWeave is up"), "banner"),
            ("serve", says("serve", "NetWeave is up"), "banner"),
            ("worker", lambda: bool(redis.exists(heartbeat)), "heartbeat"),
            ("scheduler", says("scheduler", " up (tick"), "'up' line"),
            ("syslog", says("syslog", "syslog up:"), "'up' line"),
            ("lab", (root / "lab.json").exists, "manifest"),
        ]:
            commands[name].wait_for(ready, what)
        key = re.search(r"(nwk_[A-Za-z0-9_-]+)", commands["serve --demo"].output())
        assert key is not None
        yield Fleet(request.param, commands, queue, key.group(1))
    finally:
        for command in commands.values():
            if command.process.poll() is None:
                command.process.kill()
                command.process.wait()
            for pid in _descendants(command.process.pid) + command.children:
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)
        redis.delete(heartbeat)
        redis.close()


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex((host, port)) == 0


def test_serve_demo_stops_lab_guards_and_sessions(fleet: Fleet) -> None:
    serve = fleet.command("serve --demo")
    base = f"http://127.0.0.1:{serve.ports['api']}"
    headers = {"X-API-KEY": fleet.demo_key}
    # a guard process (templates run in one) and an open device session in the pool
    rendered = httpx.post(
        f"{base}/template/render",
        json={"template": "vlan {{ id }}", "context": {"id": 42}},
        headers=headers,
        timeout=60,
    )
    assert rendered.json() == "vlan 42"
    login = {"username": "netweave", "password": "netweave", "device_type": "cisco_ios"}
    job = httpx.post(
        f"{base}/device/exec",
        json={
            "connection_args": {"host": "127.1.0.1", "port": serve.ports["lab"], **login},
            "command": "show clock",
        },
        headers=headers,
    ).json()
    done = httpx.get(f"{base}/jobs/{job['id']}", params={"wait": 60}, headers=headers, timeout=70)
    assert done.json()["status"] == "finished", done.text
    stats = httpx.get(f"{base}/system/stats", headers=headers).json()
    assert stats["sessions"]["sessions"] == 1  # held open by the pool
    lab = [
        pid
        for pid in _descendants(serve.process.pid)
        if b"netweave.lab" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    assert len(lab) == 1 and _port_open("127.1.0.1", serve.ports["lab"])

    assert serve.stop(fleet.signum) == 0, serve.output()

    assert len(serve.children) >= 2, serve.children  # the lab and at least one guard
    serve.assert_children_gone()
    assert not _port_open("127.1.0.1", serve.ports["lab"])
    assert not _port_open("127.0.0.1", serve.ports["api"])
    assert not (serve.data_dir / "lab-manifest.json").exists()


def test_serve_exits_zero(fleet: Fleet) -> None:
    serve = fleet.command("serve")
    assert httpx.get(f"http://127.0.0.1:{serve.ports['api']}/health").status_code == 200
    assert serve.stop(fleet.signum) == 0, serve.output()
    serve.assert_children_gone()
    assert not _port_open("127.0.0.1", serve.ports["api"])


def test_worker_leaves_the_node_directory(fleet: Fleet) -> None:
    worker = fleet.command("worker")
    redis = Redis.from_url(REDIS_URL)
    directory = NodeDirectory(redis, fleet.queue)
    try:
        assert fleet.queue in directory.alive()
        assert worker.stop(fleet.signum) == 0, worker.output()
        worker.assert_children_gone()
        assert fleet.queue not in directory.alive()  # gone now, not after the TTL
        assert not redis.exists(f"netweave:nodes:{fleet.queue}:{fleet.queue}")
    finally:
        redis.close()
    assert "draining" in worker.output()


@pytest.mark.parametrize(
    ("name", "farewell"),
    [("scheduler", "scheduler stopped: fired"), ("syslog", "syslog stopped: received")],
)
def test_loop_commands_exit_zero(fleet: Fleet, name: str, farewell: str) -> None:
    command = fleet.command(name)
    assert command.stop(fleet.signum) == 0, command.output()
    command.assert_children_gone()
    assert farewell in command.output()


def test_lab_closes_its_devices(fleet: Fleet) -> None:
    lab = fleet.command("lab")
    manifest = lab.log.parent / "lab.json"
    ports = [int(port) for port in re.findall(r'"port": (\d+)', manifest.read_text())]
    assert ports and all(_port_open("127.0.0.1", port) for port in ports)
    assert lab.stop(fleet.signum) == 0, lab.output()
    lab.assert_children_gone()
    assert not manifest.exists()
    assert not any(_port_open("127.0.0.1", port) for port in ports)

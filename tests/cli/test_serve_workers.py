"""Issue 20 item 3: ``netweave serve --workers N``, several API processes behind one
address sharing nothing but PostgreSQL and Redis. Runs started through the one address are
accepted by both processes and finished by a worker node; an API process killed outright
is started again; SIGTERM on the controller stops every process. With the local executor
the option is refused, naming why."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from netweave.lab import LabThread
from tests.fixtures.database import ONE_BACKEND, _create_pg_database, _drop_pg_database
from tests.fixtures.lab import first
from tests.fixtures.loadgen import listening_sockets
from tests.fixtures.ports import free_port
from tests.fixtures.workers import REDIS_URL

pytestmark = ONE_BACKEND
PASSWORD = "serve-workers-password-1234"


def _children(pid: int) -> set[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return {int(line) for line in found.split()}


def _wait_for(check: object, what: str, limit: float = 60) -> None:
    deadline = time.monotonic() + limit  # a bound for a loaded machine, not a timing
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


@pytest.fixture
def database() -> Iterator[str]:
    name, url = _create_pg_database()
    yield url
    _drop_pg_database(name)


def test_several_api_processes_share_one_address(
    database: str, lab: LabThread, tmp_path: Path
) -> None:
    port, queue = free_port(), f"nwtest-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "NETWEAVE_MODE": "dev",
        "NETWEAVE_DATA_DIR": str(tmp_path / "data"),
        "NETWEAVE_DATABASE_URL": database,
        "NETWEAVE_EXECUTOR": "rq",
        "NETWEAVE_REDIS_URL": REDIS_URL,
        "NETWEAVE_QUEUE_NAME": queue,
        "NETWEAVE_ADMIN_PASSWORD": PASSWORD,
        "NETWEAVE_EMBEDDED_SYSLOG": "false",
    }
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - the child writes it
    controller = subprocess.Popen(
        [sys.executable, "-m", "netweave.cli.main", "serve", "--workers", "2", "--host",
         "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    worker = None
    base = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            try:
                return httpx.get(f"{base}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return controller.poll() is not None  # fails below, with the log
            return False

        _wait_for(up, "the controller did not start")
        assert controller.poll() is None, (tmp_path / "serve.log").read_text()

        def listening() -> int:  # each process logs it once it accepts connections
            return (tmp_path / "serve.log").read_text().count("Application startup complete")

        # "up" is said once every API process listens: a client connecting earlier would
        # have landed on the controller and, keeping its connection, stayed there
        _wait_for(lambda: "NetWeave is up" in (tmp_path / "serve.log").read_text(), "never said up")
        assert listening_sockets(port) == 2 and listening() == 2
        assert len(_children(controller.pid)) == 1
        worker = subprocess.Popen(
            [sys.executable, "-m", "netweave.cli.main", "worker", "--threads", "4", "--node",
             queue],
            env={k: v for k, v in env.items() if k != "NETWEAVE_ADMIN_PASSWORD"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

        ios = first(lab, "cisco_ios")
        with httpx.Client(base_url=base, timeout=60) as client:
            login = client.post(
                "/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}
            )
            assert login.status_code == 200, login.text
            client.headers["X-CSRF-Token"] = client.cookies.get("netweave_csrf") or ""
            credential = {"name": "lab", "username": "netweave", "password": "netweave",
                          "scope": {"networks": ["127.0.0.0/8"]}}  # fmt: skip
            assert client.post("/api/v1/credentials", json=credential).status_code == 201
            device = {"name": ios.name, "host": ios.host, "port": ios.port,
                      "platform": "cisco_ios", "credential": "lab"}  # fmt: skip
            assert client.post("/api/v1/devices", json=device).status_code == 201
            service = {"name": "Clock", "type": "netmiko_commands",
                       "inputs": {"commands": ["show clock"]},
                       "options": {"targets": {"devices": [ios.name]}}}  # fmt: skip
            assert client.post("/api/v1/services", json=service).status_code == 201
            cookies, headers = dict(client.cookies), dict(client.headers)

        def one_run(_: int) -> str:
            with httpx.Client(base_url=base, timeout=90, cookies=cookies, headers=headers) as c:
                answer = c.post("/api/v1/run/Clock", json={"wait": 60})
                assert answer.status_code == 201, answer.text
                return str(answer.json()["status"])

        with ThreadPoolExecutor(8) as pool:  # new connections: SO_REUSEPORT spreads them
            statuses = list(pool.map(one_run, range(16)))
        assert statuses == ["success"] * 16
        engine = create_engine(database)
        with engine.connect() as connection:
            processes = set(connection.execute(text("SELECT DISTINCT process FROM runs")).scalars())
        engine.dispose()
        assert len(processes) == 2, processes  # both API processes accepted runs

        # an API process killed outright is started again by the controller
        (child,) = _children(controller.pid)
        os.kill(child, signal.SIGKILL)
        _wait_for(lambda: _children(controller.pid) - {child}, "the API process was not restarted")
        _wait_for(lambda: listening() == 3, "the restarted API process does not listen")
        _wait_for(up, "the address stopped answering")
        (again,) = _children(controller.pid) - {child}

        controller.send_signal(signal.SIGTERM)
        assert controller.wait(timeout=60) == 0
        _wait_for(lambda: not os.path.exists(f"/proc/{again}"), "an API process outlived it")
    finally:
        for process in (worker, controller):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
        log.close()


def test_several_api_processes_are_refused_with_the_local_executor(tmp_path: Path) -> None:
    env = {**os.environ, "NETWEAVE_MODE": "dev", "NETWEAVE_DATA_DIR": str(tmp_path / "data"),
           "NETWEAVE_ADMIN_PASSWORD": PASSWORD, "COLUMNS": "200"}  # fmt: skip
    env.pop("NETWEAVE_EXECUTOR", None)
    done = subprocess.run(
        [sys.executable, "-m", "netweave.cli.main", "serve", "--workers", "2", "--port",
         str(free_port())],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--workers" in done.stderr and "rq executor" in done.stderr

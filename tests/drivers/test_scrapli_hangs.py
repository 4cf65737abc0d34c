"""libscrapli keeps native state per connection: a session left half-open after a hung
device (a failed login, a timed-out read) used to crash the whole process (SIGSEGV) when the
device later hung up. Run in a child process, since the failure is the process dying; the
configured timeouts bound the login and each command."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    from netweave.drivers import DriverError, registry
    from netweave.drivers.base import BaseConnectionArgs
    from netweave.lab import Fault, LabThread, build_specs

    with LabThread(build_specs(4, prefix="hang")) as lab:
        device = next(d for d in lab.devices if d.spec.platform == "cisco_ios")
        args = BaseConnectionArgs.model_validate({
            "host": device.host, "port": device.port, "username": "netweave",
            "password": "netweave", "secret": "netweave", "device_type": "cisco_ios",
            "timeout": 2,
        })
        driver = registry.get("scrapli")()
        session = driver.connect(args)
        lab.set_fault(device.name, Fault("hang"))
        try:
            session.run_commands(["show clock"], {"read_timeout": 2})
        except DriverError as exc:
            print("read:", exc.cause, flush=True)
        session.close()
        try:
            driver.connect(args)
        except DriverError as exc:
            print("login:", exc.cause, flush=True)
        lab.clear_fault(device.name)  # the device hangs up on both sessions now
    print("lab closed", flush=True)
    """
)


def test_hung_sessions_time_out_and_the_process_survives_the_hang_up() -> None:
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr[-2000:])
    assert "read: timeout" in done.stdout and "login: timeout" in done.stdout, done.stdout
    assert "lab closed" in done.stdout

"""Paramiko: one SSH transport per device, each command on its own exec channel (real exit
status). Stateless commands, so FIFO by default."""

from __future__ import annotations

import time
from typing import Any, ClassVar

import paramiko

from netweave.drivers.base import (
    BaseConnectionArgs,
    CommandOutput,
    ConfigOutcome,
    Driver,
    DriverSession,
    QueueStrategy,
)
from netweave.drivers.failures import PhaseClock
from netweave.drivers.netmiko_driver import set_nodelay


class ParamikoSession(DriverSession):
    def __init__(self, client: paramiko.SSHClient, target: str = "") -> None:
        self.client = client
        self.target = target  # host:port, for error messages
        transport = client.get_transport()
        self.info = {"remote_version": transport.remote_version if transport else None}

    def run_commands(self, commands: list[str], options: dict[str, Any]) -> list[CommandOutput]:
        timeout = float(options.get("read_timeout", 30))
        outputs = []
        for command in commands:
            started = time.perf_counter()
            clock = PhaseClock(self.target, f"running {command!r}")
            try:
                _, stdout, stderr = self.client.exec_command(command, timeout=timeout)
                out = stdout.read().decode(errors="replace")
                err = stderr.read().decode(errors="replace")
                status = stdout.channel.recv_exit_status()
            except (paramiko.SSHException, OSError, EOFError) as exc:  # TimeoutError too
                raise clock.error(exc) from exc
            if status == -1 and not self.is_alive():  # no exit status: the device hung up
                raise clock.error(EOFError("the device closed the session"))
            outputs.append(CommandOutput(command, out, err, status, time.perf_counter() - started))
        return outputs

    def push_config(self, lines: list[str], options: dict[str, Any]) -> ConfigOutcome:
        """Each line runs as a command; the first non-zero exit status stops the push."""
        outcome = ConfigOutcome(output="")
        started = time.perf_counter()
        for position, line in enumerate(lines):
            result = self.run_commands([line], options)[0]
            outcome.output += result.stdout + result.stderr
            if result.exit_status != 0:
                outcome.failed_line = line
                said = (result.stderr.strip() or result.stdout.strip()).splitlines()
                outcome.error = f"command rejected: {line!r}: exit status {result.exit_status}" + (
                    f": {said[-1].strip()}" if said else ""
                )
                outcome.skipped = lines[position + 1 :]
                break
            outcome.applied.append(line)
        outcome.duration_seconds = time.perf_counter() - started
        return outcome

    def is_alive(self) -> bool:
        transport = self.client.get_transport()
        return bool(transport and transport.is_active())

    def keepalive(self) -> bool:
        transport = self.client.get_transport()
        if not transport or not transport.is_active():
            return False
        transport.send_ignore()
        return True

    def close(self) -> None:
        self.client.close()


class ParamikoDriver(Driver):
    name = "paramiko"
    persistent = True
    default_queue_strategy: ClassVar[QueueStrategy] = "fifo"

    def connect(self, args: BaseConnectionArgs) -> DriverSession:
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        clock = PhaseClock(f"{args.host}:{args.port}", "connecting")  # TCP, SSH and login
        try:
            client.connect(
                args.host,
                port=args.port,
                username=args.username,
                password=args.password.get_secret_value() if args.password else None,
                timeout=args.timeout,
                banner_timeout=args.timeout,
                auth_timeout=args.timeout,
                look_for_keys=False,
                allow_agent=False,
            )
        except (paramiko.SSHException, OSError, EOFError) as exc:  # auth and host key too
            client.close()
            raise clock.error(exc) from exc
        transport = client.get_transport()
        if transport is not None:
            set_nodelay(transport)
        return ParamikoSession(client, clock.target)

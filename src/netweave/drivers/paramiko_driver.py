"""Paramiko: one SSH transport per device, each command on its own exec channel (real exit
status). Stateless commands, so FIFO by default."""

from __future__ import annotations

import codecs
import time
from typing import Any, ClassVar

import paramiko
from pydantic import Field, field_validator

from netweave.drivers import tcp
from netweave.drivers.arguments import (
    JUMP_HOST,
    SERVER_FILE,
    SERVER_KEYS,
    LibraryCall,
    PassThrough,
)
from netweave.drivers.base import (
    BaseConnectionArgs,
    BaseDriverArgs,
    CommandOutput,
    ConfigOutcome,
    Driver,
    DriverSession,
    QueueStrategy,
)
from netweave.drivers.failures import PhaseClock
from netweave.drivers.host_keys import pin
from netweave.drivers.jump import JumpChain


class ParamikoDriverArgs(BaseDriverArgs):
    encoding: str = Field(default="utf-8", description="Codec decoding stdout and stderr")

    @field_validator("encoding")
    @classmethod
    def _codec(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError as exc:
            raise ValueError(f"unknown encoding {value!r}") from exc
        return value


# Pass-through: other driver_args go to exec_command, other connection_args to
# SSHClient.connect, when their signatures take them (see arguments.py).
DRIVER_ARGS = PassThrough(
    driver="paramiko",
    field="driver_args",
    calls=(
        LibraryCall(
            "exec_command",
            paramiko.SSHClient.exec_command,
            hints={"environment": dict[str, str]},
        ),
    ),
    refused={
        "command": "NetWeave sends the request's command or config itself",
        "timeout": "use driver_args.read_timeout",
    },
    own=frozenset(ParamikoDriverArgs.model_fields),
)
CONNECTION_ARGS = PassThrough(
    driver="paramiko",
    field="connection_args",
    calls=(LibraryCall("connect", paramiko.SSHClient.connect),),
    refused={
        "hostname": "use connection_args.host",
        "key_filename": SERVER_FILE,
        "pkey": "private keys come from a credential",
        "passphrase": "it only unlocks a key, which a request cannot give",
        "look_for_keys": SERVER_KEYS,
        "allow_agent": SERVER_KEYS,
        "sock": JUMP_HOST,
        "gss_auth": "Kerberos (GSS-API) uses the server's own tickets and configuration",
        "gss_kex": "Kerberos (GSS-API) uses the server's own tickets and configuration",
        "gss_deleg_creds": "Kerberos (GSS-API) uses the server's own tickets and configuration",
        "gss_host": "Kerberos (GSS-API) uses the server's own tickets and configuration",
        "gss_trust_dns": "Kerberos (GSS-API) uses the server's own tickets and configuration",
        "transport_factory": "it takes Python code",
        "auth_strategy": "it takes a Python object",
    },
    own=frozenset(BaseConnectionArgs.model_fields),
)


class ParamikoSession(DriverSession):
    def __init__(self, client: paramiko.SSHClient, target: str = "") -> None:
        self.client = client
        self.target = target  # host:port, for error messages
        self.jump: JumpChain | None = None  # the bastions this session goes through
        transport = client.get_transport()
        self.info = {"remote_version": transport.remote_version if transport else None}

    def run_commands(self, commands: list[str], options: dict[str, Any]) -> list[CommandOutput]:
        timeout = float(options.get("read_timeout", 30))
        encoding = str(options.get("encoding") or "utf-8")
        library = DRIVER_ARGS.pick(options, "exec_command")
        outputs = []
        for command in commands:
            started = time.perf_counter()
            clock = PhaseClock(self.target, f"running {command!r}")
            try:
                _, stdout, stderr = self.client.exec_command(command, timeout=timeout, **library)
                out = stdout.read().decode(encoding, errors="replace")
                err = stderr.read().decode(encoding, errors="replace")
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
        if self.jump is not None:
            self.jump.close()


class ParamikoDriver(Driver):
    name = "paramiko"
    driver_rules = DRIVER_ARGS
    connection_rules = CONNECTION_ARGS
    persistent = True
    checks_host_key = True
    default_queue_strategy: ClassVar[QueueStrategy] = "fifo"
    driver_args = ParamikoDriverArgs

    def connect(self, args: BaseConnectionArgs) -> DriverSession:
        client = paramiko.SSHClient()
        pin(client, args)  # connection_args.host_key: strict; else accepted on first sight
        jump = JumpChain.through(args)
        sock = jump.open(args.host, args.port) if jump is not None else None
        clock = PhaseClock(f"{args.host}:{args.port}", "connecting")  # TCP, SSH and login
        try:
            if sock is None:
                sock = tcp.connect(args.host, args.port, args.timeout)  # TCP_NODELAY at once
            client.connect(
                args.host,
                port=args.port,
                username=args.username,
                password=args.password.get_secret_value() if args.password else None,
                timeout=args.timeout,
                look_for_keys=False,
                allow_agent=False,
                sock=sock,
                **{  # NetWeave's login timeouts, unless the request sets its own
                    "banner_timeout": args.timeout,
                    "auth_timeout": args.timeout,
                    **self.pass_through_connection_args(args.model_extra or {}, args.device_type)[
                        "connect"
                    ],
                },
            )
        except (paramiko.SSHException, OSError, EOFError) as exc:  # auth and host key too
            client.close()
            if jump is not None:
                jump.close()
            raise clock.error(exc) from exc
        session = ParamikoSession(client, clock.target)
        session.jump = jump
        return session

"""pyeapi: Arista eAPI over HTTP(S). Stateless requests, so FIFO and no pooled session.
Commands as ``text`` (default) or ``json`` (structured, in ``parsed``); configuration runs
as one eAPI batch that stops at the first rejected line."""

from __future__ import annotations

import json
import re
import time
from typing import Any, ClassVar, Literal

import pyeapi
from pyeapi.client import Node
from pyeapi.eapilib import CommandError, EapiConnection
from pyeapi.eapilib import ConnectionError as EapiConnectionError

from netweave.drivers.arguments import SERVER_FILE, LibraryCall, PassThrough
from netweave.drivers.base import (
    BaseConnectionArgs,
    BaseDriverArgs,
    CommandOutput,
    ConfigOutcome,
    Driver,
    DriverError,
    DriverSession,
    QueueStrategy,
)
from netweave.drivers.failures import PhaseClock, failure, seconds
from netweave.drivers.jump import JumpChain

_FAILED_AT = re.compile(r"CLI command (\d+) of (\d+)")


class PyeapiDriverArgs(BaseDriverArgs):
    encoding: Literal["text", "json"] = "text"
    save: bool = False


# Pass-through: other driver_args go to Node.run_commands and to the eAPI request (the
# keys pyeapi reads from its **kwargs), other connection_args to pyeapi.connect.
DRIVER_ARGS = PassThrough(
    driver="pyeapi",
    field="driver_args",
    calls=(
        LibraryCall("run_commands", Node.run_commands),
        LibraryCall(
            "eAPI request",
            EapiConnection.request,
            reads_from="kwargs",
            hints={
                "autoComplete": bool,
                "expandAliases": bool,
                "apiVersion": int | Literal["latest"],
                "streaming": bool,
            },
        ),
    ),
    refused={
        "commands": "NetWeave sends the request's command or config itself",
        "streaming": "NetWeave reads whole replies",
    },
    own=frozenset(PyeapiDriverArgs.model_fields),
)
CONNECTION_ARGS = PassThrough(
    driver="pyeapi",
    field="connection_args",
    calls=(
        LibraryCall(
            "connect",
            pyeapi.connect,
            # socket and http_local reach the server's own eAPI socket, not the device
            hints={"transport": Literal["http", "https"]},
        ),
    ),
    refused={
        "key_file": SERVER_FILE,
        "cert_file": SERVER_FILE,
        "ca_file": SERVER_FILE,
        "return_node": "NetWeave needs the node",
    },
    own=frozenset(BaseConnectionArgs.model_fields),
)


class PyeapiSession(DriverSession):
    def __init__(self, node: Any, transport: str, target: str = "") -> None:
        self.node = node
        self.target = target  # host:port, for error messages
        self.jump: JumpChain | None = None  # the bastions this session goes through
        self.info = {"transport": transport}

    def run_commands(self, commands: list[str], options: dict[str, Any]) -> list[CommandOutput]:
        encoding = options.get("encoding", "text")
        library = {**DRIVER_ARGS.pick(options, "run_commands"), **_request_args(options)}
        started = time.perf_counter()
        clock = PhaseClock(self.target, f"running {commands[0]!r}" if commands else "running")
        try:
            self._reads_within(float(options.get("read_timeout", 30)))
            replies = self.node.run_commands(commands, encoding=encoding, **library)
        except CommandError as exc:
            position = _position(exc, prefix=1)
            outputs = [CommandOutput(c, "", "", 0) for c in commands[:position]]
            failed = commands[position] if position < len(commands) else commands[-1]
            outputs.append(CommandOutput(failed, "", str(exc.command_error or exc), 1))
            return outputs
        except EapiConnectionError as exc:
            raise _connection_error(exc, clock) from exc
        elapsed = time.perf_counter() - started
        outputs = []
        for command, reply in zip(commands, replies, strict=False):
            if encoding == "json":
                outputs.append(
                    CommandOutput(
                        command, json.dumps(reply, indent=2), parsed=reply, duration_seconds=elapsed
                    )
                )
            else:
                outputs.append(
                    CommandOutput(command, str(reply.get("output", "")), duration_seconds=elapsed)
                )
        return outputs

    def push_config(self, lines: list[str], options: dict[str, Any]) -> ConfigOutcome:
        started = time.perf_counter()
        outcome = ConfigOutcome(output="")
        clock = PhaseClock(self.target, "pushing the configuration")
        try:
            self._reads_within(float(options.get("read_timeout", 30)))
            self.node.config(lines, **_request_args(options))
            outcome.applied = list(lines)
            if options.get("save"):
                self.node.run_commands(["copy running-config startup-config"], encoding="text")
                outcome.saved = True
        except CommandError as exc:
            position = _position(exc, prefix=2)  # "enable", "configure terminal" come first
            position = min(position, len(lines) - 1)
            outcome.applied = lines[:position]
            outcome.failed_line = lines[position] if lines else None
            outcome.skipped = lines[position + 1 :]
            outcome.error = str(exc.command_error or exc)
            outcome.output = str(exc)
        except EapiConnectionError as exc:
            raise _connection_error(exc, clock) from exc
        outcome.duration_seconds = time.perf_counter() - started
        return outcome

    def is_alive(self) -> bool:
        return True

    def _reads_within(self, seconds: float) -> None:
        """``read_timeout``: the socket timeout of the eAPI requests that follow (pyeapi
        connects per request with its transport's ``timeout``)."""
        transport = getattr(getattr(self.node, "connection", None), "transport", None)
        if transport is not None:
            transport.timeout = seconds

    def close(self) -> None:
        if self.jump is not None:
            self.jump.close()


def _request_args(options: dict[str, Any]) -> dict[str, Any]:
    return DRIVER_ARGS.pick(options, "eAPI request")


def _position(exc: CommandError, prefix: int) -> int:
    match = _FAILED_AT.search(str(exc))
    return max(int(match.group(1)) - 1 - prefix, 0) if match else 0


def _connection_error(exc: Exception, clock: PhaseClock) -> DriverError:
    text = str(exc)
    if "401" in text or "authenticate" in text.lower() or "Unauthorized" in text:
        took = clock.elapsed()
        return failure(
            "auth_failed",
            f"authentication failed: eAPI on {clock.target} rejected the credentials "
            f"after {seconds(took)} s",
            phase="authenticating",
            elapsed=took,
        )
    return clock.error(exc)


class PyeapiDriver(Driver):
    name = "pyeapi"
    driver_rules = DRIVER_ARGS
    connection_rules = CONNECTION_ARGS
    persistent = False
    driver_args = PyeapiDriverArgs
    implied_options = frozenset({"enable_mode"})  # see Driver.implied_options
    default_queue_strategy: ClassVar[QueueStrategy] = "fifo"

    def connect(self, args: BaseConnectionArgs) -> DriverSession:
        extra = args.model_extra or {}
        library = self.pass_through_connection_args(extra, args.device_type)["connect"]
        transport = str(library.pop("transport", "https"))
        jump = JumpChain.through(args)
        host, port = args.host, args.port if args.port != 22 else None
        if jump is not None:  # eAPI over HTTP(S) through the bastions, a channel per request
            default = 443 if transport == "https" else 80
            host, port = jump.open_loopback(args.host, port or default)
        node = pyeapi.connect(
            transport=transport,
            host=host,
            port=port,
            username=args.username or "",
            password=args.password.get_secret_value() if args.password else "",
            timeout=int(args.timeout),
            return_node=True,
            **library,
        )
        if args.secret:
            node.enable_authentication(args.secret.get_secret_value())
        session = PyeapiSession(node, transport, f"{args.host}:{args.port}")
        session.jump = jump
        return session

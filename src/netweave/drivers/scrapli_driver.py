"""scrapli 2 (libscrapli over libssh2): platform definitions as data, ~2 ms reads on an
open session. Persistent and pinned like Netmiko.

Known limit: scrapli's Python binding waits with ``select()``, which cannot watch file
descriptors above 1024, so one process holds at most ~150 scrapli sessions; larger fleets
use Netmiko (or more worker processes)."""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any, ClassVar

from scrapli import AuthOptions, Cli, LookupKeyValue, SessionOptions, TransportSsh2Options
from scrapli.exceptions import ScrapliException
from scrapli.ffi_types import ffi_logger_callback_wrapper

from netweave.drivers.arguments import (
    HOST_KEYS,
    JUMP_HOST,
    SERVER_FILE,
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
    changes_terminal,
)
from netweave.drivers.failures import PhaseClock, classify, failure, probe_connect
from netweave.drivers.jump import JumpChain

# Netmiko device_type (our platform names) → scrapli definition.
DEFINITIONS = {
    "cisco_ios": "cisco_iosxe",
    "cisco_xe": "cisco_iosxe",
    "cisco_nxos": "cisco_nxos",
    "cisco_xr": "cisco_iosxr",
    "arista_eos": "arista_eos",
    "juniper_junos": "juniper_junos",
    "juniper": "juniper_junos",
    "linux": "default",
}
SAVE_COMMANDS = {
    "cisco_iosxe": "write memory",
    "arista_eos": "write memory",
    "cisco_nxos": "copy running-config startup-config",
}


# Definitions whose base state is privileged EXEC ("#"): a ">" prompt means enable failed.
PRIVILEGED_BASE = {"cisco_iosxe", "cisco_nxos", "cisco_iosxr", "arista_eos"}
# libscrapli's INFO lines while opening → the step it reached
_LOGIN_STEPS = (
    ("on open callback", "entering enable mode"),
    ("authentication complete", "waiting for the prompt"),
)
_LOGIN_NOTES = ("authentication", "known host", "socket")


class _LoginTrace(logging.Handler):
    """libscrapli reports a failed login as a bare "Transport: ": its log says what
    happened. Records, for this one ``Cli`` only, the step reached and the telling lines
    (never the device's output: INFO carries none)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.step = "connecting"
        self.notes: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        for marker, step in _LOGIN_STEPS:
            if marker in message:
                self.step = step
        if any(word in message.lower() for word in _LOGIN_NOTES):
            self.notes.append(message[:200])

    @staticmethod
    def attach(cli: Cli) -> _LoginTrace:
        """A private logger (not in the logging registry: one per session would leak) at
        INFO, which libscrapli reads once at open; warnings still reach scrapli's logger."""
        trace = _LoginTrace()
        private = logging.Logger(cli.logger.name, logging.INFO)
        private.parent = cli.logger
        private.addHandler(trace)
        cli.logger = private
        cli.logger_callback = ffi_logger_callback_wrapper(logger=private)
        return trace

    def detach(self, cli: Cli) -> None:
        cli.logger.removeHandler(self)
        cli.logger.setLevel(logging.WARNING)  # later INFO lines stop in Python at once


class ScrapliDriverArgs(BaseDriverArgs):
    save: bool = False
    commit: bool = False


# Pass-through: other driver_args go to Cli.send_input, other connection_args to Cli and
# AuthOptions, when their signatures take them (see arguments.py).
DRIVER_ARGS = PassThrough(
    driver="scrapli",
    field="driver_args",
    calls=(LibraryCall("send_input", Cli.send_input),),
    refused={
        "input_": "NetWeave sends the request's command or config itself",
        "requested_mode": "NetWeave runs commands in the base mode, config in configuration mode",
    },
    own=frozenset(ScrapliDriverArgs.model_fields),
)
_PRIVATE_KEY = "private keys come from a credential"
CONNECTION_ARGS = PassThrough(
    driver="scrapli",
    field="connection_args",
    calls=(LibraryCall("Cli", Cli.__init__), LibraryCall("AuthOptions", AuthOptions)),
    refused={
        "private_key_path": SERVER_FILE,
        "private_key_content": _PRIVATE_KEY,
        "private_key_passphrase": _PRIVATE_KEY,
        "private_key_passphrase_pattern": _PRIVATE_KEY,
        "known_hosts_path": HOST_KEYS,
        "libssh2_trace": "it writes libssh2 traces to the server's output",
        **{
            f"proxy_jump_{name}": JUMP_HOST
            for name in ("host", "port", "username", "password", "private_key_path")
        },
    },
    own=frozenset(BaseConnectionArgs.model_fields),
)


class ScrapliSession(DriverSession):
    """Base state: the prompt of the definition's default mode, read once at login. Every
    input's trailing prompt is kept (free); scrapli does not notice a mode changed by an
    input (``disable``, ``configure terminal``), so a job ending elsewhere discards it."""

    def __init__(self, cli: Cli, definition: str, home: str = "", target: str = "") -> None:
        self.cli = cli
        self.target = target  # host:port, for error messages
        self.jump: JumpChain | None = None  # the bastions this session goes through
        self.definition = definition
        self.open = True
        self.freed = False  # libscrapli's object released (close() ran)
        self.info = {"definition": definition}
        self.home = home
        self.last_prompt = home
        self.tainted = False  # terminal settings changed: no cheap way back

    def _send(self, command: str, library: dict[str, Any]) -> tuple[str, bool]:
        """The output without its trailing prompt (kept in ``last_prompt``; in the output
        too with ``retain_trailing_prompt``), and failed."""
        keep_prompt = library.get("retain_trailing_prompt", False)
        options = {**library, "retain_trailing_prompt": True}
        result = self.cli.send_input(command, **options)
        body, _, prompt = result.result.rpartition("\n")
        self.last_prompt = prompt.strip()
        return (result.result if keep_prompt else body.rstrip()), result.failed

    def run_commands(self, commands: list[str], options: dict[str, Any]) -> list[CommandOutput]:
        library = {**_read_timeout(options), **DRIVER_ARGS.pick(options, "send_input")}
        outputs = []
        for command in commands:
            started = time.perf_counter()
            self.tainted = self.tainted or changes_terminal(command)
            clock = PhaseClock(self.target, f"running {command!r}")
            try:
                stdout, failed = self._send(command, library)
            except ScrapliException as exc:
                self.open = False
                raise clock.error(exc) from exc
            outputs.append(
                CommandOutput(
                    command=command,
                    stdout=stdout,
                    exit_status=1 if failed else 0,
                    duration_seconds=time.perf_counter() - started,
                )
            )
        return outputs

    def push_config(self, lines: list[str], options: dict[str, Any]) -> ConfigOutcome:
        """Line by line in configuration mode; the platform's failure indicators stop it."""
        started = time.perf_counter()
        outcome = ConfigOutcome(output="")
        clock = PhaseClock(self.target, "entering configuration mode")
        library = {**_read_timeout(options), **DRIVER_ARGS.pick(options, "send_input")}
        if self.definition in PRIVILEGED_BASE and self.home.endswith(">"):
            raise failure(
                "enable_failed",
                f"enable failed: {self.target} stayed at {self.home!r} at login (enable "
                "secret rejected or missing): configuration needs privileged mode",
                phase="entering enable mode",
            )
        try:
            for position, line in enumerate(lines):
                clock.enter(f"running {line!r}")
                result = self.cli.send_input(line, requested_mode="configuration", **library)
                outcome.output += result.result + "\n"
                if result.failed:
                    outcome.failed_line = line
                    said = (
                        result.result.strip().splitlines()[-1]
                        if result.result.strip()
                        else "rejected"
                    )
                    outcome.error = f"command rejected: {line!r}: {said}"
                    outcome.skipped = lines[position + 1 :]
                    break
                outcome.applied.append(line)
            if outcome.ok and options.get("commit") and self.definition == "juniper_junos":
                clock.enter("committing")
                outcome.output += self.cli.send_input(
                    "commit", requested_mode="configuration"
                ).result
            back = "exec" if self.definition == "juniper_junos" else "privileged_exec"
            clock.enter("leaving configuration mode")
            self.cli.enter_mode(back)
            self._rehome(self.cli.get_prompt().result.strip())  # a renamed device
            save = SAVE_COMMANDS.get(self.definition)
            if outcome.ok and options.get("save") and save:
                clock.enter("saving the configuration")
                outcome.output += self.cli.send_input(save).result
                outcome.saved = True
        except ScrapliException as exc:
            self.open = False
            raise clock.error(exc) from exc
        outcome.duration_seconds = time.perf_counter() - started
        return outcome

    def _rehome(self, prompt: str) -> None:
        """After a push, the same kind of prompt (terminator, no mode) is the new base."""
        same_kind = prompt[-1:] == self.home[-1:] and prompt.count("(") == self.home.count("(")
        if same_kind:
            self.home = prompt
        self.last_prompt = prompt

    def settle(self) -> bool:
        return self.open and not self.tainted and self.last_prompt == self.home

    def is_alive(self) -> bool:
        return self.open

    def close(self) -> None:
        """A healthy session exits politely; a broken one (``open`` False after a failed
        read) is force-closed. Either way libscrapli's side is freed exactly once."""
        if not self.freed:
            self.freed = True
            if self.open:
                self.open = False
                try:
                    self.cli.close()
                except ScrapliException:
                    with contextlib.suppress(Exception):
                        self.cli._free()
            else:
                _discard(self.cli)
        if self.jump is not None:
            self.jump.close()


def _discard(cli: Cli) -> None:
    """Close without the polite exit (the device may be hung) and free libscrapli's side:
    a half-open Cli left allocated crashes the process when the device later hangs up."""
    try:
        cli.close(force=True)
    except ScrapliException:
        with contextlib.suppress(Exception):
            cli._free()


def _ns(seconds: float) -> int:
    return int(seconds * 1_000_000_000)


def _read_timeout(options: dict[str, Any]) -> dict[str, Any]:
    """``read_timeout`` (seconds per command) as scrapli's per-input operation timeout."""
    return {"operation_timeout_ns": _ns(float(options.get("read_timeout", 30)))}


class ScrapliDriver(Driver):
    name = "scrapli"
    driver_rules = DRIVER_ARGS
    connection_rules = CONNECTION_ARGS
    persistent = True
    driver_args = ScrapliDriverArgs
    implied_options = frozenset({"enable_mode"})  # see Driver.implied_options
    default_queue_strategy: ClassVar[QueueStrategy] = "pinned"

    def connect(self, args: BaseConnectionArgs) -> DriverSession:
        library = self.pass_through_connection_args(args.model_extra or {}, args.device_type)
        platform = args.device_type or "cisco_ios"
        definition = DEFINITIONS.get(platform, platform)
        # scrapli opens in privileged mode; without an enable secret, try the login password.
        enable = args.secret or args.password
        lookups = (
            [LookupKeyValue(key="enable", value=enable.get_secret_value())] if enable else None
        )
        jump = JumpChain.through(args)
        host, port = jump.open_loopback(args.host, args.port) if jump else (args.host, args.port)
        cli = Cli(
            host=host,
            port=port,
            definition_file_or_name=definition,
            auth_options=AuthOptions(
                username=args.username,
                password=args.password.get_secret_value() if args.password else None,
                lookups=lookups,
                **library["AuthOptions"],
            ),
            transport_options=TransportSsh2Options(),  # libssh2 in process, no ssh child
            **{"session_options": SessionOptions(operation_timeout_ns=_ns(args.timeout))}
            | library["Cli"],  # the login is bounded by the connection's timeout
        )
        clock = PhaseClock(f"{args.host}:{args.port}", "connecting")
        trace = _LoginTrace.attach(cli)
        try:
            cli.open()
            home = cli.get_prompt().result.strip()  # the base state settle() checks against
        except ScrapliException as exc:
            _discard(cli)
            if jump is not None:
                jump.close()
            raise _login_error(exc, clock, trace, args) from exc
        finally:
            trace.detach(cli)
        session = ScrapliSession(cli, definition, home, clock.target)
        session.jump = jump
        return session


def _login_error(
    exc: ScrapliException, clock: PhaseClock, trace: _LoginTrace, args: BaseConnectionArgs
) -> Exception:
    """libscrapli says "unable to resolve host" for a refused or unreachable port too: one
    plain TCP attempt finds the real socket error; its log tells a rejected login."""
    took = clock.elapsed()
    for note in trace.notes:
        exc.add_note(note)
    if "initSocket" in str(exc) and "timed out" not in str(exc) and not args.hops():
        probed = probe_connect(args.host, args.port, timeout=min(args.timeout, 5.0))
        if probed is not None:
            probed.__cause__ = exc
            return classify(probed, clock.name, took, clock.target)
    clock.name = trace.step  # the step libscrapli reached, time counted from the start
    return clock.error(exc)

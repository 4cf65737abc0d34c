"""Netmiko: persistent interactive sessions, commands with a cached prompt pattern, config
pushed line by line with per-line error detection."""

from __future__ import annotations

import contextlib
import re
import time
from typing import IO, Any, ClassVar

from netmiko import BaseConnection, ConnectHandler
from netmiko.channel import SSHChannel
from netmiko.exceptions import (
    NetmikoTimeoutException,
    ReadException,
    ReadTimeout,
)
from pydantic import Field, field_validator

from netweave.drivers import channel_reads, netmiko_login, ssh_files, tcp
from netweave.drivers.arguments import (
    HOST_KEYS,
    JUMP_HOST,
    PARSER,
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
    DriverError,
    DriverSession,
    FileOutcome,
    QueueStrategy,
    changes_terminal,
)
from netweave.drivers.failures import PhaseClock, device_error, failure, rejected, seconds
from netweave.drivers.host_keys import known_hosts_file
from netweave.drivers.jump import JumpChain
from netweave.drivers.netmiko_login import prompt_pattern
from netweave.drivers.platforms import platform as added_platform
from netweave.drivers.streaming import Sink, StreamedOutput
from netweave.foundation.regex_safety import check_regex

STREAM_POLL = 0.05  # longest wait per read of a streaming command (telnet: the sleep)
DEFAULT_ERROR_PATTERN = (
    r"% ?Invalid input|% ?Incomplete command|% ?Ambiguous command|^syntax error|unknown command\."
    r"|^% ?Bad mask|^Bad mask 0x"  # IOS: an address with a non-contiguous or wrong mask
)


def default_error_pattern(device_type: str | None) -> str:
    """The rejected-line pattern of a platform NetWeave adds (FRR), else IOS/EOS/Junos's."""
    added = added_platform(device_type)
    return added.error_pattern if added is not None else DEFAULT_ERROR_PATTERN


class NetmikoDriverArgs(BaseDriverArgs):
    expect_string: str | None = Field(default=None, description="Regex ending each command")
    error_pattern: str | None = Field(
        default=None, description="Regex marking a rejected line (default: IOS/EOS/Junos errors)"
    )
    enable_mode: bool = False
    save: bool = Field(default=False, description="Save the configuration on full success")
    commit: bool = Field(default=False, description="Commit (Junos-style platforms)")

    @field_validator("expect_string", "error_pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        return None if value is None else check_regex(value)  # a hostile user's pattern


class NetmikoConnectionArgs(BaseConnectionArgs):
    device_type: str | None = Field(default="cisco_ios", description="Netmiko device_type")


# Pass-through: other driver_args go to send_command / send_config_set, other
# connection_args to ConnectHandler, when their signatures take them (see arguments.py).
_OWN_INPUT = "NetWeave sends the request's command or config itself"
_CONFIG_MODE = "NetWeave enters and leaves configuration mode once per push"
DRIVER_ARGS = PassThrough(
    driver="netmiko",
    field="driver_args",
    calls=(
        LibraryCall("send_command", BaseConnection.send_command),
        LibraryCall("send_config_set", BaseConnection.send_config_set),
    ),
    refused={
        "command_string": _OWN_INPUT,
        "config_commands": _OWN_INPUT,
        "auto_find_prompt": "NetWeave always waits for the prompt (or driver_args.expect_string)",
        "enter_config_mode": _CONFIG_MODE,
        "exit_config_mode": _CONFIG_MODE,
        "use_textfsm": PARSER,
        "textfsm_template": PARSER,
        "use_ttp": PARSER,
        "ttp_template": PARSER,
        "use_genie": PARSER,
        "raise_parsing_error": PARSER,
    },
    own=frozenset(NetmikoDriverArgs.model_fields),
)
_ONLY_WITH_SESSION_LOG = "it only acts on session_log, which is refused: " + SERVER_FILE
CONNECTION_ARGS = PassThrough(
    driver="netmiko",
    field="connection_args",
    calls=(LibraryCall("ConnectHandler", BaseConnection.__init__),),
    refused={
        "ip": "use connection_args.host",
        "session_log": SERVER_FILE,
        "session_log_record_writes": _ONLY_WITH_SESSION_LOG,
        "session_log_file_mode": _ONLY_WITH_SESSION_LOG,
        "ssh_config_file": SERVER_FILE,
        "key_file": SERVER_FILE,
        "alt_key_file": SERVER_FILE,
        "use_keys": SERVER_KEYS,
        "allow_agent": SERVER_KEYS,
        "passphrase": "it only unlocks a key file, which is refused: " + SERVER_FILE,
        "ssh_strict": HOST_KEYS,
        "system_host_keys": HOST_KEYS,
        "alt_host_keys": HOST_KEYS,
        "sock": JUMP_HOST,
        "sock_telnet": "it opens a proxy connection from the server; " + JUMP_HOST,
        "serial_settings": "it opens a serial port of the server",
        "verbose": "it prints to the server's console",
        "read_timeout_override": "NetWeave sets it: logins wait connection_args.timeout, "
        "commands driver_args.read_timeout",
        "auto_connect": "NetWeave opens the session itself",
    },
    own=frozenset(NetmikoConnectionArgs.model_fields),
)


def _target(args: BaseConnectionArgs) -> str:
    return f"{args.host}:{args.port}"


class _WatchedChannel(SSHChannel):
    """Netmiko reads "" forever from a channel the device closed, and only notices when its
    read times out: a dropped session is reported at once instead."""

    def read_buffer(self) -> str:
        output = super().read_buffer()
        channel = self.remote_conn
        if (
            not output
            and channel is not None
            and (channel.closed or channel.eof_received)
            and not channel.recv_ready()
        ):
            raise EOFError("the device closed the session")
        return output


class NetmikoSession(DriverSession):
    """Base state: the prompt found at login (user or privileged EXEC), privileged EXEC once
    a job entered enable mode with this session's secret; never configuration mode. Every
    command's trailing prompt is kept (free): only a job that ends elsewhere costs a check."""

    def __init__(
        self, connection: BaseConnection, args: NetmikoConnectionArgs, home: str = ""
    ) -> None:
        self.connection = connection
        self.args = args
        self.broken = False  # a failed read leaves the channel out of step: no polite exit
        self.info = {"prompt": connection.base_prompt, "device_type": args.device_type}
        self.home = home  # the base state's prompt, e.g. "R1>" or "R1#"
        self.last_prompt = home
        self.privileged = False  # enable mode entered with this session's own secret
        self.tainted = False  # terminal settings changed: no cheap way back
        self.jump: JumpChain | None = None  # the bastions this session goes through

    def _prompt_pattern(self) -> str:
        return prompt_pattern(self.connection)

    def _ensure_enable(self, options: dict[str, Any], clock: PhaseClock) -> None:
        if not options.get("enable_mode") or (self.privileged and self.last_prompt == self.home):
            return  # settled sessions are back in privileged EXEC: no round trip
        clock.enter("entering enable mode")
        if not self.connection.check_enable_mode():
            self._enable(clock)
        self._now_privileged()

    def _enable(self, clock: PhaseClock) -> None:
        try:
            self.connection.enable()
        except ValueError as exc:  # Netmiko's "failed to enter enable mode"
            took = clock.elapsed()
            raise failure(
                "enable_failed",
                f"enable failed: {clock.target} did not accept the enable secret "
                f"after {seconds(took)} s",
                phase="entering enable mode",
                elapsed=took,
            ) from exc

    def _now_privileged(self) -> None:
        self.privileged = True
        self.home = self.last_prompt = read_prompt(self.connection)

    def run_commands(self, commands: list[str], options: dict[str, Any]) -> list[CommandOutput]:
        error_pattern = options.get("error_pattern") or default_error_pattern(self.args.device_type)
        read_timeout = float(options.get("read_timeout", 30))
        library = DRIVER_ARGS.pick(options, "send_command")
        # the trailing prompt is always read (it tells the mode); strip_prompt (default
        # True) says whether stdout keeps it
        keep_prompt = not library.pop("strip_prompt", True)
        library.setdefault("strip_command", True)
        clock = PhaseClock(_target(self.args), "entering enable mode")
        try:
            self._ensure_enable(options, clock)
            outputs = []
            for command in commands:
                clock.enter(f"running {command!r}")
                started = time.perf_counter()
                self.tainted = self.tainted or changes_terminal(command)
                raw = self._send_command(command, options, read_timeout, library)
                self.last_prompt = raw.rsplit(self.connection.RESPONSE_RETURN, 1)[-1].strip()
                stdout = raw if keep_prompt else self.connection.strip_prompt(raw)
                failed = re.search(error_pattern, str(stdout), re.M) is not None
                outputs.append(
                    CommandOutput(
                        command=command,
                        stdout=str(stdout),
                        exit_status=1 if failed else 0,
                        duration_seconds=time.perf_counter() - started,
                    )
                )
            return outputs
        except (OSError, EOFError, ReadTimeout, NetmikoTimeoutException) as exc:
            # a slow device is not a dead session: a timeout is not retryable
            self.broken = True
            raise clock.error(exc) from exc

    def _send_command(
        self, command: str, options: dict[str, Any], read_timeout: float, library: dict[str, Any]
    ) -> str:
        pattern = options.get("expect_string") or self._prompt_pattern()
        if channel_reads.waits_on_channel(self.connection, library):
            return channel_reads.send_command(
                self.connection, command, pattern, read_timeout, **library
            )
        return str(  # options only Netmiko's own loop honours (delay_factor, cmd_verify ...)
            self.connection.send_command(
                command,
                expect_string=pattern,
                read_timeout=read_timeout,
                strip_prompt=False,
                **library,
            )
        )

    def stream_command(self, command: str, sink: Sink, options: dict[str, Any]) -> CommandOutput:
        """Send ``command`` and hand its output on as it arrives until the prompt is back;
        no read timeout (a job's ``execution_timeout``, or a cancel, cuts the session)."""
        clock = PhaseClock(_target(self.args), "entering enable mode")
        conn = self.connection
        try:
            self._ensure_enable(options, clock)
            clock.enter(f"running {command!r}")
            started = time.perf_counter()
            self.tainted = self.tainted or changes_terminal(command)
            reader = StreamedOutput(
                command, conn.base_prompt, re.compile(prompt_pattern(conn, flags=False)), sink
            )
            conn.write_channel(command + conn.RETURN)
            waits = channel_reads.waits_on_channel(conn, {})  # else (telnet) it sleeps
            while not reader.done:
                if waits:
                    channel_reads.wait_readable(conn, STREAM_POLL)
                chunk = conn.read_channel()
                if chunk:
                    reader.feed(chunk)
                elif not waits:
                    time.sleep(STREAM_POLL)
        except (OSError, EOFError, ReadException, ReadTimeout, NetmikoTimeoutException) as exc:
            self.broken = True
            raise clock.error(exc) from exc
        self.last_prompt = reader.last_prompt
        return CommandOutput(command, "", duration_seconds=time.perf_counter() - started)

    def push_config(self, lines: list[str], options: dict[str, Any]) -> ConfigOutcome:
        """Line by line; the first rejected line stops the push; save only on full success."""
        error_pattern = options.get("error_pattern") or default_error_pattern(self.args.device_type)
        started = time.perf_counter()
        outcome = ConfigOutcome(output="")
        conn = self.connection
        library = DRIVER_ARGS.pick(options, "send_config_set")
        config_command = library.pop("config_mode_command", None)
        clock = PhaseClock(_target(self.args), "entering enable mode")
        try:
            if not conn.check_enable_mode():  # configuration always needs privileged mode
                self._enable(clock)
            clock.enter("entering configuration mode")
            outcome.output += (
                conn.config_mode(config_command) if config_command else conn.config_mode()
            )
            for position, line in enumerate(lines):
                clock.enter(f"running {line!r}")
                echoed = conn.send_config_set(
                    [line],
                    enter_config_mode=False,
                    exit_config_mode=False,
                    read_timeout=float(options.get("read_timeout", 30)),
                    **library,
                )
                outcome.output += echoed
                said = device_error(echoed, error_pattern)  # the device's own words
                if said is not None:
                    outcome.failed_line = line
                    outcome.error = rejected(line, said)
                    outcome.skipped = lines[position + 1 :]
                    break
                outcome.applied.append(line)
            if options.get("commit") and outcome.ok and hasattr(conn, "commit"):
                clock.enter("committing")
                outcome.output += conn.commit()
            clock.enter("leaving configuration mode")
            outcome.output += conn.exit_config_mode()
            conn.set_base_prompt()  # the config may have renamed the device
            self.info["prompt"] = conn.base_prompt
            self._now_privileged()  # configuring needed enable: the base state now has it
            if options.get("save") and outcome.ok:
                clock.enter("saving the configuration")
                outcome.output += conn.save_config()
                outcome.saved = True
        except (OSError, EOFError, ReadTimeout, NetmikoTimeoutException, ValueError) as exc:
            self.broken = True
            raise clock.error(exc) from exc
        outcome.duration_seconds = time.perf_counter() - started
        return outcome

    def put_file(
        self, source: IO[bytes], size: int, remote_path: str, options: dict[str, Any]
    ) -> FileOutcome:
        """SCP (``options["protocol"]``: or SFTP) on this session's own connection (a second
        channel), then the device's md5."""
        transport = self._transport()
        timeout = float(options.get("read_timeout", 30))
        return ssh_files.put(
            transport,
            source,
            size,
            remote_path,
            timeout,
            _target(self.args),
            self._remote_md5,
            options.get("protocol", "scp"),
        )

    def get_file(
        self, remote_path: str, sink: IO[bytes], max_bytes: int, options: dict[str, Any]
    ) -> FileOutcome:
        transport = self._transport()
        timeout = float(options.get("read_timeout", 30))
        return ssh_files.get(
            transport,
            remote_path,
            sink,
            max_bytes,
            timeout,
            _target(self.args),
            self._remote_md5,
            options.get("protocol", "scp"),
        )

    def _transport(self) -> Any:
        opener = getattr(self.connection.remote_conn, "get_transport", None)
        if opener is None:
            raise DriverError("driver", "file transfers need an SSH session (not telnet)")
        return opener()

    def _remote_md5(self, remote_path: str) -> str | None:
        return self.remote_digest(remote_path, "md5")

    def remote_digest(self, remote_path: str, algorithm: str = "md5") -> str | None:
        """The device's digest (md5, sha256, sha512) of its copy; None when the platform has
        no such command or the device did not print one (e.g. no enable secret for
        ``verify /md5``, or no such file)."""
        found = ssh_files.digest_command(self.args.device_type, remote_path, algorithm)
        if found is None:
            return None
        command, digest = found
        clock = PhaseClock(_target(self.args), "entering enable mode")
        try:
            if (
                ssh_files.needs_enable(self.args.device_type)
                and self.args.secret is not None
                and not self.last_prompt.endswith("#")
            ):
                self._enable(clock)
                self._now_privileged()
            clock.enter(f"running {command!r}")
            output = self._send_command(command, {}, 30, {})  # waiting reads, as commands
        except (OSError, EOFError, ReadTimeout, NetmikoTimeoutException) as exc:
            self.broken = True
            raise clock.error(exc) from exc
        match = digest.search(str(output))
        return match.group(1) if match else None

    def settle(self) -> bool:
        """Back to the base state after a job: free when the last prompt is the base one;
        otherwise leave configuration mode, re-enter (or leave) enable mode, and check."""
        if self.broken or self.tainted:
            return False
        if self.last_prompt == self.home:
            return True
        try:
            return self._restore()
        except Exception:  # out of step: discarded, without Netmiko's polite exit
            self.broken = True
            raise

    def _restore(self) -> bool:
        conn = self.connection
        prompt = read_prompt(conn)
        if prompt != self.home and conn.check_config_mode():
            conn.exit_config_mode()
            prompt = read_prompt(conn)
        if prompt != self.home and self.privileged and not conn.check_enable_mode():
            conn.enable()  # e.g. after "disable": the session's own secret, as before
            prompt = read_prompt(conn)
        elif prompt != self.home and not self.privileged and conn.check_enable_mode():
            conn.exit_enable_mode()
            prompt = read_prompt(conn)
        self.last_prompt = prompt
        return prompt == self.home

    def is_alive(self) -> bool:
        """Transport state only: no probe byte (a lone write before the next command costs a
        delayed-ACK round, ~40 ms; the keepalive does the real probing when idle)."""
        try:
            transport = getattr(self.connection.remote_conn, "transport", None)
            return bool(transport is not None and transport.is_active())
        except Exception:
            return False

    def keepalive(self) -> bool:
        try:
            self.connection.write_channel(self.connection.RETURN)
            base = re.escape(self.connection.base_prompt)
            self.connection.read_until_pattern(
                rf"^{base}[^\n]*[>#$%]\s*$", re_flags=re.M, read_timeout=5
            )
            return True
        except Exception:
            return False

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing a dead session must never raise
            if self.broken:  # hung or out of step: Netmiko's polite exit would wait on it
                tcp.shutdown(getattr(self.connection.remote_conn, "transport", None))
                self.connection.paramiko_cleanup()
            self.connection.disconnect()
        if self.jump is not None:
            self.jump.close()

    def abort(self) -> None:
        """No polite exit (it would wait on a hung device): the transport is cut at once."""
        self.broken = True
        self.close()


class NetmikoDriver(Driver):
    name = "netmiko"
    driver_rules = DRIVER_ARGS
    connection_rules = CONNECTION_ARGS
    persistent = True
    checks_host_key = True
    transfers_files = True
    streams = True
    default_queue_strategy: ClassVar[QueueStrategy] = "pinned"
    connection_args = NetmikoConnectionArgs
    driver_args = NetmikoDriverArgs

    def connect(self, args: BaseConnectionArgs) -> DriverSession:
        parsed = NetmikoConnectionArgs.model_validate(args.model_dump())
        added_platform(parsed.device_type)  # NetWeave's own device types, known to Netmiko
        params: dict[str, Any] = {
            "device_type": parsed.device_type or "cisco_ios",
            "host": parsed.host,
            "port": parsed.port,
            "username": parsed.username or "",
            "password": parsed.password.get_secret_value() if parsed.password else "",
            "secret": parsed.secret.get_secret_value() if parsed.secret else "",
            "timeout": parsed.timeout,
            "conn_timeout": min(parsed.timeout, 15),
            # every read while logging in (prompt, paging off) waits at most this long
            "read_timeout_override": parsed.timeout,
            "allow_agent": False,
            "use_keys": False,
        }
        extra = self.pass_through_connection_args(parsed.model_extra or {}, parsed.device_type)
        params.update(extra["ConnectHandler"])
        jump = JumpChain.through(parsed)
        if jump is not None:  # Netmiko (Paramiko) logs in over the last hop's channel
            params["sock"] = jump.open(parsed.host, parsed.port)
        clock = PhaseClock(_target(parsed), "connecting")  # TCP, SSH, login, first prompt
        try:
            if jump is None and not _telnet(params["device_type"]):  # TCP_NODELAY at once
                params["sock"] = tcp.connect(parsed.host, parsed.port, params["conn_timeout"])
            with known_hosts_file(parsed) as known_hosts:
                if known_hosts is not None:  # connection_args.host_key: strict checking
                    params.update(
                        ssh_strict=True,
                        system_host_keys=False,
                        alt_host_keys=True,
                        alt_key_file=known_hosts,
                    )
                steps = netmiko_login.preparation(params["device_type"])
                connection = ConnectHandler(**params, auto_connect=steps is None)
                if steps is not None:  # login and preparation with waiting reads
                    home = netmiko_login.open_prepared(connection, steps, parsed.timeout)
        except Exception as exc:
            if jump is not None:
                jump.close()
            raise clock.error(exc) from exc
        connection.read_timeout_override = None  # commands use their own read_timeout
        tcp.poll_slowly(getattr(connection.remote_conn, "transport", None))
        connection.channel = _WatchedChannel(connection.remote_conn, connection.encoding)
        try:
            clock.enter("waiting for the prompt")
            if steps is None:
                home = read_prompt(connection)  # the base state settle() returns to
        except Exception as exc:
            connection.disconnect()
            if jump is not None:
                jump.close()
            raise clock.error(exc) from exc
        session = NetmikoSession(connection, parsed, home)
        session.jump = jump
        return session


def read_prompt(connection: BaseConnection, timeout: float = 10) -> str:
    """The current prompt, in one round trip (Netmiko's ``find_prompt`` sleeps ~0.5 s)."""
    connection.write_channel(connection.RETURN)
    if channel_reads.waits_on_channel(connection, {}):
        deadline = time.monotonic() + timeout
        output = channel_reads.read_until(connection, prompt_pattern(connection), deadline)
    else:
        output = connection.read_until_pattern(
            prompt_pattern(connection, flags=False), re_flags=re.M, read_timeout=timeout
        )
    lines = [line.strip() for line in str(output).replace("\r", "").split("\n")]
    return next((line for line in reversed(lines) if line), "")


def _telnet(device_type: str) -> bool:
    return device_type.endswith("_telnet")  # Netmiko opens telnet (and serial) itself

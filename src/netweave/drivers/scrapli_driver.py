"""scrapli 2 (libscrapli over libssh2): platform definitions as data, ~2 ms reads on an
open session. Persistent and pinned like Netmiko.

Known limit: scrapli's Python binding waits with ``select()``, which cannot watch file
descriptors above 1024, so one process holds at most ~150 scrapli sessions; larger fleets
use Netmiko (or more worker processes)."""

from __future__ import annotations

import contextlib
import time
from typing import Any, ClassVar

from scrapli import AuthOptions, Cli, LookupKeyValue, TransportSsh2Options
from scrapli.exceptions import ScrapliException

from netweave.drivers.base import (
    BaseConnectionArgs,
    BaseDriverArgs,
    CommandOutput,
    ConfigOutcome,
    Driver,
    DriverError,
    DriverSession,
    QueueStrategy,
    changes_terminal,
)

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


def _error(exc: Exception, during: str) -> DriverError:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    lowered = text.lower()
    if "auth" in lowered or "permission denied" in lowered:
        return DriverError("authentication", f"authentication failed ({text})")
    if "timeout" in lowered:
        return DriverError("timeout", f"{during}: {text}", retryable=True)
    return DriverError("connection", f"{during}: {text}", retryable=True)


class ScrapliDriverArgs(BaseDriverArgs):
    save: bool = False
    commit: bool = False


class ScrapliSession(DriverSession):
    """Base state: the prompt of the definition's default mode, read once at login. Every
    input's trailing prompt is kept (free); scrapli does not notice a mode changed by an
    input (``disable``, ``configure terminal``), so a job ending elsewhere discards it."""

    def __init__(self, cli: Cli, definition: str, home: str = "") -> None:
        self.cli = cli
        self.definition = definition
        self.open = True
        self.info = {"definition": definition}
        self.home = home
        self.last_prompt = home
        self.tainted = False  # terminal settings changed: no cheap way back

    def _send(self, command: str) -> tuple[str, bool]:
        """The output without its trailing prompt (kept in ``last_prompt``), and failed."""
        result = self.cli.send_input(command, retain_trailing_prompt=True)
        body, _, prompt = result.result.rpartition("\n")
        self.last_prompt = prompt.strip()
        return body.rstrip(), result.failed

    def run_commands(self, commands: list[str], options: dict[str, Any]) -> list[CommandOutput]:
        outputs = []
        for command in commands:
            started = time.perf_counter()
            self.tainted = self.tainted or changes_terminal(command)
            try:
                stdout, failed = self._send(command)
            except ScrapliException as exc:
                self.open = False
                raise _error(exc, f"sending {command!r}") from exc
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
        try:
            for position, line in enumerate(lines):
                result = self.cli.send_input(line, requested_mode="configuration")
                outcome.output += result.result + "\n"
                if result.failed:
                    outcome.failed_line = line
                    outcome.error = (
                        result.result.strip().splitlines()[-1]
                        if result.result.strip()
                        else "rejected"
                    )
                    outcome.skipped = lines[position + 1 :]
                    break
                outcome.applied.append(line)
            if outcome.ok and options.get("commit") and self.definition == "juniper_junos":
                outcome.output += self.cli.send_input(
                    "commit", requested_mode="configuration"
                ).result
            back = "exec" if self.definition == "juniper_junos" else "privileged_exec"
            self.cli.enter_mode(back)
            self._rehome(self.cli.get_prompt().result.strip())  # a renamed device
            save = SAVE_COMMANDS.get(self.definition)
            if outcome.ok and options.get("save") and save:
                outcome.output += self.cli.send_input(save).result
                outcome.saved = True
        except ScrapliException as exc:
            self.open = False
            raise _error(exc, "configuration") from exc
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
        if self.open:
            self.open = False
            with contextlib.suppress(ScrapliException):
                self.cli.close()


class ScrapliDriver(Driver):
    name = "scrapli"
    persistent = True
    driver_args = ScrapliDriverArgs
    default_queue_strategy: ClassVar[QueueStrategy] = "pinned"

    def connect(self, args: BaseConnectionArgs) -> DriverSession:
        platform = args.device_type or "cisco_ios"
        definition = DEFINITIONS.get(platform, platform)
        # scrapli opens in privileged mode; without an enable secret, try the login password.
        enable = args.secret or args.password
        lookups = (
            [LookupKeyValue(key="enable", value=enable.get_secret_value())] if enable else None
        )
        cli = Cli(
            host=args.host,
            port=args.port,
            definition_file_or_name=definition,
            auth_options=AuthOptions(
                username=args.username,
                password=args.password.get_secret_value() if args.password else None,
                lookups=lookups,
            ),
            transport_options=TransportSsh2Options(),  # libssh2 in process, no ssh child
        )
        try:
            cli.open()
            home = cli.get_prompt().result.strip()  # the base state settle() checks against
        except ScrapliException as exc:
            raise _error(exc, "opening the session") from exc
        return ScrapliSession(cli, definition, home)

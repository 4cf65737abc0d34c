"""NAPALM: getters by name (``get_facts``, ``get_interfaces`` ...) as structured results,
plain CLI commands, and configuration management: merge or replace candidate with its diff,
commit (with a message where supported), dry run (discard) and rollback."""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import sys
import time
from collections.abc import Iterator
from typing import Any, ClassVar, Literal

from napalm import get_network_driver
from napalm.base import NetworkDriver
from napalm.base.exceptions import ConnectionException
from netmiko import BaseConnection
from netmiko.exceptions import ReadTimeout
from pydantic import Field

from netweave.drivers.arguments import ArgumentRefused, LibraryCall, PassThrough, Routed, route
from netweave.drivers.base import (
    BaseConnectionArgs,
    BaseDriverArgs,
    CommandOutput,
    ConfigOutcome,
    Driver,
    DriverError,
    DriverSession,
    QueueStrategy,
    changes_mode,
)
from netweave.drivers.failures import PhaseClock, rejected
from netweave.drivers.jump import JumpChain
from netweave.drivers.netmiko_driver import CONNECTION_ARGS as NETMIKO_CONNECTION_ARGS

# Our platform names (Netmiko device types) → NAPALM driver names.
NAPALM_DRIVERS = {
    "cisco_ios": "ios",
    "cisco_xe": "ios",
    "arista_eos": "eos",
    "juniper_junos": "junos",
    "cisco_nxos": "nxos_ssh",
    "cisco_xr": "iosxr",
}


class NapalmDriverArgs(BaseDriverArgs):
    mode: Literal["merge", "replace"] = "merge"
    dry_run: bool = Field(default=False, description="Show the diff, then discard")
    message: str | None = Field(default=None, max_length=1000, description="Commit message")
    rollback: bool = Field(default=False, description="Restore the pre-commit configuration")


# Pass-through: other driver_args go to cli / commit_config; connection_args take
# NetPulse's ``optional_args`` (a dict): the keys the NAPALM driver class reads from it,
# and Netmiko's ConnectHandler arguments where the class hands them to Netmiko.
DRIVER_ARGS = PassThrough(
    driver="napalm",
    field="driver_args",
    calls=(
        LibraryCall("cli", NetworkDriver.cli),
        LibraryCall("commit_config", NetworkDriver.commit_config),
    ),
    refused={"commands": "NetWeave sends the request's command or config itself"},
    own=frozenset(NapalmDriverArgs.model_fields),
)
_TRANSPORT = Literal["ssh", "telnet", "http", "https"]  # not the server's own eAPI socket
_OPTIONAL_REFUSED = {
    **NETMIKO_CONNECTION_ARGS.refused,
    **{name: f"use connection_args.{name}" for name in ("port", "secret", "username", "password")},
    **{name: "use connection_args.host" for name in ("host", "hostname")},
    "device_type": "use connection_args.device_type",
    "timeout": "use connection_args.timeout",
    "enable_password": "use connection_args.secret",
    "key_file": "it makes the server read or write a file",
}


@functools.cache
def optional_args_calls(driver_name: str) -> tuple[LibraryCall, ...]:
    """Where a NAPALM driver's ``optional_args`` go: the keys its class reads (its
    ``__init__`` and ``_process_optional_args*``), plus Netmiko's where it calls
    ``netmiko_args``."""
    driver_class = get_network_driver(driver_name)
    readers = tuple(
        member
        for name, member in inspect.getmembers(driver_class, inspect.isfunction)
        if name.startswith("_process_optional_args")
    )
    calls = [
        LibraryCall(
            f"{driver_class.__name__} optional_args",
            driver_class.__init__,
            reads_from="optional_args",
            hints={"transport": _TRANSPORT, "eos_transport": _TRANSPORT},
            also=readers,
        )
    ]
    module = sys.modules[driver_class.__module__]
    if "netmiko_args" in vars(module):
        calls.append(LibraryCall("ConnectHandler", BaseConnection.__init__))
    return tuple(calls)


class NapalmSession(DriverSession):
    def __init__(self, device: NetworkDriver, driver_name: str, target: str = "") -> None:
        self.device = device
        self.target = target  # host:port, for error messages
        self.jump: JumpChain | None = None  # the bastions this session goes through
        self.info = {"napalm_driver": driver_name}
        # a raw CLI command that may have changed the mode or the terminal: NAPALM cannot
        # tell where it left the session, so it is not handed to the next job
        self.tainted = False

    def run_commands(self, commands: list[str], options: dict[str, Any]) -> list[CommandOutput]:
        with _reads_within(self.device, float(options.get("read_timeout", 30))):
            return self._run_commands(commands, options)

    def _run_commands(self, commands: list[str], options: dict[str, Any]) -> list[CommandOutput]:
        outputs = []
        for command in commands:
            started = time.perf_counter()
            name = command.strip()
            clock = PhaseClock(self.target, f"running {command!r}")
            try:
                if name.startswith("get_"):
                    getter = getattr(self.device, name, None)
                    if getter is None or not callable(getter):
                        outputs.append(
                            CommandOutput(command, "", f"unknown NAPALM getter {name!r}", 1, 0.0)
                        )
                        continue
                    data = getter()
                    outputs.append(
                        CommandOutput(
                            command,
                            json.dumps(data, indent=2, default=str),
                            exit_status=0,
                            duration_seconds=time.perf_counter() - started,
                            parsed=data,
                        )
                    )
                else:
                    self.tainted = self.tainted or changes_mode(command)
                    text = self.device.cli([command], **DRIVER_ARGS.pick(options, "cli"))[command]
                    outputs.append(
                        CommandOutput(command, text, duration_seconds=time.perf_counter() - started)
                    )
            except NotImplementedError:
                outputs.append(CommandOutput(command, "", f"{name} is not supported here", 1, 0.0))
            except (ReadTimeout, OSError, EOFError, ConnectionException) as exc:
                # ReadTimeout: the prompt changed (disable, configure...) or the device hung
                raise clock.error(exc) from exc
        return outputs

    def probe(
        self, method: Literal["ping", "traceroute"], read_timeout: float, **kwargs: Any
    ) -> Any:
        """NAPALM's ``ping`` or ``traceroute`` from the device (``{"success": ...}`` or
        ``{"error": ...}``), its reads bounded by ``read_timeout``."""
        clock = PhaseClock(self.target, f"running {method}")
        with _reads_within(self.device, read_timeout):
            try:
                return getattr(self.device, method)(**kwargs)
            except NotImplementedError as exc:
                raise DriverError("driver", f"{method} is not supported by this device") from exc
            except (ReadTimeout, OSError, EOFError, ConnectionException) as exc:
                raise clock.error(exc) from exc

    def push_config(self, lines: list[str], options: dict[str, Any]) -> ConfigOutcome:
        """Candidate configuration: ``mode`` merge (default) or replace, the diff always,
        then commit (with ``message`` where the platform keeps one) or, with ``dry_run``,
        discard. ``rollback: true`` restores the configuration saved before the last commit."""
        with _reads_within(self.device, float(options.get("read_timeout", 30))):
            try:
                return self._push_config(lines, options)
            finally:
                self._undo_file_prompt()

    def _undo_file_prompt(self) -> None:
        """NAPALM's IOS driver configures ``file prompt quiet`` for its file copies and takes
        it back only when the connection closes. A kept session would leave the line in the
        running configuration: a dry run that changed the device, a stray line in the next
        backup. Take it back after each push, as ``close`` would."""
        device: Any = self.device
        if not (
            getattr(device, "auto_file_prompt", False)
            and getattr(device, "prompt_quiet_changed", False)
        ):
            return
        try:
            device.device.send_config_set(["no file prompt quiet"])
        except Exception:
            self.tainted = True  # not settled: the session is closed (and NAPALM retries)
            return
        device.prompt_quiet_changed = False
        device.prompt_quiet_configured = False

    def _push_config(self, lines: list[str], options: dict[str, Any]) -> ConfigOutcome:
        started = time.perf_counter()
        device = self.device
        clock = PhaseClock(self.target, "loading the candidate configuration")
        try:
            if options.get("rollback"):
                clock.enter("rolling back")
                device.rollback()
                return ConfigOutcome(
                    output="rolled back", duration_seconds=time.perf_counter() - started
                )
            text = "\n".join(lines) + "\n"
            if options.get("mode", "merge") == "replace":
                device.load_replace_candidate(config=text)
            else:
                device.load_merge_candidate(config=text)
            clock.enter("comparing the configuration")
            diff = device.compare_config()
            outcome = ConfigOutcome(output=diff, diff=diff)
            if options.get("dry_run"):
                device.discard_config()
                outcome.committed = False
            elif diff:
                clock.enter("committing")
                message = options.get("message")
                library = DRIVER_ARGS.pick(options, "commit_config")
                if message:
                    try:
                        device.commit_config(message=message, **library)
                    except NotImplementedError:
                        device.commit_config(**library)
                else:
                    device.commit_config(**library)
                outcome.applied = list(lines)
                outcome.saved = True
            outcome.duration_seconds = time.perf_counter() - started
            return outcome
        except (OSError, EOFError, ConnectionException, ReadTimeout) as exc:
            raise clock.error(exc) from exc
        except Exception as exc:  # NAPALM's Merge/ReplaceConfigException, CommandError...
            with contextlib.suppress(Exception):
                device.discard_config()
            failed = ConfigOutcome(output=str(exc), error=_rejection(exc, lines))
            failed.failed_line = lines[0] if lines else ""
            failed.skipped = lines[1:]
            failed.duration_seconds = time.perf_counter() - started
            return failed

    def settle(self) -> bool:
        return not self.tainted

    def is_alive(self) -> bool:
        try:
            return bool(self.device.is_alive().get("is_alive"))
        except Exception:
            return False

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing a dead session must never raise
            self.device.close()
        if self.jump is not None:
            self.jump.close()


class NapalmDriver(Driver):
    name = "napalm"
    driver_rules = DRIVER_ARGS
    persistent = True
    driver_args = NapalmDriverArgs
    implied_options = frozenset({"enable_mode", "save"})  # see Driver.implied_options
    default_queue_strategy: ClassVar[QueueStrategy] = "pinned"

    @classmethod
    def pass_through_connection_args(
        cls, extra: dict[str, Any], device_type: str | None, field: str = "connection_args"
    ) -> Routed:
        """Only ``optional_args`` (a dict), each key checked against the NAPALM driver
        class of ``device_type``; every call's arguments end up in that one dict."""
        others = {k: v for k, v in extra.items() if k != "optional_args"}
        if others:
            name = next(iter(others))
            raise ArgumentRefused(
                f"not accepted by the napalm driver (library options go in {field}.optional_args)",
                field=f"{field}.{name}",
            )
        optional = extra.get("optional_args") or {}
        where = f"{field}.optional_args"
        if not isinstance(optional, dict):
            raise ArgumentRefused("must be an object (NAPALM's optional_args)", field=where)
        platform = device_type or "cisco_ios"
        try:
            calls = optional_args_calls(NAPALM_DRIVERS.get(platform, platform))
        except Exception:
            return {"optional_args": {}}  # no such driver: connect() says so
        routed = route(optional, calls, _OPTIONAL_REFUSED, driver="napalm", field=where)
        merged: dict[str, Any] = {}
        for arguments in routed.values():
            merged.update(arguments)
        return {"optional_args": merged}

    def connect(self, args: BaseConnectionArgs) -> DriverSession:
        platform = args.device_type or "cisco_ios"
        driver_name = NAPALM_DRIVERS.get(platform, platform)
        try:
            driver_class = get_network_driver(driver_name)
        except Exception as exc:
            raise DriverError("invalid_request", f"no NAPALM driver for {platform!r}") from exc
        jump = JumpChain.through(args)
        host, port = jump.open_loopback(args.host, args.port) if jump else (args.host, args.port)
        extra = self.pass_through_connection_args(args.model_extra or {}, args.device_type)
        optional: dict[str, Any] = {**extra["optional_args"], "port": port}
        enable = args.secret or args.password  # NAPALM ios opens in enable mode
        if enable:
            optional["secret"] = enable.get_secret_value()
        device = driver_class(
            host,
            args.username or "",
            args.password.get_secret_value() if args.password else "",
            timeout=int(args.timeout),
            optional_args=optional,
        )
        clock = PhaseClock(f"{args.host}:{args.port}", "connecting")  # TCP, SSH, login, prompt
        try:
            device.open()
        except Exception as exc:  # ConnectionException, but Netmiko's own errors escape too
            if jump is not None:
                jump.close()
            raise clock.error(exc) from exc
        session = NapalmSession(device, driver_name, clock.target)
        session.jump = jump
        return session


@contextlib.contextmanager
def _reads_within(device: NetworkDriver, seconds: float) -> Iterator[None]:
    """``read_timeout`` for the library under NAPALM while a job runs: Netmiko's reads
    (ios, nxos_ssh, iosxr), PyEZ's RPC timeout (junos). NAPALM itself has no per-call one."""
    inner = getattr(device, "device", None)
    if isinstance(inner, BaseConnection):
        before = inner.read_timeout_override
        inner.read_timeout_override = seconds
        try:
            yield
        finally:
            inner.read_timeout_override = before
    elif inner is not None and type(inner).__module__.startswith("jnpr."):
        before_rpc = inner.timeout
        inner.timeout = int(max(seconds, 1))
        try:
            yield
        finally:
            inner.timeout = before_rpc
    else:
        yield


def _rejection(exc: Exception, lines: list[str]) -> str:
    """The device's own error line from NAPALM's merge/replace failure, when it has one."""
    text = str(exc)
    said = next((row.strip() for row in text.splitlines() if row.strip().startswith("%")), None)
    if said is None:
        return f"{type(exc).__name__}: {text}"
    return rejected("\n".join(lines), said)

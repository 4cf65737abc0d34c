"""Unix command: run a program on the worker (a script, ``ping``, ``curl``, a vendor CLI) for
each device or once, with Jinja2 values in its arguments.

A privileged type: the command runs with the worker's rights. Only admins author it;
operators run saved commands, and what they control (run variables, device fields they
edit) reaches the command only as data: each ``{{ expression }}`` is rendered on its own
and becomes part of one argument (never split into several, never shell syntax; with
``shell: true`` the line refers to an environment variable holding the value, so the
value never enters the text the shell parses). The process gets a minimal environment (not the
worker's, which holds its database URL and secret key), runs in a process group of its
own, and the whole group is killed on timeout, on a stop of the run, and when the
command ends (nothing it started outlives the step)."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from jinja2 import Environment, TemplateSyntaxError
from pydantic import Field, SecretStr, field_validator, model_validator

from netweave.services.base import Service, ServiceContext, ServiceInputs, ServiceOutcome
from netweave.sessions.cancel import current as current_token

MAX_OUTPUT = 100_000  # bytes of stdout and of stderr kept in the result
BASE_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME")
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
MASK = "********"
VALUE_PREFIX = "NETWEAVE_VALUE_"  # the shell reads expression values from these
_LEXER = Environment()
_SLOT = re.compile("\x00(\\d+)\x00")

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}\Z")


def split_template(command: str) -> tuple[str, list[str]]:
    """``command`` with each ``{{ expression }}`` replaced by a slot (``\\0N\\0``), and the
    expressions (braces included, to render one by one). ValueError for a syntax error or
    a ``{% %}`` statement (a command's conditions go inside an expression:
    ``{{ 'a' if x else 'b' }}``)."""
    if "\x00" in command:
        raise ValueError("must not contain a NUL character")
    text: list[str] = []
    expressions: list[str] = []
    current: list[str] | None = None
    try:
        for _, kind, value in _LEXER.lex(command):
            if kind == "variable_begin":
                current = [value]
            elif kind == "variable_end" and current is not None:
                expressions.append("".join([*current, value]))
                text.append(f"\x00{len(expressions) - 1}\x00")
                current = None
            elif current is not None:
                current.append(value)
            elif kind == "data":
                text.append(value)
            elif kind in ("block_begin", "linestatement_begin", "raw_begin"):
                raise ValueError(
                    "{% %} statements are not supported in a command: put conditions inside "
                    "an expression ({{ 'a' if vars.x else 'b' }})"
                )
            # comments are dropped
        _LEXER.parse(command)
    except TemplateSyntaxError as exc:
        raise ValueError(f"Jinja2 syntax error at line {exc.lineno}: {exc.message}") from None
    return "".join(text), expressions


class UnixCommandInputs(ServiceInputs):
    command: str = Field(
        min_length=1,
        max_length=10_000,
        description="The program and its arguments, split like a shell would (quotes allowed); "
        "{{ expressions }} (device, devices, vars, results) each fill part of one argument",
    )
    shell: bool = Field(
        default=False,
        description="Run through /bin/sh -c (pipes, redirections); expression values reach "
        "the shell as environment variables, never as its syntax",
    )
    timeout: float = Field(
        default=60, gt=0, le=86_400, description="Seconds (also bounded by the step's timeout)"
    )
    cwd: str | None = Field(default=None, description="Working directory on the worker")
    env: dict[str, str] = Field(
        default_factory=dict, description="Environment variables; values are Jinja2 templates"
    )
    secret_env: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Environment variables holding secrets: stored encrypted, never shown, "
        "masked in the output",
    )
    success_codes: list[int] = Field(
        default_factory=lambda: [0], min_length=1, description="Exit statuses that succeed"
    )

    @field_validator("command")
    @classmethod
    def _template(cls, value: str) -> str:
        split_template(value)
        return value

    @field_validator("env", "secret_env")
    @classmethod
    def _names(cls, value: dict[str, Any]) -> dict[str, Any]:
        # checked here, not as a key pattern: secret_env's JSON Schema must keep its values
        # under additionalProperties, where the sealing of secret inputs finds them
        for name in value:
            if not ENV_NAME.match(name):
                raise ValueError(f"{name!r}: a variable name is letters, digits and _")
        return value

    @field_validator("env")
    @classmethod
    def _templates(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            try:
                _LEXER.parse(text)
            except TemplateSyntaxError as exc:
                raise ValueError(
                    f"{name}: Jinja2 syntax error at line {exc.lineno}: {exc.message}"
                ) from None
        return value

    @model_validator(mode="after")
    def _splits(self) -> UnixCommandInputs:
        if not self.shell:  # the shell parses its own line
            try:
                words = shlex.split(split_template(self.command)[0])
            except ValueError as exc:  # "No closing quotation"
                raise ValueError(f"command: cannot be split into arguments: {exc}") from None
            if not words:
                raise ValueError("command: nothing to run")
        return self

    @model_validator(mode="after")
    def _distinct_names(self) -> UnixCommandInputs:
        both = sorted(set(self.env) & set(self.secret_env))
        if both:
            raise ValueError(f"{', '.join(both)}: in both env and secret_env")
        return self


def shell_line(text: str) -> str:
    """A shell line in which each slot is a reference to the environment variable holding
    its value (``NETWEAVE_VALUE_<n>``), written for the quoting around it: ``"${V}"``
    outside quotes, ``${V}`` inside double quotes, ``'"${V}"'`` inside single quotes. The
    values never enter the text the shell parses, so none can become shell syntax,
    whatever quotes the command's author put around an expression."""
    out: list[str] = []
    state = ""  # "", "'" or '"'
    i = 0
    while i < len(text):
        slot = _SLOT.match(text, i)
        if slot:
            name = "${" + VALUE_PREFIX + slot.group(1) + "}"
            out.append({"": f'"{name}"', '"': name, "'": f"'\"{name}\"'"}[state])
            i = slot.end()
            continue
        char = text[i]
        if char == "\\" and state != "'" and i + 1 < len(text) and text[i + 1] != "\x00":
            out.append(text[i : i + 2])  # an escaped character, quote or not
            i += 2
            continue
        if state == "" and char in "'\"":
            state = char
        elif char == state:
            state = ""
        out.append(char)
        i += 1
    return "".join(out)


def build_command(
    ctx: ServiceContext, inputs: UnixCommandInputs
) -> tuple[list[str] | str, str, dict[str, str]]:
    """What to execute (argv, or a line for the shell), how to show it, and the
    environment variables carrying the expressions' values to the shell."""
    text, expressions = split_template(inputs.command)
    values = [ctx.render(expression) for expression in expressions]
    if inputs.shell:
        line = shell_line(text)
        carried = {f"{VALUE_PREFIX}{n}": value for n, value in enumerate(values)}
        return line, line, carried
    argv = [_SLOT.sub(lambda m: values[int(m.group(1))], arg) for arg in shlex.split(text)]
    return argv, shlex.join(argv), {}


def _environment(
    ctx: ServiceContext, inputs: UnixCommandInputs, carried: dict[str, str]
) -> dict[str, str]:
    env = {name: os.environ[name] for name in BASE_ENV if name in os.environ}
    env.setdefault("PATH", DEFAULT_PATH)
    env.update({name: ctx.render(text) for name, text in inputs.env.items()})
    env.update({name: value.get_secret_value() for name, value in inputs.secret_env.items()})
    env.update(carried)
    return env


def _read(stream: IO[bytes], secrets: list[str]) -> tuple[str, bool]:
    stream.seek(0)
    data = stream.read(MAX_OUTPUT + 1)
    text = data[:MAX_OUTPUT].decode("utf-8", errors="replace")
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text, len(data) > MAX_OUTPUT


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


class UnixCommand(Service[UnixCommandInputs]):
    title = "Unix command"
    description = "Run a program on the worker (admins only): stdout, stderr, exit status."
    Inputs = UnixCommandInputs
    per_device = True  # templates see the device; options.run_method = "once" runs it once
    privileged = True

    def run(self, ctx: ServiceContext, inputs: UnixCommandInputs) -> ServiceOutcome:
        command, shown, carried = build_command(ctx, inputs)
        if inputs.cwd is not None and not Path(inputs.cwd).is_dir():
            return ServiceOutcome(False, {"command": shown, "error": "cwd: not a directory"})
        limit = min(inputs.timeout, ctx.timeout)
        secrets = [s.get_secret_value() for s in inputs.secret_env.values()]
        secrets = [s for s in secrets if s]
        result: dict[str, Any] = {"command": shown}
        if carried:
            result["values"] = carried
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            started = time.monotonic()
            try:
                process = subprocess.Popen(
                    command,
                    shell=inputs.shell,
                    cwd=inputs.cwd,
                    env=_environment(ctx, inputs, carried),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    start_new_session=True,  # its own process group, killed as one
                )
            except (FileNotFoundError, PermissionError) as exc:
                status = 127 if isinstance(exc, FileNotFoundError) else 126
                program = command[0] if isinstance(command, list) else command
                error = f"cannot run {program!r}: {exc.strerror}"
                ctx.log(error)
                return ServiceOutcome(False, {**result, "exit_status": status, "error": error})
            ctx.log(f"started: {shown[:500]} (pid {process.pid})")
            stopped = self._wait(process, started + limit)
            _kill_group(process)  # what it left running in the background goes with it
            process.wait()
            duration = time.monotonic() - started
            stdout, cut_out = _read(out, secrets)
            stderr, cut_err = _read(err, secrets)
        result.update(
            stdout=stdout,
            stderr=stderr,
            exit_status=process.returncode,
            duration_seconds=round(duration, 3),
        )
        if cut_out or cut_err:
            result["truncated"] = True
        if stopped == "timeout":
            result["error"] = f"timeout: killed after {limit:g} s"
        elif stopped:
            result["error"] = f"stopped: {stopped}"
        ctx.log(f"exit status {process.returncode} after {duration:.2f} s{_why(stopped)}")
        success = not stopped and process.returncode in inputs.success_codes
        if not stopped and not success:
            result["error"] = f"exit status {process.returncode}"
        return ServiceOutcome(success, result)

    @staticmethod
    def _wait(process: subprocess.Popen[bytes], deadline: float) -> str:
        """Wait for the process to end (left unreaped: while it is a zombie its process
        group id cannot be reused, so killing the group afterwards hits only what it
        started); kill the group at ``deadline`` or when the run is stopped. ``""`` when it
        ended by itself, else ``"timeout"`` or the stop's reason."""
        token = current_token()
        pause = 0.005
        while not _exited(process.pid):
            reason = ""
            if token is not None and token.canceled:
                reason = token.reason or "canceled"
            elif time.monotonic() >= deadline:
                reason = "timeout"
            if reason:
                _kill_group(process)
                return reason
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            pause = min(pause * 2, 0.1)
        return ""


def _exited(pid: int) -> bool:
    """Whether the child ended, without reaping it."""
    flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
    try:
        return os.waitid(os.P_PID, pid, flags) is not None
    except ChildProcessError:  # reaped already
        return True


def _why(stopped: str) -> str:
    if not stopped:
        return ""
    return " (killed: timeout)" if stopped == "timeout" else f" (killed: {stopped})"

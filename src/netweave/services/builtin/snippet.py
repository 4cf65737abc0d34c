"""Python snippet: a few lines of Python an admin writes, run on the worker for each device
(or once), with the device's facts, the run's variables, earlier results and helpers that
go through the step's pooled device sessions.

A privileged type: the snippet is full Python running with the worker's rights (files,
network, environment). Only admins author it; operators run saved snippets, whose code
they cannot change (their run variables reach the snippet as data, never as code).

The snippet runs in the worker thread of its step: ``print`` is the snippet's own (it
writes to the step's log, never to ``sys.stdout``, which other steps' threads share), and
a trace function on the snippet's own lines stops it when the step's timeout passes or the
run is stopped (a call blocked inside a library is not interrupted)."""

from __future__ import annotations

import builtins
import contextlib
import copy
import functools
import json
import math
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from datetime import time as day_time
from types import CodeType, FrameType, TracebackType
from typing import Any

from pydantic import Field, field_validator

from netweave.foundation.bounded import MAX_JSON_DEPTH, check_bounded
from netweave.services.base import Service, ServiceContext, ServiceInputs, ServiceOutcome
from netweave.sessions.cancel import current as current_token

SNIPPET_FILE = "<snippet>"
MAX_SOURCE = 100_000  # characters of Python
MAX_RESULT_BYTES = 4 * 1024 * 1024  # the step's result, once serialised


class SnippetInputs(ServiceInputs):
    source: str = Field(
        min_length=1,
        max_length=MAX_SOURCE,
        description="Python run for each device. Names: device, devices, variables, exports, "
        "results, commands(list), configure(lines), log(msg), print, result (a dict), "
        "success (bool)",
        json_schema_extra={"format": "textarea"},
    )

    @field_validator("source")
    @classmethod
    def _compiles(cls, value: str) -> str:
        compile_source(value)
        return value


@functools.lru_cache(maxsize=64)
def compile_source(source: str) -> CodeType:
    """The snippet compiled (once per process for the same source: a code object is
    immutable, shared by the threads that run it); ValueError naming the line of a syntax
    error (a 422 on save)."""
    try:
        return compile(source, SNIPPET_FILE, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise ValueError(f"Python syntax error at line {exc.lineno}: {exc.msg}") from None
    except ValueError as exc:  # a NUL character in the source
        raise ValueError(f"not valid Python source: {exc}") from None


class SnippetStopped(BaseException):
    """Raised inside the snippet when its step's time is up or its run was stopped. A
    BaseException, so the snippet's own ``except Exception`` does not swallow it."""


class EarlierResults:
    """``results`` in a snippet: ``results("step")``, ``results["step"]`` or
    ``results.get("step")`` give an earlier step's result for this device in this run."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def __call__(self, step: str) -> dict[str, Any] | None:
        return self._ctx.result(step)

    def get(self, step: str, default: Any = None) -> Any:
        found = self._ctx.result(step)
        return default if found is None else found

    def __getitem__(self, step: str) -> dict[str, Any]:
        found = self._ctx.result(step)
        if found is None:
            raise KeyError(f"no result of step {step!r} for this device in this run")
        return found


def to_json(value: Any, where: str = "result", depth: int = 0) -> Any:
    """``value`` as plain JSON data: tuples and sets become lists, bytes text, dates ISO
    strings; anything else (or a NaN, or nesting past the bound) is a ValueError naming
    where it was found, so the snippet's author knows what to convert."""
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"{where}: nested deeper than {MAX_JSON_DEPTH} levels (a cycle?)")
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: {value} is not a JSON number")
        return value
    if isinstance(value, dict):
        converted = {}
        for key, item in value.items():
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise ValueError(f"{where}: a key of type {type(key).__name__} is not JSON")
            name = key if isinstance(key, str) else str(key)
            converted[name] = to_json(item, f"{where}[{name!r}]", depth + 1)
        return converted
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value)]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, datetime | date | day_time):
        return value.isoformat()
    raise ValueError(
        f"{where}: a value of type {type(value).__name__} is not JSON "
        "(convert it: str(), list(), dict())"
    )


def _snippet_traceback(exc: BaseException, lines: list[str]) -> tuple[list[str], int | None]:
    """The traceback's frames in the snippet's own code (the worker's are left out) and
    the line the error was raised at."""
    frames: list[str] = []
    line = None
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == SNIPPET_FILE:
            line = tb.tb_lineno
            text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
            where = "" if code.co_name == "<module>" else f", in {code.co_name}"
            frames.append(f"  line {line}{where}: {text}")
        tb = tb.tb_next
    if isinstance(exc, SyntaxError) and exc.filename == SNIPPET_FILE:
        line = exc.lineno
    return frames, line


def _stopper(deadline: float, timeout: float) -> Callable[..., Any]:
    """A trace function that raises :class:`SnippetStopped` on the next line of snippet
    code after ``deadline`` or a stop of the run. Only snippet frames are traced line by
    line; the libraries it calls run untraced."""
    token = current_token()

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            if token is not None and token.canceled:
                raise SnippetStopped(f"stopped: {token.reason or 'canceled'}")
            if time.monotonic() > deadline:
                raise SnippetStopped(f"timeout: still running after {timeout:g} s")
        return local

    def calls(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename == SNIPPET_FILE else None

    return calls


class PythonSnippet(Service[SnippetInputs]):
    title = "Python snippet"
    description = "Run a few lines of Python per device (admins only): commands, results, exports."
    Inputs = SnippetInputs
    per_device = True  # options.run_method = "once" runs it once, with device = None
    privileged = True

    def run(self, ctx: ServiceContext, inputs: SnippetInputs) -> ServiceOutcome:
        code = compile_source(inputs.source)
        lines = inputs.source.splitlines()
        namespace = self._namespace(ctx)
        previous = sys.gettrace()
        sys.settrace(_stopper(time.monotonic() + ctx.timeout, ctx.timeout))
        try:
            exec(code, namespace)  # admin-authored code: the point of the type
        except (Exception, SnippetStopped, SystemExit) as exc:
            frames, line = _snippet_traceback(exc, lines)
            message = str(exc) if isinstance(exc, SnippetStopped) else _describe(exc)
            ctx.log("\n".join(["snippet failed (its own lines):", *frames, message]))
            result: dict[str, Any] = {"error": message}
            if line is not None:
                result["line"] = line
            partial = namespace.get("result")
            if isinstance(partial, dict) and partial:
                with contextlib.suppress(ValueError):  # the error is what matters
                    result = {**to_json(partial), **result}
            return ServiceOutcome(False, result)
        finally:
            sys.settrace(previous)
        return self._outcome(ctx, namespace)

    @staticmethod
    def _namespace(ctx: ServiceContext) -> dict[str, Any]:
        def commands(commands: list[str] | str, driver: str | None = None, **options: Any) -> Any:
            """Run show commands on the device over the step's pooled session."""
            items = [commands] if isinstance(commands, str) else list(commands)
            outputs = ctx.commands(items, driver=driver, options=options or None)
            return [
                {
                    "command": o.command,
                    "stdout": o.stdout,
                    "stderr": o.stderr,
                    "exit_status": o.exit_status,
                    "parsed": o.parsed,
                }
                for o in outputs
            ]

        def configure(lines: list[str] | str, driver: str | None = None, **options: Any) -> Any:
            """Push configuration lines to the device over the step's pooled session."""
            items = lines.splitlines() if isinstance(lines, str) else list(lines)
            outcome = ctx.configure(items, driver=driver, options=options or None)
            return {
                "ok": outcome.ok,
                "output": outcome.output,
                "applied": list(outcome.applied),
                "failed_line": outcome.failed_line,
                "error": outcome.error,
                "diff": outcome.diff,
            }

        def log(message: Any) -> None:
            ctx.log(str(message))

        def snippet_print(
            *values: Any,
            sep: str | None = " ",
            end: str | None = "\n",
            file: Any = None,
            flush: bool = False,
        ) -> None:
            """print() into the step's log, one entry per call (other files: as usual)."""
            if file is not None and file not in (sys.stdout, sys.stderr):
                builtins.print(*values, sep=sep, end=end, file=file, flush=flush)
                return
            text = (" " if sep is None else sep).join(str(v) for v in values)
            ctx.log(text)

        device = ctx.device.as_dict() if ctx.device is not None else None
        return {
            "__builtins__": builtins,
            "__name__": "__snippet__",
            "device": device,
            "devices": [d.as_dict() for d in ctx.devices],
            "variables": copy.deepcopy(ctx.variables),
            "exports": {},
            "results": EarlierResults(ctx),
            "commands": commands,
            "configure": configure,
            "log": log,
            "print": snippet_print,
            "result": {},
            "success": True,
        }

    @staticmethod
    def _outcome(ctx: ServiceContext, namespace: dict[str, Any]) -> ServiceOutcome:
        raw = namespace.get("result")
        try:
            result = to_json(raw if isinstance(raw, dict) else {"value": raw})
            exports = namespace.get("exports")
            if not isinstance(exports, dict):
                raise ValueError(f"exports: must be a dict, not a {type(exports).__name__}")
            exported = to_json(exports, "exports")
            check_bounded(exported)
        except ValueError as exc:
            ctx.log(f"snippet result refused: {exc}")
            return ServiceOutcome(False, {"error": str(exc)})
        if len(json.dumps(result).encode()) > MAX_RESULT_BYTES:
            message = f"result: larger than {MAX_RESULT_BYTES} bytes once serialised"
            ctx.log(f"snippet result refused: {message}")
            return ServiceOutcome(False, {"error": message})
        return ServiceOutcome(bool(namespace.get("success", True)), result, exported)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

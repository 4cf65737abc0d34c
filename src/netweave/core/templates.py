"""Templates: Jinja2 rendering in the sandbox, output parsing with TextFSM (inline or
ntc-templates by platform + command) and TTP."""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import textfsm
from jinja2 import StrictUndefined, Template, TemplateSyntaxError, nodes
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from netweave.foundation import guarded, ttp_safety
from netweave.foundation.errors import InvalidInput, NotFound

MAX_REPEAT = 1_000_000  # items or characters one "*" may make ("x" * n, [0] * n)
MAX_POWER_BITS = 100_000  # an integer "**" result larger than this is refused


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox, which also refuses ``*`` and ``**`` results large
    enough to exhaust the server's memory or CPU."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, str | list | tuple) and isinstance(times, int):
                    if len(sequence) * times > MAX_REPEAT:
                        raise SecurityError(f"a repetition larger than {MAX_REPEAT:,} items")
        elif isinstance(left, int) and isinstance(right, int) and right > 0:
            if max(abs(left).bit_length(), 1) * right > MAX_POWER_BITS:
                raise SecurityError(f"a power larger than {MAX_POWER_BITS:,} bits")
        return super().call_binop(context, operator, left, right)


_ENV = _Sandbox(undefined=StrictUndefined, autoescape=False)


def _line(traceback: TracebackType | None) -> int | None:
    """The template line being rendered when an error was raised (Jinja2 maps the
    compiled code back to template lines in the traceback it rewrites)."""
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == "<template>":
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def check_syntax(template: str) -> None:
    """Raise ``ValueError("line N: ...")`` for a template Jinja2 cannot compile."""
    try:
        _ENV.parse(template)
    except TemplateSyntaxError as exc:
        raise ValueError(f"template syntax error at line {exc.lineno}: {exc.message}") from None


def _materialized(parsed: nodes.Template, context: dict[str, Any]) -> dict[str, Any]:
    """``context`` as plain data for the guard process: a lazy mapping (an automation's
    ``results``) becomes a dict of the keys the template names literally
    (``results.step``, ``results["step"]``)."""
    lazy = {k for k, v in context.items() if isinstance(v, Mapping) and not isinstance(v, dict)}
    if not lazy:
        return context
    keys: dict[str, set[str]] = {name: set() for name in lazy}
    for node in parsed.find_all((nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr):
            target, key = node.node, node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            target, key = node.node, node.arg.value
        else:
            continue
        if isinstance(target, nodes.Name) and target.name in keys and isinstance(key, str):
            keys[target.name].add(key)
    for call in parsed.find_all(nodes.Call):  # results.get("step")
        method = call.node
        if isinstance(method, nodes.Getattr) and isinstance(method.node, nodes.Name):
            if method.node.name in keys and method.attr == "get" and call.args:
                first = call.args[0]
                if isinstance(first, nodes.Const) and isinstance(first.value, str):
                    keys[method.node.name].add(first.value)
    plain = dict(context)
    for name in lazy:
        mapping = context[name]
        plain[name] = {key: mapping[key] for key in keys[name] if key in mapping}
    return plain


@functools.lru_cache(maxsize=64)
def _compiled(template: str) -> Template:
    return _ENV.from_string(template)


def _render_guarded(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """In a guard process: ``("ok", text)`` or ``(kind, message)`` of the error."""
    compiled = _compiled(template)
    try:
        return "ok", compiled.render(**context)
    except MemoryError:
        raise
    except Exception as exc:  # user code: whatever it raises is the template's fault
        line = _line(exc.__traceback__)
        where = f" at line {line}" if line else ""
        kind = "not allowed" if isinstance(exc, SecurityError) else "template error"
        message = str(exc) or type(exc).__name__
        return "error", f"{kind}{where}: {message}"


def _limited(exc: guarded.LimitExceeded, what: str, field: str) -> InvalidInput:
    return InvalidInput(f"{what} {exc}", field=field)


def render(template: str, context: dict[str, Any], field: str = "template") -> str:
    """Render in the sandbox, in a guard process under the time and memory limits. Any
    error (syntax, an undefined variable, a refused attribute, an exception raised by the
    template's own operations, a limit) is an ``InvalidInput`` naming the field and the
    template line."""
    try:
        parsed = _ENV.parse(template)
    except TemplateSyntaxError as exc:
        raise InvalidInput(
            f"template syntax error at line {exc.lineno}: {exc.message}", field=field
        ) from None
    try:
        status, text = guarded.run(_render_guarded, template, _materialized(parsed, context))
    except guarded.LimitExceeded as exc:
        raise _limited(exc, "the template", field) from None
    except Exception as exc:  # e.g. a context value that cannot be sent to the guard
        raise InvalidInput(f"template error: {exc}", field=field) from exc
    if status != "ok":
        raise InvalidInput(text, field=field)
    return text


def check_ttp(template: str, field: str = "parsing.template") -> None:
    """Refuse a TTP template that uses a feature running code or touching files."""
    try:
        ttp_safety.check_template(template)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from None


def _textfsm_guarded(template: str, output: str) -> tuple[str, Any]:
    """In a guard process: ``("ok", rows)`` or ``(field-suffix, message)``."""
    try:
        fsm = textfsm.TextFSM(io.StringIO(template))
    except textfsm.TextFSMTemplateError as exc:
        return "template", f"textfsm template: {exc}"
    try:
        rows = fsm.ParseText(output)
    except textfsm.TextFSMError as exc:
        return "error", f"textfsm: {exc}"
    header = [h.lower() for h in fsm.header]
    return "ok", [dict(zip(header, row, strict=False)) for row in rows]


def _ntc_guarded(platform: str, command: str, output: str) -> tuple[str, Any]:
    """NetWeave's own templates for the platforms it adds (frr), then ntc-templates."""
    from netweave.services.builtin.parsing import ntc_parse

    try:
        return "ok", ntc_parse(platform, command, output)
    except Exception as exc:
        return "error", f"ntc-templates: {exc}".splitlines()[0]


def _ttp_guarded(output: str, template: str) -> tuple[str, Any]:
    try:
        return "ok", ttp_safety.parse(output, template, "flat_list")
    except MemoryError:
        raise
    except BaseException as exc:  # TTP raises SystemExit on a template it cannot read
        return "error", f"ttp: {exc}"


def parse(
    output: str,
    *,
    name: str = "ntc_templates",
    template: str | None = None,
    platform: str | None = None,
    command: str | None = None,
) -> Any:
    """``textfsm``: inline template; ``ntc_templates``: by platform + command (or inline);
    ``ttp``: inline template (no code, no files). Parsing runs in a guard process under the
    time and memory limits. Raises InvalidInput naming the problem."""
    field = "parsing.template"
    if name == "ttp":
        if not template:
            raise InvalidInput("ttp needs a template", field=field)
        check_ttp(template, field)
        call: tuple[Any, ...] = (_ttp_guarded, output, template)
    elif template:
        call = (_textfsm_guarded, template, output)
    elif name == "textfsm":
        raise InvalidInput("textfsm needs a template", field=field)
    elif not platform or not command:
        raise InvalidInput(
            "ntc_templates needs the platform and the command", field="parsing.platform"
        )
    else:
        field = "parsing"
        call = (_ntc_guarded, platform, command, output)
    try:
        status, value = guarded.run(*call)
    except guarded.LimitExceeded as exc:
        raise _limited(exc, "parsing", field) from None
    if status != "ok":
        raise InvalidInput(value, field=field)
    return value


NTC_TEMPLATE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,199}\Z")


def ntc_template(name: str, field: str = "parsing.template") -> str:
    """The text of ntc-templates' template ``name`` (``cisco_ios_show_version``), or of
    NetWeave's own (``frr_show_ip_route``): only a template of the installed packages, never
    another file of the server."""
    import ntc_templates

    from netweave.services.builtin.parsing import TEXTFSM_TEMPLATES

    stem = name.removesuffix(".textfsm")
    if NTC_TEMPLATE_NAME.match(stem):  # a name, never a path
        for folder in (TEXTFSM_TEMPLATES, Path(ntc_templates.__file__).parent / "templates"):
            path = folder / f"{stem}.textfsm"
            if path.is_file():
                return path.read_text()
    raise InvalidInput(
        f"{name!r} is not an ntc-templates template (e.g. cisco_ios_show_version)",
        field=field,
    )


def parse_spec(
    output: str,
    spec: Mapping[str, Any],
    *,
    platform: str | None = None,
    command: str | None = None,
    field: str = "parsing",
) -> Any:
    """Parse with a request's parsing spec (a job's ``parsing``, ``/template/parse``).
    NetPulse's ``use_ntc_template``: TextFSM with ntc-templates, chosen by
    ``ntc_template_args`` (platform, command), else by the job's platform and each command;
    a ``template`` with it names an ntc-templates template."""
    name = str(spec.get("name") or "ntc_templates")
    template = spec.get("template")
    platform = spec.get("platform") or platform
    if spec.get("use_ntc_template"):
        if template:
            return parse(
                output, name="textfsm", template=ntc_template(template, f"{field}.template")
            )
        ntc_args = spec.get("ntc_template_args") or {}
        platform = ntc_args.get("platform") or platform
        command = ntc_args.get("command") or command
        if not platform or not command:
            raise InvalidInput(
                "use_ntc_template needs ntc_template_args (platform and command)",
                field=f"{field}.ntc_template_args",
            )
        name = "ntc_templates"
    return parse(output, name=name, template=template, platform=platform, command=command)


RENDERERS = ("jinja2",)
PARSERS = ("textfsm", "ntc_templates", "ttp")


def render_named(name: str, template: str, context: dict[str, Any]) -> str:
    """NetPulse's ``/template/render[/{name}]``: the renderer by name (Jinja2 only)."""
    if name not in RENDERERS:
        raise NotFound(f"no renderer named {name!r}; one of {', '.join(RENDERERS)}", field="name")
    return render(template, context)


def parse_named(output: str, spec: Mapping[str, Any], command: str | None = None) -> Any:
    """NetPulse's ``/template/parse[/{name}]``: the parser by name, then :func:`parse_spec`."""
    name = str(spec.get("name") or "")
    if name not in PARSERS:
        raise NotFound(f"no parser named {name!r}; one of {', '.join(PARSERS)}", field="name")
    if name == "ttp" and spec.get("use_ntc_template"):
        raise InvalidInput("use_ntc_template parses with TextFSM, not ttp", field="name")
    return parse_spec(output, spec, command=command, field="parsing")

"""Templates: Jinja2 rendering in the sandbox, output parsing with TextFSM (inline or
ntc-templates by platform + command) and TTP."""

from __future__ import annotations

import io
from types import TracebackType
from typing import Any

import textfsm
from jinja2 import StrictUndefined, TemplateSyntaxError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from netweave.foundation.errors import InvalidInput

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


def render(template: str, context: dict[str, Any], field: str = "template") -> str:
    """Render in the sandbox. Any error (syntax, an undefined variable, a refused attribute,
    an exception raised by the template's own operations) is an ``InvalidInput`` naming
    the field and the template line."""
    try:
        compiled = _ENV.from_string(template)
    except TemplateSyntaxError as exc:
        raise InvalidInput(
            f"template syntax error at line {exc.lineno}: {exc.message}", field=field
        ) from None
    try:
        return compiled.render(**context)
    except Exception as exc:  # user code: whatever it raises is the template's fault
        line = _line(exc.__traceback__)
        where = f" at line {line}" if line else ""
        kind = "not allowed" if isinstance(exc, SecurityError) else "template error"
        message = str(exc) or type(exc).__name__
        raise InvalidInput(f"{kind}{where}: {message}", field=field) from exc


def parse(
    output: str,
    *,
    name: str = "ntc_templates",
    template: str | None = None,
    platform: str | None = None,
    command: str | None = None,
) -> Any:
    """``textfsm``: inline template; ``ntc_templates``: by platform + command (or inline);
    ``ttp``: inline template. Raises InvalidInput naming the problem."""
    if name == "ttp":
        if not template:
            raise InvalidInput("ttp needs a template", field="parsing.template")
        from ttp import ttp

        try:
            parser = ttp(data=output, template=template)
            parser.parse()
            return parser.result(structure="flat_list")
        except Exception as exc:
            raise InvalidInput(f"ttp: {exc}", field="parsing.template") from exc
    if template:
        try:
            fsm = textfsm.TextFSM(io.StringIO(template))
        except textfsm.TextFSMTemplateError as exc:
            raise InvalidInput(f"textfsm template: {exc}", field="parsing.template") from exc
        try:
            rows = fsm.ParseText(output)
        except textfsm.TextFSMError as exc:
            raise InvalidInput(f"textfsm: {exc}", field="parsing.template") from exc
        header = [h.lower() for h in fsm.header]
        return [dict(zip(header, row, strict=False)) for row in rows]
    if name == "textfsm":
        raise InvalidInput("textfsm needs a template", field="parsing.template")
    if not platform or not command:
        raise InvalidInput(
            "ntc_templates needs the platform and the command", field="parsing.platform"
        )
    from ntc_templates.parse import parse_output

    try:
        return parse_output(platform=platform, command=command, data=output)
    except Exception as exc:
        raise InvalidInput(f"ntc-templates: {exc}".splitlines()[0], field="parsing") from exc

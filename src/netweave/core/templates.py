"""Templates: Jinja2 rendering in the sandbox, output parsing with TextFSM (inline or
ntc-templates by platform + command) and TTP."""

from __future__ import annotations

import io
from typing import Any

import textfsm
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from netweave.foundation.errors import InvalidInput

_ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def render(template: str, context: dict[str, Any], field: str = "template") -> str:
    try:
        return _ENV.from_string(template).render(**context)
    except SecurityError as exc:
        raise InvalidInput(f"not allowed in a template: {exc}", field=field) from exc
    except TemplateError as exc:
        raise InvalidInput(f"template error: {exc}", field=field) from exc


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

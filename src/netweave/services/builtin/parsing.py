"""Output parsing for services: TextFSM through ntc-templates, or a TTP template."""

from __future__ import annotations

from typing import Any


def parse_output(
    text: str, kind: str, platform: str, command: str, ttp_template: str | None
) -> Any:
    try:
        if kind == "textfsm":
            from ntc_templates.parse import parse_output as ntc_parse

            return ntc_parse(platform=platform, command=command, data=text)
        if kind == "ttp":
            from ttp import ttp

            parser = ttp(data=text, template=ttp_template or "")
            parser.parse()
            return parser.result()[0]
    except Exception as exc:  # an unparseable output is reported, not fatal
        return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}
    return None

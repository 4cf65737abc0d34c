"""Output parsing for services: TextFSM through ntc-templates, or a TTP template (no code,
no files: see :mod:`netweave.foundation.ttp_safety`). Parsing runs in a guard process under
the time and memory limits (:mod:`netweave.foundation.guarded`)."""

from __future__ import annotations

from typing import Any

from netweave.foundation import guarded, ttp_safety


def _ntc_parse(platform: str, command: str, text: str) -> Any:
    from ntc_templates.parse import parse_output as ntc_parse

    return ntc_parse(platform=platform, command=command, data=text)


def _ttp_parse(text: str, template: str) -> Any:
    return ttp_safety.parse(text, template, None)[0]


def parse_output(
    text: str, kind: str, platform: str, command: str, ttp_template: str | None
) -> Any:
    try:
        if kind == "textfsm":
            return guarded.run(_ntc_parse, platform, command, text)
        if kind == "ttp":
            template = ttp_template or ""
            ttp_safety.check_template(template)  # checked at save time; again before running
            return guarded.run(_ttp_parse, text, template)
    except Exception as exc:  # an unparseable output is reported, not fatal
        return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}
    return None

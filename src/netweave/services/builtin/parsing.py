"""Output parsing for services: TextFSM chosen by platform and command (NetWeave's own
templates for the platforms it adds, e.g. ``frr``, then ntc-templates), or a TTP template (no
code, no files: see :mod:`netweave.foundation.ttp_safety`). Parsing runs in a guard process
under the time and memory limits (:mod:`netweave.foundation.guarded`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netweave.foundation import guarded, ttp_safety

# NetWeave's own TextFSM templates and their index (ntc-templates' format)
TEXTFSM_TEMPLATES = Path(__file__).with_name("textfsm_templates")


def ntc_parse(platform: str, command: str, text: str) -> list[dict[str, Any]]:
    """TextFSM by platform and command: NetWeave's own index first (the platforms NetWeave
    adds: ``frr``), then ntc-templates'. Rows as dicts with lower-case column names. Call it
    in a guard process (:func:`netweave.foundation.guarded.run`): a template's regular
    expressions run on device output."""
    from textfsm import clitable

    table = clitable.CliTable("index", str(TEXTFSM_TEMPLATES))
    attributes = {"Platform": platform, "Command": " ".join(command.split())}
    if not table.index.GetRowMatch(attributes):
        from ntc_templates.parse import parse_output as ntc_templates_parse

        rows: list[dict[str, Any]] = ntc_templates_parse(
            platform=platform, command=command, data=text
        )
        return rows
    table.ParseCmd(text, attributes)
    header = [str(column).lower() for column in table.header]
    return [dict(zip(header, row, strict=True)) for row in table]


def _ntc_parse(platform: str, command: str, text: str) -> Any:
    return ntc_parse(platform, command, text)


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

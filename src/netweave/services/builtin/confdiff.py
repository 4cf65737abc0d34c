"""Configuration text: cleaning volatile lines, unified diffs, and the IOS-style commands
that turn one configuration into another (for platforms without a replace operation)."""

from __future__ import annotations

import difflib

VOLATILE = (
    "Building configuration",
    "Current configuration :",
    "! Last configuration change",
    "! NVRAM config last updated",
    "ntp clock-period",
)


def clean_config(text: str) -> str:
    lines = [
        line.rstrip()
        for line in text.replace("\r", "").splitlines()
        if not line.startswith(VOLATILE)
    ]
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines).strip("\n") + "\n"


def unified(old: str, new: str, old_name: str = "old", new_name: str = "new") -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), old_name, new_name, n=2
        )
    )


def blocks(text: str) -> dict[str, list[str]]:
    """Top-level lines with their indented children (``!`` separators dropped)."""
    result: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if not line.strip() or line.strip() == "!" or line.strip() == "end":
            continue
        if line[0] in " \t":
            if current is not None:
                current.append(line.strip())
            continue
        current = result.setdefault(line.rstrip(), [])
    return result


def remediation(running: str, target: str) -> list[str]:
    """Commands taking ``running`` to ``target``: remove what is extra (``no ...``), add
    what is missing, section by section."""
    have, want = blocks(running), blocks(target)
    commands: list[str] = []
    for top in have:
        if top not in want:
            commands.append(top[3:] if top.startswith("no ") else f"no {top}")
    for top, children in want.items():
        if top not in have:
            commands.append(top)
            commands.extend(f" {child}" for child in children)
            continue
        extra = [c for c in have[top] if c not in children]
        missing = [c for c in children if c not in have[top]]
        if extra or missing:
            commands.append(top)
            commands.extend(f" {c[3:]}" if c.startswith("no ") else f" no {c}" for c in extra)
            commands.extend(f" {c}" for c in missing)
    return commands

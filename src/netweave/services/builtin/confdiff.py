"""Configuration text: cleaning volatile lines, unified diffs, and the IOS-style commands
that turn one configuration into another (for platforms without a replace operation)."""

from __future__ import annotations

import difflib

VOLATILE = (
    "Building configuration",
    "Current configuration :",
    "Current configuration:",  # FRR
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


# FRR: lines a configuration cannot remove (``no frr version`` is no command), and the
# lines that only close a block in ``show running-config``.
PERMANENT = ("frr version", "frr defaults", "hostname ", "service integrated-vtysh-config")
CLOSERS = {"exit", "exit-address-family", "exit-vrf", "exit-vnc", "end", "!"}


Node = tuple[str, list["Node"]]


def tree(text: str) -> list[Node]:
    """Indented configuration as nested (line, children) pairs; block closers dropped."""
    root: list[Node] = []
    stack: list[tuple[int, list[Node]]] = [(-1, root)]
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip() or line.strip() in CLOSERS:
            continue
        depth = len(line) - len(line.lstrip())
        while stack[-1][0] >= depth:
            stack.pop()
        children: list[Node] = []
        stack[-1][1].append((line.strip(), children))
        stack.append((depth, children))
    return root


# Commands that hold one value: setting the new value replaces the old one, and ``no`` takes
# the command without its value (FRR refuses ``no description OLD TEXT``).
SINGLE_VALUED = (
    "description",
    "ip ospf cost",
    "ip ospf hello-interval",
    "ip ospf dead-interval",
    "ip ospf network",
    "ip ospf priority",
    "ospf router-id",
    "bgp router-id",
    "timers bgp",
)


def _single_valued(line: str) -> str | None:
    for key in SINGLE_VALUED:
        if line == key or line.startswith(key + " "):
            return key
    return None


def _negate(line: str) -> str:
    if line.startswith("no "):
        return line[3:]
    key = _single_valued(line)
    return f"no {key}" if key in ("description", "timers bgp") else f"no {line}"


def _closer(line: str) -> str:
    return "exit-address-family" if line.startswith("address-family") else "exit"


def _emit(node: Node, depth: int) -> list[str]:
    line, children = node
    commands = [" " * depth + line]
    for child in children:
        commands += _emit(child, depth + 1)
    if children:
        commands.append(" " * depth + _closer(line))
    return commands


def nested_remediation(running: str, target: str) -> list[str]:
    """Commands taking ``running`` to ``target`` at any depth (FRR: ``router bgp`` holds
    ``address-family`` blocks): each block entered, what is extra removed (``no ...``), what
    is missing added, the block closed; a block that is wholly missing is sent whole."""
    return _walk(tree(running), tree(target), 0)


def _walk(have: list[Node], want: list[Node], depth: int) -> list[str]:
    have_nodes = dict(have)
    want_nodes = dict(want)
    replaced = {key for line in want_nodes if (key := _single_valued(line))}
    commands: list[str] = []
    for line in have_nodes:
        if line in want_nodes or line.startswith(PERMANENT) or _single_valued(line) in replaced:
            continue  # kept, unremovable, or replaced by the new value below
        commands.append(" " * depth + _negate(line))
    for line, children in want_nodes.items():
        if line not in have_nodes:
            if not line.startswith(PERMANENT):
                commands += _emit((line, children), depth)
            continue
        inner = _walk(have_nodes[line], children, depth + 1)
        if inner:
            commands += [" " * depth + line, *inner, " " * depth + _closer(line)]
    return commands

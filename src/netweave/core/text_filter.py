"""Text filters of the list endpoints: one rule for every list.

A filter value without ``*`` or ``?`` keeps the parameter's documented plain meaning:
*exact* (inventory fields such as ``platform=juniper_junos``, a run's service name, a
changelog actor) or *contains* (names of services, workflows, tasks, changelog objects,
terminal sessions). With ``*`` (any run of characters) or ``?`` (one character) the value
is a glob matched against the **whole** value, case-insensitively on every backend:
``*ios*`` finds every value containing ``ios``, ``lab-ios-0?`` finds ``lab-ios-01``. The
web UI sends ``*text*`` for what a user types (a case-insensitive substring) unless the
user typed a glob. ``%``, ``_`` and ``\\`` are literal characters, never SQL wildcards."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

GLOB_CHARS = ("*", "?")
EXACT_HELP = (
    "Exact match; with * or ? a case-insensitive glob over the whole value "
    "(*ios* contains ios, lab-?? two characters after lab-)"
)
CONTAINS_HELP = (
    "Contains (case-insensitive); with * or ? a case-insensitive glob over the whole value"
)


def is_glob(value: str) -> bool:
    return any(char in value for char in GLOB_CHARS)


def like_pattern(glob: str) -> str:
    """The LIKE pattern (escape ``\\``) of a glob: ``*`` → ``%``, ``?`` → ``_``."""
    escaped = glob.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def contains_pattern(text: str) -> str:
    """The LIKE pattern of "contains ``text``" (globs inside ``text`` still work)."""
    return f"%{like_pattern(text)}%"


def match_text(column: Any, value: str, *, contains: bool = False) -> ColumnElement[bool]:
    """``column`` against a filter value (see the module's rule)."""
    if is_glob(value):
        return column.ilike(like_pattern(value), escape="\\")
    if contains:
        return column.ilike(contains_pattern(value), escape="\\")
    return column == value

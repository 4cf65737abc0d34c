"""Regular expressions written by users below admin (expect strings, error patterns, event
rule and service checks) run against device output and syslog in server threads, with
Python's backtracking ``re``: a pattern like ``(a+)+$`` takes exponential time on a few
dozen characters and would hold a worker or the syslog listener forever.

:func:`check_regex` refuses the shapes that backtrack catastrophically: a repeat inside an
unbounded repeat (star height above one: ``(a+)+``, ``(\\w*\\s?)*``), alternatives that may
overlap inside one (``(a|aa)*``), and backreferences
(``(a*)\\1``); and bounds the length. What remains is linear or low-order polynomial."""

from __future__ import annotations

import re
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

MAX_REGEX_LENGTH = 1000
_REPEATS = {sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", sre.MAX_REPEAT)}
_BACKREFS = {sre.GROUPREF, sre.GROUPREF_EXISTS}


class UnsafeRegex(ValueError):
    """A pattern refused for its backtracking cost (a ValueError: pydantic makes it a 422)."""


def check_regex(pattern: str) -> str:
    """``pattern`` if it compiles and cannot backtrack catastrophically, else
    :class:`UnsafeRegex` (or ``ValueError`` for a pattern that does not compile)."""
    if len(pattern) > MAX_REGEX_LENGTH:
        raise UnsafeRegex(f"a regular expression is limited to {MAX_REGEX_LENGTH} characters")
    try:
        re.compile(pattern)
        parsed = sre_parse.parse(pattern)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from exc
    problem = _problem(list(parsed), inside_unbounded=False)
    if problem is not None:
        raise UnsafeRegex(
            f"unsafe regular expression: {problem} can take exponential time on device output"
        )
    return pattern


def _problem(items: list[tuple[Any, Any]], inside_unbounded: bool) -> str | None:
    for op, value in items:
        if op in _BACKREFS:
            return "a backreference"
        if op == sre.BRANCH and inside_unbounded and not _distinct_literals(value[1]):
            return "alternatives that may overlap inside an unbounded repeat"
        if op in _REPEATS:
            _low, high, sub = value
            repeats = high == sre.MAXREPEAT or high > 1
            if inside_unbounded and repeats:
                return "a repeat inside an unbounded repeat"
            found = _problem(list(sub), inside_unbounded or high == sre.MAXREPEAT)
        else:
            found = _nested(value, inside_unbounded)
        if found is not None:
            return found
    return None


def _distinct_literals(alternatives: list[Any]) -> bool:
    """Each alternative starts with its own literal character: a repeat of them cannot
    split the same text two ways."""
    firsts = []
    for alternative in alternatives:
        items = list(alternative)
        if not items or items[0][0] != sre.LITERAL:
            return False
        firsts.append(items[0][1])
    return len(set(firsts)) == len(firsts)


def _nested(value: Any, inside_unbounded: bool) -> str | None:
    """Look into groups, branches and assertions (their sub-patterns)."""
    if isinstance(value, sre_parse.SubPattern):
        return _problem(list(value), inside_unbounded)
    if isinstance(value, list | tuple):
        for item in value:
            found = _nested(item, inside_unbounded)
            if found is not None:
                return found
    return None

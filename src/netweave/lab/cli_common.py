"""Pieces every simulated CLI shares: replies, command-word resolution, output filters."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class Stream:
    """Output that takes its time (``ping ... repeat 1000``): ``count`` chunks
    (``chunk(n)``) are written ``interval`` seconds apart, then ``done``. Ctrl-C (or IOS's
    escape, Ctrl-^) stops it: ``interrupted(sent)`` is written instead, given how many chunks
    went out."""

    count: int
    chunk: Callable[[int], str]
    interval: float
    done: str = ""
    interrupted: Callable[[int], str] = field(default=lambda sent: "^C\n")


@dataclass
class Reply:
    output: str = ""
    close: bool = False
    exit_status: int = 0
    secret_input: bool = False  # the next line is a password: do not echo it
    no_newline_prompt: bool = False
    stream: Stream | None = None  # more output, written over time after ``output``
    reboot: bool = False  # ``reload`` confirmed: the device drops every session and restarts


class CliSession(Protocol):
    def prompt(self) -> str: ...

    def handle(self, line: str) -> Reply: ...

    def run_exec(self, command: str) -> Reply: ...


@dataclass
class Resolution:
    command: tuple[str, ...] | None
    args: list[str]
    error: str | None = None  # invalid | incomplete | ambiguous
    position: int = 0  # character offset of the offending word
    word: str = ""


def resolve(words: list[str], commands: list[tuple[str, ...]], line: str) -> Resolution:
    """Match abbreviated words against the command table, word by word (``sh ip int br``).
    Words after a complete command are its arguments."""
    candidates = list(commands)
    offsets = word_offsets(line)
    for position, word in enumerate(words):
        complete_here = [c for c in candidates if len(c) == position]
        live = [c for c in candidates if len(c) > position]
        lowered = word.lower()
        matching = [c for c in live if c[position] == lowered] or [
            c for c in live if c[position].startswith(lowered)
        ]
        if not matching:
            if complete_here:
                return Resolution(complete_here[0], words[position:])
            offset = offsets[position] if position < len(offsets) else 0
            return Resolution(None, [], "invalid", offset, word)
        if len({c[position] for c in matching}) > 1:
            return Resolution(None, [], "ambiguous", offsets[position], word)
        candidates = matching
    complete = [c for c in candidates if len(c) == len(words)]
    if complete:
        return Resolution(complete[0], [])
    return Resolution(None, [], "incomplete")


def word_offsets(line: str) -> list[int]:
    return [match.start() for match in re.finditer(r"\S+", line)]


_PIPE = re.compile(
    r"\s*\|\s*(?=(?:include|inc|i|exclude|exc|e|begin|b|section|s|count|match|except|grep"
    r"|head|wc|no-more|display)\b)"
)


def split_pipe(line: str) -> tuple[str, list[str]]:
    """``cmd | include a|b | count``: pipes start at a filter keyword, so a ``|`` inside a
    regular expression stays part of it."""
    parts = _PIPE.split(line)
    return parts[0].strip(), [part.strip() for part in parts[1:] if part.strip()]


class FilterError(Exception):
    pass


def apply_filters(output: str, filters: list[str], family: str) -> str:
    for spec in filters:
        words = spec.split(None, 1)
        verb = words[0].lower()
        argument = words[1] if len(words) > 1 else ""
        lines = output.splitlines()
        if verb in ("include", "inc", "i", "match", "grep") and argument:
            if family == "linux" and argument.startswith("-v "):
                pattern = re.compile(argument[3:].strip())
                lines = [line for line in lines if not pattern.search(line)]
            else:
                pattern = _pattern(argument)
                lines = [line for line in lines if pattern.search(line)]
        elif verb in ("exclude", "exc", "e", "except") and argument:
            pattern = _pattern(argument)
            lines = [line for line in lines if not pattern.search(line)]
        elif verb in ("begin", "b") and argument:
            pattern = _pattern(argument)
            for start, line in enumerate(lines):
                if pattern.search(line):
                    lines = lines[start:]
                    break
            else:
                lines = []
        elif verb in ("section", "s") and argument:
            pattern = _pattern(argument)
            kept: list[str] = []
            keep = False
            for line in lines:
                if line and not line.startswith(" "):
                    keep = bool(pattern.search(line))
                if keep and line != "!":
                    kept.append(line)
            lines = kept
        elif verb == "count":
            return f"Count: {len(lines)} lines\n"
        elif verb in ("no-more", "display") and family == "junos":
            continue
        elif verb == "head":
            count = int(argument.lstrip("-n ") or 10) if argument else 10
            lines = lines[:count]
        elif verb == "wc":
            return f"{len(lines)}\n"
        else:
            raise FilterError(spec)
        output = "\n".join(lines) + ("\n" if lines else "")
    return output


def _pattern(text: str) -> re.Pattern[str]:
    text = text.strip().strip('"')
    try:
        return re.compile(text)
    except re.error:
        return re.compile(re.escape(text))

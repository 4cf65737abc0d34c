"""Reading a long command's output as it arrives, on an interactive CLI session (detached
tasks): the command's echo and the trailing prompt are not output, everything between is
handed on at once, chunk by chunk."""

from __future__ import annotations

import re
from collections.abc import Callable

Sink = Callable[[str], None]


class StreamedOutput:
    """Fed the raw text a CLI session reads after a command was sent; ``done`` once the
    prompt is back (``prompt``: the session's prompt pattern, matched on the last line).
    A partial last line that may be the start of the prompt is held back until it is
    known; any other text goes to ``sink`` as soon as it is read."""

    def __init__(self, command: str, base_prompt: str, prompt: re.Pattern[str], sink: Sink) -> None:
        self.command = command.strip()
        self.base_prompt = base_prompt
        self.prompt = prompt
        self.sink = sink
        self.echo_seen = False
        self.pending = ""  # read but not handed on yet
        self.done = False
        self.last_prompt = ""
        self.characters = 0  # handed on so far

    def feed(self, raw: str) -> None:
        if self.done or not raw:
            return
        self.pending += raw.replace("\r\n", "\n").replace("\r", "")
        if not self.echo_seen:
            if "\n" not in self.pending:
                return
            first, rest = self.pending.split("\n", 1)
            self.echo_seen = True
            self.pending = rest if self.command in first else self.pending
        head, _, tail = self.pending.rpartition("\n")
        if self.prompt.fullmatch(tail):
            self.done, self.last_prompt = True, tail.strip()
            self._emit(head + "\n" if head else "")
            self.pending = ""
            return
        if self._may_be_prompt(tail):
            self._emit(head + "\n" if head or self.pending.startswith("\n") else "")
            self.pending = tail
        else:
            self._emit(self.pending)
            self.pending = ""

    def _may_be_prompt(self, tail: str) -> bool:
        if not tail:
            return False
        return tail.startswith(self.base_prompt) or self.base_prompt.startswith(tail)

    def _emit(self, text: str) -> None:
        if text:
            self.characters += len(text)
            self.sink(text)

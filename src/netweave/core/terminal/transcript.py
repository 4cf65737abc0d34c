"""What the user typed in a terminal, as readable lines, for the audit.

Keystrokes are replayed through a small line editor (backspace, Ctrl-U, Ctrl-C, escape
sequences dropped), so the transcript reads like the commands that were entered. A line
typed while the device shows a password prompt is recorded as ``[hidden input]``, never
its characters; the stored secrets of the credential are masked if they appear anyway
(typed at a prompt that did not look like one). The transcript is capped in size."""

from __future__ import annotations

import re
from collections.abc import Iterable

HIDDEN = "[hidden input]"
MASK = "***"
TRUNCATED = "[transcript truncated]"
_PROMPT_TAIL = 256
_MIN_MASKED = 4  # shorter "secrets" would mask ordinary words
_SECRET_PROMPT = re.compile(
    r"\b(password|passphrase|passcode|secret|pin|verification code)\b[^\n]{0,40}:\s*$",
    re.IGNORECASE,
)
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-_])")


class Transcript:
    def __init__(self, limit: int, secrets: Iterable[str | None] = ()) -> None:
        self.limit = limit
        self.secrets = sorted(
            {s for s in secrets if s and len(s) >= _MIN_MASKED}, key=len, reverse=True
        )
        self.lines: list[str] = []
        self.size = 0
        self.truncated = False
        self.line = ""
        self.line_secret = False
        self.tail = ""  # the device's last output line, escape sequences removed
        self.escape = ""  # an escape sequence being typed (arrow keys...)
        self.after_cr = False

    # -- the device's side: is it asking for a password? ---------------------------------
    def device_output(self, data: bytes) -> None:
        text = _ANSI.sub("", self.tail + data.decode(errors="replace"))
        self.tail = text.rsplit("\n", 1)[-1][-_PROMPT_TAIL:]

    @property
    def at_secret_prompt(self) -> bool:
        return bool(_SECRET_PROMPT.search(self.tail))

    # -- the user's side ------------------------------------------------------------------
    def user_input(self, data: bytes) -> None:
        for char in data.decode(errors="replace"):
            self._key(char)

    def _key(self, char: str) -> None:
        if self.escape:
            self.escape += char
            if self._escape_done():
                self.escape = ""
            return
        if char == "\x1b":
            self.escape = char
        elif char == "\n" and self.after_cr:
            pass  # CR LF: one Enter
        elif char in "\r\n":
            self._enter()
        elif char in ("\x7f", "\x08"):
            self.line = self.line[:-1]
        elif char == "\x15":  # Ctrl-U
            self.line = ""
        elif char == "\x03":  # Ctrl-C
            self._emit(("" if self.line_secret else self.line) + "^C")
            self._reset_line()
        elif char == "\x04" and not self.line:  # Ctrl-D
            self._emit("^D")
        elif char >= " " or char == "\t":
            if not self.line and self.at_secret_prompt:
                self.line_secret = True
            self.line += char
        self.after_cr = char == "\r"

    def _escape_done(self) -> bool:
        body = self.escape[1:]
        if not body:
            return False
        if body[0] == "[":  # CSI: parameters then one final byte
            return len(body) > 1 and "@" <= body[-1] <= "~"
        if body[0] in "]P":  # OSC / DCS: until BEL or ST
            return body.endswith(("\x07", "\x1b\\")) or len(body) > 256
        if body[0] == "O":  # SS3 (application cursor keys): one more byte
            return len(body) > 1
        return True

    def _enter(self) -> None:
        self._emit(HIDDEN if self.line_secret and self.line else self.line)
        self._reset_line()
        self.tail = ""  # what comes next is judged on the device's next output

    def _reset_line(self) -> None:
        self.line = ""
        self.line_secret = False

    def _emit(self, line: str) -> None:
        if self.truncated:
            return
        if self.size + len(line) + 1 > self.limit:
            self.truncated = True
            return
        self.lines.append(line)
        self.size += len(line) + 1

    # -- the record -----------------------------------------------------------------------
    def text(self) -> str:
        lines = list(self.lines)
        if self.line and not self.line_secret and not self.truncated:
            pending = self.line
            if self.size + len(pending) <= self.limit:
                lines.append(pending)  # typed, never entered
        text = "\n".join(lines)
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        if self.truncated:
            text += ("\n" if text else "") + TRUNCATED
        return text

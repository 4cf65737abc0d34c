"""A command that asks questions, answered over a pooled Netmiko session (eNMS's "netmiko
prompts"): send the command, wait for each expected question, answer it, and after the last
answer wait for the device's prompt again — or for the session to end, for a ``reload``.

Each wait also watches for the device's own prompt: a question that does not come (the
device did the work without asking, or refused the command) is noticed at once, not after
the read timeout, and leaves the session at its prompt, fit for the next job. A session
left anywhere else (a question unanswered, a read that timed out, a reload) is marked
broken so the pool discards it."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from netmiko.exceptions import NetmikoTimeoutException, ReadTimeout

from netweave.drivers.failures import PhaseClock
from netweave.drivers.netmiko_driver import NetmikoSession, prompt_pattern


@dataclass
class Exchange:
    expect: str  # a regular expression (checked for backtracking by the caller)
    answer: str  # sent followed by Enter ("" sends Enter alone)


@dataclass
class Dialogue:
    command: str
    steps: list[dict[str, Any]] = field(default_factory=list)
    output: str = ""  # what the device printed after the last answer
    completed: bool = False  # every question came and was answered
    disconnected: bool = False  # the device closed the session (after the last answer)
    error: str | None = None
    duration_seconds: float = 0.0

    @property
    def transcript(self) -> str:
        parts: list[str] = []  # the device echoes the command: the first output has it
        for step in self.steps:
            parts.append(step["output"])
            if step["answer"] is not None:
                parts.append(f"<answer: {step['answer']!r}>")
        parts.append(self.output)
        return "\n".join(part for part in parts if part)


def _clean(text: str) -> str:
    return str(text).replace("\r\n", "\n").replace("\r", "")


def converse(
    session: NetmikoSession,
    command: str,
    exchanges: list[Exchange],
    read_timeout: float,
    expect_disconnect: bool = False,
) -> Dialogue:
    """Run ``command`` and answer its questions on ``session`` (in privileged EXEC when
    the session has an enable secret: copy, delete and reload need it)."""
    started = time.perf_counter()
    dialogue = Dialogue(command)
    conn = session.connection
    if session.args.secret is not None:
        session.run_commands([], {"enable_mode": True})  # enters enable mode once
    prompt = prompt_pattern(conn, flags=False)
    clock = PhaseClock(f"{session.args.host}:{session.args.port}", f"running {command!r}")
    try:
        conn.clear_buffer()
        conn.write_channel(command + conn.RETURN)
        for exchange in exchanges:
            text = _clean(
                conn.read_until_pattern(
                    pattern=f"(?:{exchange.expect})|(?:{prompt})",
                    re_flags=re.M,
                    read_timeout=read_timeout,
                )
            )
            asked = re.search(exchange.expect, text, re.M)
            back = re.search(prompt, text, re.M)
            if asked is None or (back is not None and back.start() < asked.start()):
                dialogue.steps.append(
                    {"expect": exchange.expect, "seen": None, "output": text, "answer": None}
                )
                dialogue.error = (
                    f"the device did not ask {exchange.expect!r}: it answered and "
                    "went back to its prompt"
                )
                session.last_prompt = back.group(0).strip() if back else session.last_prompt
                return _done(dialogue, started)
            text += _clean(conn.read_channel())  # the rest of the question's line
            line_start = text.rfind("\n", 0, asked.start()) + 1
            line_end = text.find("\n", asked.end())
            seen = text[line_start : line_end if line_end >= 0 else len(text)].strip()
            dialogue.steps.append(
                {"expect": exchange.expect, "seen": seen, "output": text, "answer": exchange.answer}
            )
            conn.write_channel(exchange.answer + conn.RETURN)
        dialogue.completed = True
        try:
            final = _clean(
                conn.read_until_pattern(pattern=prompt, re_flags=re.M, read_timeout=read_timeout)
            )
        except (EOFError, OSError):
            if not expect_disconnect:
                raise
            session.broken = True  # gone: the pool replaces it
            dialogue.disconnected = True
            return _done(dialogue, started)
        dialogue.output = final
        session.last_prompt = final.rstrip().rsplit("\n", 1)[-1].strip()
        if expect_disconnect:
            dialogue.error = "the device did not close the session after the last answer"
    except ReadTimeout:
        session.broken = True  # somewhere in a question: never handed to another job
        waited = "the prompt" if dialogue.completed else "the next question or the prompt"
        dialogue.error = f"{waited} did not come within {read_timeout:g} s (read_timeout)"
    except (EOFError, OSError, NetmikoTimeoutException) as exc:
        session.broken = True
        raise clock.error(exc) from exc
    return _done(dialogue, started)


def _done(dialogue: Dialogue, started: float) -> Dialogue:
    dialogue.duration_seconds = time.perf_counter() - started
    return dialogue

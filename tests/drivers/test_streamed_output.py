"""Reading a long command's output as it arrives: echo and trailing prompt are not output,
and a prompt split across reads is recognised."""

from __future__ import annotations

import re

from netweave.drivers.streaming import StreamedOutput

PROMPT = re.compile(r"^r1[^\n]*[>#$%]\s*$")


def test_echo_and_prompt_are_dropped_and_output_flows_as_read() -> None:
    out: list[str] = []
    reader = StreamedOutput("ping 1.1.1.1 repeat 3", "r1", PROMPT, out.append)
    reader.feed("ping 1.1.1.1 rep")
    assert out == []  # the echo is not known to be complete yet
    reader.feed("eat 3\r\nSending 3:\r\n!")
    assert "".join(out) == "Sending 3:\n!"  # a partial line that cannot be the prompt flows
    reader.feed("!!\r\nSuccess rate is 100 percent (3/3)\r\nr")
    assert not reader.done and "".join(out).endswith("(3/3)\n")  # "r" may start the prompt
    reader.feed("1#")
    assert reader.done and reader.last_prompt == "r1#"
    assert "".join(out) == "Sending 3:\n!!!\nSuccess rate is 100 percent (3/3)\n"
    reader.feed("ignored after the prompt")
    assert reader.characters == len("".join(out))


def test_a_line_starting_like_the_prompt_is_output_once_it_ends() -> None:
    out: list[str] = []
    reader = StreamedOutput("show x", "r1", PROMPT, out.append)
    reader.feed("show x\nr1 uptime")
    assert out == []
    reader.feed(" is 1 day\nr1>")
    assert reader.done and "".join(out) == "r1 uptime is 1 day\n"

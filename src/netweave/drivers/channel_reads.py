"""Reads on a Netmiko SSH channel that wait for the device instead of sleeping.

Netmiko's ``send_command`` sleeps 25 ms between reads (and its echo read 10 ms), so a warm
command costs ~36 ms however fast the device answers; the lab answers ``show clock`` in
~0.5 ms. Here the same steps run (normalise the command, write it, read up to its echo,
the first-line repaint check, read until the pattern, Netmiko's own sanitising), but each
read first waits on the channel's readiness (``poll`` on Paramiko's channel pipe), so the
answer is taken the moment it arrives. Reads still go through Netmiko's ``read_channel``
(line-feed normalising, ANSI stripping, its lock), so the text is the text Netmiko returns.
"""

from __future__ import annotations

import re
import select
import time
from collections import deque
from typing import Any

from netmiko import BaseConnection
from netmiko.exceptions import ReadTimeout
from paramiko import Channel

MAX_SEARCHED = 2_000_000  # past this, only the last reads are searched (as Netmiko does)
RECENT_READS = 20
ECHO_TIMEOUT = 10.0  # Netmiko's wait for the command echo
FAST_OPTIONS = frozenset({"strip_command"})  # library options this path honours itself


def waits_on_channel(connection: BaseConnection, library: dict[str, Any]) -> bool:
    """True when a command can take the waiting path: an SSH (Paramiko) channel and no
    Netmiko option this path does not reproduce (``delay_factor``, ``cmd_verify`` ...)."""
    return (
        isinstance(getattr(connection, "remote_conn", None), Channel)
        and set(library) <= FAST_OPTIONS
    )


def wait_readable(connection: BaseConnection, timeout: float) -> bool:
    """Block until the channel has data (or is closed), at most ``timeout`` seconds."""
    channel: Channel = connection.remote_conn
    if channel.recv_ready() or channel.closed or channel.eof_received:
        return True
    poller = select.poll()  # not select(): a busy worker holds more than 1,024 descriptors
    poller.register(channel.fileno(), select.POLLIN)
    return bool(poller.poll(max(timeout, 0.0) * 1000))


def read_until(connection: BaseConnection, pattern: str, deadline: float, output: str = "") -> str:
    """Read until ``pattern`` is found in what was read (Netmiko's search: the whole text
    up to 2 million characters, then the last 20 reads); ReadTimeout at ``deadline``."""
    recent: deque[str] = deque([output] if output else [], maxlen=RECENT_READS)
    while not _found(pattern, output, recent):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ReadTimeout(f"Pattern not detected: {pattern!r} in output.")
        if wait_readable(connection, remaining):
            new_data = connection.read_channel()
            if new_data:
                output += new_data
                recent.append(new_data)
            elif _hung_up(connection.remote_conn):
                raise EOFError("the device closed the session")
    return output


def _hung_up(channel: Channel) -> bool:
    """Closed, or at end of input with nothing left to read: no prompt will ever come."""
    return (channel.closed or channel.eof_received) and not channel.recv_ready()


def _found(pattern: str, output: str, recent: deque[str]) -> bool:
    if not output:
        return False
    text = output if len(output) <= MAX_SEARCHED else "".join(recent)
    return re.search(pattern, text) is not None


def send_command(
    connection: BaseConnection,
    command: str,
    pattern: str,
    read_timeout: float,
    strip_command: bool = True,
) -> str:
    """``connection.send_command(command, expect_string=pattern, strip_prompt=False)``
    with waiting reads; the trailing prompt is kept (the caller reads the mode from it)."""
    command_string = connection.normalize_cmd(command)
    started = time.monotonic()
    deadline = started + read_timeout
    connection.write_channel(command_string)
    cmd = command_string.strip()
    output = ""
    if cmd:  # read up to the echo, so an old prompt still in the buffer is not taken
        output = read_until(connection, re.escape(cmd), min(deadline, started + ECHO_TIMEOUT))
        parts = output.split(cmd)
        if len(parts) == 2:  # drop prompts echoed before the command, as Netmiko does
            output = f"{cmd}{parts[-1]}"
        output, _ = connection._first_line_handler(output, pattern)
    output = read_until(connection, pattern, deadline, output)
    return str(
        connection._sanitize_output(
            output, strip_command=strip_command, command_string=command_string
        )
    )

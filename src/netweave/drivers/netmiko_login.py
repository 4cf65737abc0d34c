"""Session preparation as data, for the platforms whose Netmiko preparation is "wait for the
prompt, send a few terminal settings, take the prompt": the same steps with waiting reads.

Netmiko prepares a session with fixed sleeps (0.1 s before anything, then prompt searches
that clear the buffer with back-off): ~170 ms per login on a device that answers in 1 ms,
which is most of a cold bulk's time. Here each step reads until the device's prompt is
back, so a login costs the SSH handshake plus one round trip per setting. Platforms not
listed keep Netmiko's own preparation."""

from __future__ import annotations

import re
import time

from netmiko import BaseConnection

from netweave.drivers import channel_reads
from netweave.drivers.platforms import Preparation
from netweave.drivers.platforms import platform as added_platform

_IOS = Preparation(r"[>#]", ("terminal width 511", "terminal length 0"))
PREPARATIONS: dict[str, Preparation] = {
    "cisco_ios": _IOS,
    "cisco_xe": _IOS,
    "arista_eos": Preparation(
        r"[$>#]", ("terminal width 511", "terminal length 0"), ansi_escape_codes=True
    ),
}


def preparation(device_type: str) -> Preparation | None:
    added = added_platform(device_type)
    if added is not None:
        return added.preparation
    return PREPARATIONS.get(device_type)


def open_prepared(connection: BaseConnection, steps: Preparation, timeout: float) -> str:
    """Log in (Netmiko's own SSH connection: host keys, algorithms, the jump host's
    socket) and prepare the session by ``steps``; the prompt it ends on (its base state)."""
    connection._modify_connection_params()
    connection.establish_connection()
    try:
        deadline = time.monotonic() + timeout
        if steps.ansi_escape_codes:
            connection.ansi_escape_codes = True
        connection.write_channel(connection.RETURN)  # some devices print nothing before it
        output = channel_reads.read_until(connection, rf"{steps.first_prompt}\s*$", deadline)
        prompt = _last_line(output)
        connection.base_prompt = prompt[:-1] or prompt  # as Netmiko's set_base_prompt
        for command in steps.commands:
            remaining = max(deadline - time.monotonic(), 0.001)
            output = channel_reads.send_command(
                connection, command, prompt_pattern(connection), remaining
            )
            prompt = _last_line(output)
        return prompt
    except Exception:
        connection.disconnect()
        raise


def prompt_pattern(connection: BaseConnection, flags: bool = True) -> str:
    """A line that starts with the device's base prompt and ends with a prompt character."""
    base = re.escape(connection.base_prompt)
    return ("(?m)" if flags else "") + rf"^{base}[^\n]*[>#$%]\s*$"


def _last_line(output: str) -> str:
    lines = [line.strip() for line in output.replace("\r", "").split("\n")]
    return next((line for line in reversed(lines) if line), "")

"""FRRouting's vtysh as a Netmiko platform (``frr``): the login lands in vtysh, already
privileged (``r1#``); ``configure terminal``/``end``; ``write memory`` saves the integrated
``frr.conf``; every rejected line starts with ``%`` (``% Unknown command: ...``,
``% Command incomplete: ...``, ``% Malformed address``...)."""

from __future__ import annotations

import re
from typing import Any

from netmiko.cisco_base_connection import CiscoBaseConnection

from netweave.drivers.platforms import NetmikoPlatform, Preparation


class FrrVtyshSSH(CiscoBaseConnection):
    def session_preparation(self) -> None:
        self._test_channel_read(pattern=r"[>#]")
        self.set_base_prompt()
        self.disable_paging(command="terminal length 0")

    def check_enable_mode(self, check_string: str = "#") -> bool:
        return super().check_enable_mode(check_string=check_string)

    def check_config_mode(
        self, check_string: str = ")#", pattern: str = r"#\s*$", force_regex: bool = False
    ) -> bool:
        # read up to the prompt, not for a fixed delay (Netmiko's default: ~2 s per check)
        return super().check_config_mode(check_string, pattern, force_regex)

    def strip_command(self, command_string: str, output: str) -> str:
        """Netmiko strips the echo only when the output starts with it; a prompt can come
        before it (``r1# show ...``: vtysh's late answer to an earlier newline, on a loaded
        machine), after blank lines: strip that line too."""
        lines = output.split(self.RESPONSE_RETURN)
        first = next((i for i, line in enumerate(lines) if line.strip()), None)
        command = command_string.strip()
        if first is not None and command and lines[first].strip().endswith(command):
            before = lines[first].strip()[: -len(command)].strip()
            if re.fullmatch(rf"{re.escape(self.base_prompt)}\S*[>#]", before):
                return self.RESPONSE_RETURN.join(lines[first + 1 :])
        return str(super().strip_command(command_string, output))

    def enable(self, *args: Any, **kwargs: Any) -> str:
        return ""  # vtysh starts privileged; it has no enable password

    def exit_enable_mode(self, *args: Any, **kwargs: Any) -> str:
        return ""

    def config_mode(
        self, config_command: str = "configure terminal", pattern: str = "", re_flags: int = 0
    ) -> str:
        return super().config_mode(
            config_command=config_command, pattern=pattern, re_flags=re_flags
        )

    def save_config(
        self, cmd: str = "write memory", confirm: bool = False, confirm_response: str = ""
    ) -> str:
        return self._send_command_str(cmd, expect_string=r"\[OK\]|#", read_timeout=30)


PLATFORM = NetmikoPlatform(
    device_type="frr",
    connection_class=FrrVtyshSSH,
    error_pattern=r"^% ?(Unknown command|Command incomplete|Ambiguous command|Invalid|Malformed"
    r"|Can't|Cannot|Specified|There is no|Configuration failed|No such|Please specify)",
    preparation=Preparation(r"[>#]", ("terminal length 0",)),  # as session_preparation above
)

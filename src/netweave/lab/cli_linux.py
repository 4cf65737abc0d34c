"""A small Linux shell: enough for scripts that run uname, ip and cat over SSH."""

from __future__ import annotations

from datetime import UTC, datetime

from netweave.lab.cli_common import FilterError, Reply, apply_filters
from netweave.lab.platforms import PlatformProfile, interface_address, mac_address


class LinuxShell:
    def __init__(
        self, profile: PlatformProfile, hostname: str, index: int, boot: datetime, username: str
    ) -> None:
        self.profile = profile
        self.hostname = hostname
        self.index = index
        self.boot = boot
        self.username = username

    def prompt(self) -> str:
        marker = "#" if self.username == "root" else "$"
        return f"{self.username}@{self.hostname}:~{marker} "

    def handle(self, line: str) -> Reply:
        stripped = line.strip()
        if not stripped:
            return Reply()
        return self._run(stripped)

    def run_exec(self, command: str) -> Reply:
        return self._run(command.strip())

    def _run(self, stripped: str) -> Reply:
        command, *filters = [part.strip() for part in stripped.split("|")]
        words = command.split()
        program = words[0]
        args = words[1:]
        output = self._program(program, args, command)
        if output is None:
            return Reply(f"-bash: {program}: command not found\n", exit_status=127)
        if isinstance(output, Reply):
            return output
        if filters:
            try:
                output = apply_filters(output, filters, "linux")
            except FilterError:
                return Reply(
                    f"-bash: {filters[0].split()[0]}: command not found\n", exit_status=127
                )
        return Reply(output)

    def _program(self, program: str, args: list[str], command: str) -> str | Reply | None:
        if program in ("exit", "logout"):
            return Reply(close=True)
        if program == "hostname":
            return self.hostname + "\n"
        if program == "whoami":
            return self.username + "\n"
        if program == "id":
            return f"uid=1000({self.username}) gid=1000({self.username}) groups=1000({self.username})\n"
        if program == "pwd":
            return f"/home/{self.username}\n"
        if program == "echo":
            return " ".join(args) + "\n"
        if program == "true":
            return ""
        if program == "false":
            return Reply(exit_status=1)
        if program == "date":
            return datetime.now(UTC).strftime("%a %b %d %H:%M:%S UTC %Y\n")
        if program == "uname":
            full = f"Linux {self.hostname} 6.1.0-27-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1 (2024-11-01) x86_64 GNU/Linux"
            if not args:
                return "Linux\n"
            if "-a" in args:
                return full + "\n"
            if "-r" in args:
                return "6.1.0-27-amd64\n"
            if "-n" in args:
                return self.hostname + "\n"
            return "Linux\n"
        if program == "uptime":
            minutes = int((datetime.now(UTC) - self.boot).total_seconds() // 60)
            return f" {datetime.now(UTC):%H:%M:%S} up {minutes} min,  1 user,  load average: 0.00, 0.01, 0.05\n"
        if program == "cat":
            return self._cat(args)
        if program == "ip":
            return self._ip(args)
        if program == "ls":
            return "notes.txt\n"
        return None

    def _cat(self, args: list[str]) -> str | Reply:
        files = {
            "/etc/hostname": self.hostname + "\n",
            "/etc/os-release": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
            'VERSION_ID="12"\nVERSION="12 (bookworm)"\nID=debian\n',
            "notes.txt": "simulated by netweave lab\n",
        }
        if not args or args[0] not in files:
            name = args[0] if args else ""
            return Reply(f"cat: {name}: No such file or directory\n", exit_status=1)
        return files[args[0]]

    def _ip(self, args: list[str]) -> str | Reply:
        sub = next((a for a in args if not a.startswith("-")), "")
        if sub in ("a", "addr", "address"):
            lines = [
                "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN",
                "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00",
                "    inet 127.0.0.1/8 scope host lo",
            ]
            for port, name in enumerate(self.profile.interfaces):
                address, length = interface_address(self.index, port)
                mac = mac_address(self.index, port).replace(".", "")
                colon = ":".join(mac[i : i + 2] for i in range(0, 12, 2))
                lines += [
                    f"{port + 2}: {name}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP",
                    f"    link/ether {colon} brd ff:ff:ff:ff:ff:ff",
                    f"    inet {address}/{length} brd {address.rsplit('.', 1)[0]}.255 scope global {name}",
                ]
            return "\n".join(lines) + "\n"
        if sub in ("r", "route"):
            address, length = interface_address(self.index, 0)
            network = address.rsplit(".", 1)[0] + ".0"
            return (
                "default via 10.1.0.254 dev eth0\n"
                f"{network}/{length} dev eth0 proto kernel scope link src {address}\n"
            )
        return Reply(f'Object "{sub}" is unknown, try "ip help".\n', exit_status=1)

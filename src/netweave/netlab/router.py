"""One real router: its namespace, its FRR daemons (zebra, staticd, ospfd, bgpd), its OpenSSH
daemon (``nwfrr`` lands in vtysh, ``nwhost`` in a shell) and its lldpd, all started in the
router's network namespace and with the router's name as hostname (a UTS namespace of its
own), as files under the router's state directory."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from netweave.netlab.host import SHELL_USER, VTYSH_USER, HostError, run
from netweave.netlab.topology import PlannedRouter

FRR = Path("/usr/lib/frr")
DAEMONS = ("zebra", "staticd", "ospfd", "bgpd")
VTYSH = "/usr/bin/vtysh"
SSHD = "/usr/sbin/sshd"
LLDPD = "/usr/sbin/lldpd"
LLDPCLI = "/usr/sbin/lldpcli"


class Router:
    def __init__(self, plan: PlannedRouter, lab_id: str, directory: Path, address: str) -> None:
        self.plan = plan
        self.name = plan.name
        self.namespace = f"nwl-{lab_id}-{plan.name}"
        self.directory = directory
        self.address = address  # management address: where its sshd listens
        self.processes: list[subprocess.Popen[bytes]] = []

    # -- inside the namespace ------------------------------------------------------------
    def argv(self, *command: str) -> list[str]:
        """``command`` in this router's namespace, with its hostname."""
        script = f"hostname {shlex.quote(self.name)} && exec {shlex.join(command)}"
        return ["ip", "netns", "exec", self.namespace, "unshare", "--uts", "sh", "-c", script]

    def vtysh(self, *commands: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        """vtysh on this router from the host (as root), each command a ``-c``; in the
        router's namespaces, as its login does (vtysh names itself after the host name)."""
        argv = [VTYSH, "--vty_socket", str(self.directory), "--config_dir", str(self.directory)]
        for command in commands:
            argv += ["-c", command]
        return run(*self.argv(*argv), check=check)

    def ip(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run("ip", "-n", self.namespace, *args, check=check)

    # -- files ---------------------------------------------------------------------------
    def write_files(self, frr_conf: str) -> None:
        directory = self.directory
        directory.mkdir(parents=True)
        shutil.chown(directory, "frr", "frrvty")
        directory.chmod(0o2775)
        own = {
            "frr.conf": (frr_conf, 0o664),
            "vtysh.conf": ("service integrated-vtysh-config\n", 0o664),
        }
        for name, (text, mode) in own.items():
            path = directory / name
            path.write_text(text)
            shutil.chown(path, "frr", "frrvty")
            path.chmod(mode)
        vtysh = f"{VTYSH} --vty_socket {directory} --config_dir {directory}"
        self._script(
            "vtysh-login",
            # an exec request (ssh r1 'show version') runs one command; a shell is vtysh
            'if [ -n "$SSH_ORIGINAL_COMMAND" ]; then\n'
            f'  exec {vtysh} -c "$SSH_ORIGINAL_COMMAND"\nfi\n'
            f"exec {vtysh}\n",
        )
        tools = directory / "bin"
        tools.mkdir()
        tools.chmod(0o755)
        lldpcli = tools / "lldpcli"
        # the lab's own unprivileged copy of lldpcli (network.py): Debian's is setuid _lldpd
        # and runs for group adm only, which a lab account must not get
        copy = directory.parent / "lldpcli"
        lldpcli.write_text(f'#!/bin/sh\nexec {copy} -u {directory}/lldpd.socket "$@"\n')
        lldpcli.chmod(0o755)
        (tools / "lldpctl").symlink_to(lldpcli)
        # read by lldpd at start, before its first frame: a tx-interval set only afterwards
        # leaves a first frame lost to a neighbour not yet listening unsent again for 30 s
        # and a neighbour is kept 30 s (tx-hold 30), not 4: a loaded machine that delays a
        # frame a few seconds must not make a neighbour vanish from `show neighbors`
        (directory / "lldpd.conf").write_text(
            "configure lldp tx-interval 1\nconfigure lldp tx-hold 30\n"
        )
        self._script(
            "shell-login",
            f"export PATH={tools}:/usr/local/bin:/usr/bin:/bin\n"
            'if [ -n "$SSH_ORIGINAL_COMMAND" ]; then exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"; fi\n'
            "exec /bin/bash -i\n",
        )
        key = directory / "ssh_host_ed25519_key"
        key.write_bytes(
            Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.OpenSSH,
                serialization.NoEncryption(),
            )
        )
        key.chmod(0o600)
        (directory / "sshd_config").write_text(
            "\n".join(
                [
                    f"ListenAddress {self.address}",
                    "Port 22",
                    f"HostKey {key}",
                    f"PidFile {directory}/sshd.pid",
                    "UsePAM no",
                    "PasswordAuthentication yes",
                    "KbdInteractiveAuthentication no",
                    "PubkeyAuthentication no",
                    f"AllowUsers {VTYSH_USER} {SHELL_USER}",
                    "PermitRootLogin no",
                    "AllowTcpForwarding no",
                    "X11Forwarding no",
                    "PrintMotd no",
                    "PrintLastLog no",
                    "MaxStartups 100:30:200",
                    "MaxSessions 20",
                    "LoginGraceTime 30",
                    f"Match User {VTYSH_USER}",
                    f"  ForceCommand {directory}/vtysh-login",
                    f"Match User {SHELL_USER}",
                    f"  ForceCommand {directory}/shell-login",
                    "",
                ]
            )
        )

    def _script(self, name: str, body: str) -> None:
        path = self.directory / name
        path.write_text("#!/bin/sh\n" + body)
        path.chmod(0o755)

    # -- processes -----------------------------------------------------------------------
    def start_frr(self) -> None:
        directory = self.directory
        for daemon in DAEMONS:
            argv = [
                str(FRR / daemon),
                "-d",
                "-f", "/dev/null",
                "-i", f"{directory}/{daemon}.pid",
                "-z", f"{directory}/zserv.api",
                "--vty_socket", str(directory),
                "-u", "frr",
                "-g", "frr",
                "--log", f"file:{directory}/{daemon}.start.log",
            ]  # fmt: skip
            if daemon == "bgpd":
                argv += ["-l", "0.0.0.0"]
            started = run(*self.argv(*argv), check=False)
            if started.returncode != 0:
                raise HostError(f"{self.name}: {daemon} did not start: {started.stderr.strip()}")
            self._wait_for(directory / f"{daemon}.vty", f"{daemon}'s vty socket")
        loaded = self.vtysh("configure terminal", "end")  # daemons answer
        booted = run(
            *self.argv(VTYSH, "--vty_socket", str(directory), "--config_dir", str(directory), "-b"),
            check=False,
        )
        if booted.returncode != 0 or loaded.returncode != 0:
            raise HostError(f"{self.name}: frr.conf did not load: {booted.stdout}{booted.stderr}")

    def start_sshd(self) -> None:
        log = self.directory / "sshd.log"
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
        self.processes.append(
            subprocess.Popen(
                self.argv(SSHD, "-D", "-f", str(self.directory / "sshd_config"), "-E", str(log)),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )

    def start_lldpd(self) -> None:
        socket_path = self.directory / "lldpd.socket"
        Path("/run/lldpd").mkdir(mode=0o755, exist_ok=True)  # lldpd's chroot
        self.processes.append(
            subprocess.Popen(
                self.argv(LLDPD, "-d", "-u", str(socket_path), "-I", "eth*", "-M", "4",
                          "-S", "FRRouting 8.4 (NetWeave lab)", "-m", self.address,
                          "-O", str(self.directory / "lldpd.conf")),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )  # fmt: skip

    def configure_lldpd(self) -> None:
        socket_path = self.directory / "lldpd.socket"
        self._wait_for(socket_path, "lldpd's socket")
        socket_path.chmod(0o666)  # this router's shell login asks it (lldpcli, unprivileged)

    def lldp_neighbors(self) -> int:
        """How many of this router's interfaces lldpd has a neighbour on."""
        answer = run(LLDPCLI, "-u", str(self.directory / "lldpd.socket"), "-f", "json0",
                     "show", "neighbors", check=False).stdout  # fmt: skip
        try:
            interfaces = json.loads(answer or "{}").get("lldp", [{}])[0].get("interface", [])
        except (ValueError, AttributeError, IndexError):
            return 0
        return len({entry.get("name") for entry in interfaces if isinstance(entry, dict)})

    def wait_ssh(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                probe.settimeout(0.5)
                if probe.connect_ex((self.address, 22)) == 0:
                    return
            for process in self.processes:
                if process.poll() is not None:
                    log = (self.directory / "sshd.log").read_text(errors="replace")
                    raise HostError(f"{self.name}: a daemon exited:\n{log[-2000:]}")
            time.sleep(0.05)
        raise HostError(f"{self.name}: sshd did not listen on {self.address}:22")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def pids(self) -> list[int]:
        listed = run("ip", "netns", "pids", self.namespace, check=False).stdout.split()
        return [int(pid) for pid in listed if pid.isdigit()]

    def rss_kib(self) -> int:
        total = 0
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total

    @staticmethod
    def _wait_for(path: Path, what: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not os.path.exists(path):
            if time.monotonic() > deadline:
                raise HostError(f"{what} did not appear at {path}")
            time.sleep(0.02)

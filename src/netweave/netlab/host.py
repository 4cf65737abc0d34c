"""The host side of a real lab: network namespaces and veth cables (iproute2), the two login
accounts every lab router's sshd accepts, the registry of running labs, and the reaper that
removes what a lab that died left behind (namespaces, the processes in them, its state)."""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import grp
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

PREFIX = "nwl-"  # every namespace a lab makes: nwl-<lab id>-<router>
REGISTRY = Path(os.environ.get("NETWEAVE_NETLAB_RUN", "/run/netweave-netlab"))
SECRET_FILE = Path(os.environ.get("NETWEAVE_NETLAB_SECRET", "/var/lib/netweave-netlab/secret"))
VTYSH_USER = "nwfrr"  # its login lands in vtysh
SHELL_USER = "nwhost"  # its login lands in a shell (Linux-host drivers, lldpcli)
CLONE_NEWNET = 0x40000000
REQUIRED = (
    "ip",
    "unshare",
    "/usr/lib/frr/zebra",
    "/usr/bin/vtysh",
    "/usr/sbin/sshd",
    "/usr/sbin/lldpd",
)


class HostError(RuntimeError):
    """The machine cannot run a real lab (not root, no namespaces, a package missing)."""


def missing_requirements() -> str | None:
    """Why this machine cannot run a real lab, or None."""
    if os.geteuid() != 0:
        return "a real lab makes network namespaces: run it as root"
    for tool in REQUIRED:
        if shutil.which(tool) is None and not os.path.exists(tool):
            return (
                f"{tool} is missing: run `bash scripts/ensure-netlab` "
                "(Debian's frr, lldpd, openssh-server)"
            )
    probe = f"{PREFIX}probe-{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"this machine forbids network namespaces: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def run(
    *argv: str, check: bool = True, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(list(argv), capture_output=True, text=True, input=input)
    if check and done.returncode != 0:
        raise HostError(f"{' '.join(argv)}: {done.stderr.strip() or done.stdout.strip()}")
    return done


def namespaces() -> list[str]:
    listed = run("ip", "-json", "netns", "list", check=False).stdout.strip()
    return [entry["name"] for entry in json.loads(listed or "[]")]


def pids_in(namespace: str) -> list[int]:
    listed = run("ip", "netns", "pids", namespace, check=False).stdout.split()
    return [int(pid) for pid in listed if pid.isdigit()]


def remove_namespace(namespace: str) -> None:
    """Kill every process in it, then delete it (its veths go with it)."""
    for attempt in range(50):
        pids = pids_in(namespace)
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM if attempt < 10 else signal.SIGKILL)
        time.sleep(0.05)
    run("ip", "netns", "del", namespace, check=False)


@contextlib.contextmanager
def host_lock() -> Iterator[None]:
    """One lab at a time allocates its management network and registers."""
    REGISTRY.mkdir(parents=True, exist_ok=True)
    with open(REGISTRY / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def register(lab_id: str, state_dir: Path, management: str) -> None:
    entry = {
        "id": lab_id,
        "pid": os.getpid(),
        "state_dir": str(state_dir),
        "management": management,
    }
    (REGISTRY / f"{lab_id}.json").write_text(json.dumps(entry))


def registered() -> list[dict[str, str | int]]:
    found = []
    for path in sorted(REGISTRY.glob("*.json")) if REGISTRY.exists() else []:
        with contextlib.suppress(OSError, ValueError):
            found.append(json.loads(path.read_text()))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def uplink(lab_id: str) -> str:
    """The host's end of lab ``lab_id``'s management network (a veth)."""
    return f"nwl{lab_id}"


def remove_lab(lab_id: str) -> list[str]:
    """Everything lab ``lab_id`` made: its namespaces (with their processes), the host's end
    of its management network, its state. The veth is deleted here, at once: left to go
    with its namespace, it goes when the kernel gets round to that namespace's clean-up."""
    run("ip", "link", "del", uplink(lab_id), check=False)
    removed = [ns for ns in namespaces() if ns.startswith(f"{PREFIX}{lab_id}-")]
    for namespace in removed:
        remove_namespace(namespace)
    entry = REGISTRY / f"{lab_id}.json"
    with contextlib.suppress(OSError, ValueError):
        state = Path(json.loads(entry.read_text())["state_dir"])
        shutil.rmtree(state, ignore_errors=True)
    entry.unlink(missing_ok=True)
    return removed


def reap_stale() -> list[str]:
    """Labs whose owning process is gone (killed, crashed): removed. Namespaces named like a
    lab's but in no registry entry (the entry was lost) go too, unless a live lab owns them."""
    live = {str(e["id"]) for e in registered() if _alive(int(e["pid"]))}
    removed: list[str] = []
    for entry in registered():
        if str(entry["id"]) not in live:
            removed += remove_lab(str(entry["id"]))
    for namespace in namespaces():
        if namespace.startswith(PREFIX) and namespace.split("-")[1] not in live:
            run("ip", "link", "del", uplink(namespace.split("-")[1]), check=False)
            remove_namespace(namespace)
            removed.append(namespace)
    return removed


def free_management_network(taken: set[str]) -> int:
    """The third byte of a 198.19.X.0/24 no running lab uses."""
    for third in range(1, 255):
        if str(third) not in taken:
            return third
    raise HostError("every management network of 198.19.0.0/16 is in use: take labs down")


def lab_password() -> str:
    """The lab accounts' password: made once per machine, kept root-only."""
    if SECRET_FILE.exists():
        return SECRET_FILE.read_text().strip()
    SECRET_FILE.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    password = secrets.token_urlsafe(18)
    descriptor = os.open(SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(password + "\n")
    return password


def _account_exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
    except KeyError:
        return False
    return True


def ensure_accounts(password: str) -> None:
    """``nwfrr`` (member of frrvty, for vtysh) and ``nwhost`` (no extra group: the lab's
    own copy of lldpcli reaches its lldpd's socket without Debian's setuid/adm); made once,
    no home."""
    for user, groups in ((VTYSH_USER, "frrvty"), (SHELL_USER, "")):
        if not _account_exists(user):
            argv = ["useradd", "--no-create-home", "--shell", "/bin/sh", user]
            if groups:
                argv[1:1] = ["--groups", groups]
            made = run(*argv, check=False)
            if made.returncode not in (0, 9):  # 9: made meanwhile by another lab
                raise HostError(f"useradd {user}: {made.stderr.strip()}")
        if user == SHELL_USER and user in grp.getgrnam("adm").gr_mem:  # an older lab's grant
            run("gpasswd", "--delete", user, "adm", check=False)
        for _ in range(50):  # /etc/shadow is locked while another process writes it
            if run("chpasswd", input=f"{user}:{password}\n", check=False).returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise HostError(f"chpasswd {user} failed")


_libc = ctypes.CDLL(None, use_errno=True)
_setns_lock = threading.Lock()


def socket_in(namespace: str, family: int, kind: int) -> int:
    """A socket (its file descriptor) made inside ``namespace``: it stays there after this
    thread returns to the host's namespace."""
    import socket

    with _setns_lock:
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(f"/var/run/netns/{namespace}", os.O_RDONLY)
        try:
            if _libc.setns(target, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), f"setns into {namespace}")
            try:
                made = socket.socket(family, kind)
            finally:
                if _libc.setns(own, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns back to the host")
        finally:
            os.close(own)
            os.close(target)
    return made.detach()

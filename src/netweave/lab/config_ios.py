"""IOS/EOS running-config: ordered blocks (``interface X`` + indented children) that
configuration commands change."""

from __future__ import annotations

from dataclasses import dataclass, field

from netweave.lab.platforms import PlatformProfile, interface_address, loopback_ip, prefix_to_mask

# First words that open a sub-mode, and the mode name shown in the prompt.
SECTION_KEYWORDS: dict[str, str] = {
    "interface": "config-if",
    "vlan": "config-vlan",
    "router": "config-router",
    "line": "config-line",
    "ip vrf": "config-vrf",
    "vrf definition": "config-vrf",
    "route-map": "config-route-map",
    "ip access-list": "config-acl",
}
# Top-level configuration keywords accepted as single lines (with the minimum word count).
TOP_LEVEL_KEYWORDS: dict[str, int] = {
    "hostname": 2,
    "ntp": 3,
    "logging": 2,
    "username": 2,
    "ip": 3,
    "ipv6": 2,
    "snmp-server": 2,
    "banner": 2,
    "service": 2,
    "aaa": 2,
    "spanning-tree": 2,
    "clock": 2,
    "enable": 2,
    "archive": 1,
    "file": 2,
    "cdp": 2,
    "lldp": 2,
    "vtp": 3,
    "boot": 2,
    "no": 2,
    "default": 2,
    "end": 1,
    "exit": 1,
    "do": 2,
}
# Children whose later value replaces the earlier one (keyed by these leading words).
REPLACE_KEYS = (
    "description",
    "ip address",
    "mtu",
    "name",
    "switchport mode",
    "switchport access vlan",
    "speed",
    "duplex",
    "bandwidth",
    "encapsulation",
    "router-id",
    "load-interval",
    "vrf forwarding",
)


class ConfigError(Exception):
    """A rejected configuration line. ``kind``: invalid | incomplete | ambiguous | message.
    ``token``: which word of the line the parser stopped at (``inner``: the character in
    it); ``message``: the platform's own text for ``kind == "message"``."""

    def __init__(
        self, kind: str, *, token: int | None = None, inner: int = 0, message: str = ""
    ) -> None:
        super().__init__(kind)
        self.kind = kind
        self.token = token
        self.inner = inner
        self.message = message


@dataclass
class Block:
    header: str
    children: list[str] = field(default_factory=list)


def section_mode(line: str) -> str | None:
    words = line.split()
    for keyword, mode in SECTION_KEYWORDS.items():
        key_words = keyword.split()
        if words[: len(key_words)] == key_words:
            if len(words) <= len(key_words):
                raise ConfigError("incomplete")
            return mode
    return None


def _replace_key(line: str) -> str | None:
    for key in REPLACE_KEYS:
        if line == key or line.startswith(key + " "):
            return key
    return None


class IosConfig:
    def __init__(self, profile: PlatformProfile, hostname: str, index: int) -> None:
        self.profile = profile
        self.blocks: list[Block] = []
        self.set_line(f"hostname {hostname}")
        if profile.family == "ios":
            self.set_line("service timestamps debug datetime msec")
            self.set_line("ip domain name lab.netweave.local")
            self.set_line("ip scp server enable")
        else:
            self.set_line("ip domain-name lab.netweave.local")
        for port, name in enumerate(profile.interfaces):
            block = self.section(f"interface {name}")
            if name.startswith("Management"):
                block.children.append("ip address 192.168.255.1/24")
                continue
            address, length = interface_address(index, port)
            block.children.append(f"description lab link {port}")
            if profile.family == "ios":
                block.children.append(f"ip address {address} {prefix_to_mask(length)}")
            else:
                block.children += ["no switchport", f"ip address {address}/{length}"]
            if port == len(profile.interfaces) - 1 and profile.family == "ios":
                block.children.append("shutdown")
        loop = self.section(f"interface {profile.loopback}")
        if profile.family == "ios":
            loop.children.append(f"ip address {loopback_ip(index)} 255.255.255.255")
        else:
            loop.children.append(f"ip address {loopback_ip(index)}/32")
        self.set_line("ip route 0.0.0.0 0.0.0.0 10.1.0.254")
        self.set_line("ntp server 10.0.0.1")
        self.section("line vty 0 4").children += ["login local", "transport input ssh"]

    # -- lookups ---------------------------------------------------------------------
    @property
    def hostname(self) -> str:
        for block in self.blocks:
            if block.header.startswith("hostname "):
                return block.header.split(" ", 1)[1]
        return "Router"

    def find(self, header: str) -> Block | None:
        for block in self.blocks:
            if block.header == header:
                return block
        return None

    def interface_blocks(self) -> list[Block]:
        return [b for b in self.blocks if b.header.startswith("interface ")]

    # -- changes -------------------------------------------------------------------
    def section(self, header: str) -> Block:
        block = self.find(header)
        if block is None:
            block = Block(header)
            self.blocks.append(block)
        return block

    def set_line(self, line: str) -> None:
        """A top-level single line; ``hostname``-like keys replace their previous value."""
        key = line.split()[0]
        if key in ("hostname", "banner"):
            for block in self.blocks:
                if block.header.split()[0] == key:
                    block.header = line
                    return
        for prefix in ("ip domain name ", "ip domain-name "):  # one domain: the new replaces it
            if line.startswith(prefix):
                self.blocks = [b for b in self.blocks if not b.header.startswith(prefix)]
        if self.find(line) is None:
            self.blocks.append(Block(line))

    def remove_top(self, line: str) -> None:
        """``no <line>``: remove an exact line/section, or every line it prefixes."""
        self.blocks = [
            b for b in self.blocks if not (b.header == line or b.header.startswith(line + " "))
        ]

    def apply_child(self, block: Block, line: str) -> None:
        if line.startswith("no "):
            target = line[3:]
            if target == "shutdown":
                block.children = [c for c in block.children if c != "shutdown"]
                return
            key = _replace_key(target)
            block.children = [
                c
                for c in block.children
                if not (c == target or (key is not None and _replace_key(c) == key))
            ]
            if target == "switchport":
                block.children.append("no switchport")
            return
        if line.startswith("default "):
            target = line[8:]
            block.children = [c for c in block.children if not c.startswith(target)]
            return
        if line == "switchport":
            block.children = [c for c in block.children if c != "no switchport"]
        key = _replace_key(line)
        if key is not None:
            block.children = [c for c in block.children if _replace_key(c) != key]
        if line not in block.children:
            block.children.append(line)

    # -- rendering -------------------------------------------------------------------
    def render(self) -> str:
        lines = ["Building configuration...", "", "Current configuration : {size} bytes", "!"]
        body: list[str] = []
        for block in self.blocks:
            body.append(block.header)
            body += [f" {child}" for child in block.children]
            body.append("!")
        body.append("end")
        text = "\n".join(body)
        lines[2] = lines[2].format(size=len(text))
        return "\n".join(lines) + "\n" + text


_NOT_CONFIG = ("Building configuration", "Current configuration", "version ", "end")


def parse_config_text(text: str) -> list[Block]:
    """IOS config text → blocks (``!`` separators and the banner lines are dropped)."""
    blocks: list[Block] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or stripped == "!" or stripped.startswith(_NOT_CONFIG):
            continue
        if line.startswith(" ") and blocks:
            blocks[-1].children.append(stripped)
        else:
            blocks.append(Block(stripped))
    return blocks


def incremental_diff(running: list[Block], candidate: list[Block]) -> list[str]:
    """The lines of ``candidate`` that a merge would add (``show archive config
    incremental-diffs``)."""
    current = {block.header: block for block in running}
    lines: list[str] = []
    for block in candidate:
        existing = current.get(block.header)
        if existing is None:
            lines.append(block.header)
            lines += [f" {child}" for child in block.children]
            continue
        new_children = [c for c in block.children if c not in existing.children]
        if new_children:
            lines.append(block.header)
            lines += [f" {child}" for child in new_children]
    return lines


def contextual_diff(base: list[Block], new: list[Block]) -> list[str]:
    """``show archive config differences``: ``-`` lines only in base, ``+`` only in new."""
    old = {block.header: block for block in base}
    fresh = {block.header: block for block in new}
    lines: list[str] = []
    for block in base:
        if block.header not in fresh:
            lines.append(f"-{block.header}")
            lines += [f" -{child}" for child in block.children]
    for block in new:
        previous = old.get(block.header)
        if previous is None:
            lines.append(f"+{block.header}")
            lines += [f" +{child}" for child in block.children]
            continue
        removed = [c for c in previous.children if c not in block.children]
        added = [c for c in block.children if c not in previous.children]
        if removed or added:
            lines.append(block.header)
            lines += [f" -{c}" for c in removed] + [f" +{c}" for c in added]
    return lines

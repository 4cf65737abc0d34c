"""Topology discovery: a device's CDP and LLDP neighbours (``show cdp neighbors detail``,
``show lldp neighbors detail``, parsed with ntc-templates; on Linux-based routers lldpd's
``lldpcli -f json0 show neighbors``, read in the Linux shell), each matched to an inventory
device (by name, with or without its domain, then by management address), and the links
they reveal recorded in the inventory — one link per cable whichever end found it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from netweave.drivers.base import CommandOutput
from netweave.foundation.errors import NotFound
from netweave.services.base import (
    DeviceFacts,
    DiscoveredLink,
    Service,
    ServiceContext,
    ServiceInputs,
    ServiceOutcome,
)
from netweave.services.builtin.interface_names import canonical_interface, interface_key

LLDPCLI = "lldpcli"  # the parser of lldpd's ``lldpcli -f json0`` output (not ntc-templates)
LLDPCLI_NEIGHBORS = "lldpcli -f json0 show neighbors"


@dataclass(frozen=True)
class NeighborSource:
    """How a platform lists its neighbours: the ntc-templates platform that parses the
    outputs (or ``LLDPCLI``), the command per protocol (None: the platform does not speak
    it), and ``shell``: the device type of the login the commands need when it is not the
    device's own (FRR: its login lands in vtysh, lldpcli is in the Linux shell)."""

    parser: str
    cdp: str | None
    lldp: str | None
    shell: str | None = None  # the device type of that shell login


SOURCES: dict[str, NeighborSource] = {
    "cisco_ios": NeighborSource(
        "cisco_ios", "show cdp neighbors detail", "show lldp neighbors detail"
    ),
    "cisco_xe": NeighborSource(
        "cisco_ios", "show cdp neighbors detail", "show lldp neighbors detail"
    ),
    "cisco_nxos": NeighborSource(
        "cisco_nxos", "show cdp neighbors detail", "show lldp neighbors detail"
    ),
    "cisco_xr": NeighborSource(
        "cisco_xr", "show cdp neighbors detail", "show lldp neighbors detail"
    ),
    "arista_eos": NeighborSource("arista_eos", None, "show lldp neighbors detail"),
    "juniper_junos": NeighborSource("juniper_junos", None, "show lldp neighbors"),
    "frr": NeighborSource(LLDPCLI, None, LLDPCLI_NEIGHBORS, shell="linux"),
    "linux": NeighborSource(LLDPCLI, None, LLDPCLI_NEIGHBORS, shell="linux"),
}
FAILURES = ("% Invalid input", "% Unknown command", "syntax error", "unknown command")
NOT_RUNNING = re.compile(
    r"(CDP|LLDP) is not (enabled|running)|unable to connect to socket \S+", re.IGNORECASE
)  # the last: lldpcli without lldpd
_SERIAL = re.compile(r"\([^)]*\)$")  # NX-OS CDP IDs: switch1(FOX1234ABCD)
_MAC_OR_NUMBER = re.compile(
    r"\d+|([0-9a-f]{4}\.){2}[0-9a-f]{4}|([0-9a-f]{2}[:-]){5}[0-9a-f]{2}", re.I
)


class TopologyInputs(ServiceInputs):
    protocols: Literal["cdp", "lldp", "both"] = Field(
        default="both",
        description="Which neighbour tables to read (a platform without CDP, e.g. Junos or "
        "EOS, is read for LLDP only)",
    )
    update_inventory: bool = Field(
        default=True,
        description="Record the links found between inventory devices (one link per cable, "
        "never twice on a re-run); off: only report the neighbours",
    )
    remove_stale: bool = Field(
        default=False,
        description="Delete this device's links that were not found (only after every "
        "neighbour table was read without error)",
    )
    read_timeout: float = Field(default=30, gt=0, le=600, description="Seconds per command")
    shell_credential: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="Stored credential whose login lands in the device's Linux shell, for "
        "platforms whose neighbour table is read there (frr: lldpcli); unset: the device's "
        "own credential",
    )


def _field(row: dict[str, Any], *names: str) -> str:
    """The first non-empty of ``names`` (ntc-templates renamed fields across versions)."""
    for name in names:
        value = row.get(name)
        if isinstance(value, list):
            value = value[0] if value else ""
        if value:
            return str(value).strip()
    return ""


def _values(items: Any, key: str = "value") -> list[str]:
    """``[{"value": ...}, ...]`` of ``lldpcli -f json0`` as strings."""
    if not isinstance(items, list):
        return []
    return [str(i[key]) for i in items if isinstance(i, dict) and i.get(key) is not None]


def lldpcli_rows(text: str) -> list[dict[str, Any]]:
    """``lldpcli -f json0 show neighbors``: one row per neighbour, with the field names of
    the ntc-templates rows. Raises ``ValueError`` when the output is not that JSON."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise ValueError("no JSON object in the output")
    data = json.loads(text[start : end + 1])
    tables = data.get("lldp") if isinstance(data, dict) else None
    if not isinstance(tables, list):
        raise ValueError('not lldpcli -f json0 output (no "lldp" list)')
    rows: list[dict[str, Any]] = []
    for table in tables:
        interfaces = table.get("interface") if isinstance(table, dict) else None
        for interface in interfaces if isinstance(interfaces, list) else []:
            if not isinstance(interface, dict):
                continue
            port = (interface.get("port") or [{}])[0]
            for chassis in interface.get("chassis") or []:
                capabilities = [
                    str(c.get("type"))
                    for c in chassis.get("capability") or []
                    if isinstance(c, dict) and c.get("enabled")
                ]
                rows.append(
                    {
                        "local_interface": str(interface.get("name") or ""),
                        "neighbor_name": _values(chassis.get("name")),
                        "neighbor_port_id": _values(port.get("id")),
                        "port_description": _values(port.get("descr")),
                        "mgmt_address": _values(chassis.get("mgmt-ip")),
                        "capabilities": " ".join(capabilities),
                        "neighbor_description": _values(chassis.get("descr")),
                    }
                )
    return rows


def parse_neighbors(source: NeighborSource, command: str, text: str) -> list[dict[str, Any]] | str:
    """The rows of one neighbour table, or why it could not be read."""
    from netweave.services.builtin.parsing import parse_output

    if source.parser == LLDPCLI:
        try:
            return lldpcli_rows(text)
        except (ValueError, AttributeError, TypeError, IndexError) as exc:
            first = next((line.strip() for line in text.splitlines() if line.strip()), "")
            return f"{command}: {exc}" + (f": {first[:200]}" if first else "")
    parsed = parse_output(text, "textfsm", source.parser, command, None)
    if not isinstance(parsed, list):
        return str(parsed.get("error") if isinstance(parsed, dict) else parsed)
    return [row for row in parsed if isinstance(row, dict)]


def neighbor_of(row: dict[str, Any], protocol: str) -> dict[str, Any]:
    """One parsed neighbour-table row as this service reports it."""
    port_id = _field(row, "neighbor_port_id", "port_id")
    description = _field(row, "neighbor_interface", "remote_port", "port_description")
    # LLDP's port ID may be a MAC or an ifIndex (Junos's default): then the description
    # (which then holds the interface name) says more
    remote = port_id if port_id and not _MAC_OR_NUMBER.fullmatch(port_id) else description
    return {
        "protocols": [protocol],
        "local_interface": canonical_interface(_field(row, "local_interface", "local_port")),
        "neighbor": _field(row, "neighbor_name", "destination_host", "system_name", "neighbor"),
        "neighbor_interface": canonical_interface(remote or port_id),
        "management_address": _field(
            row, "mgmt_address", "management_ip", "management_address", "mgmt_ip"
        ),
        "platform": _field(row, "platform"),
        "capabilities": _field(row, "capabilities"),
        "description": _field(row, "neighbor_description", "software_version"),
        "device": None,
    }


def name_candidates(name: str) -> list[str]:
    """What a neighbour's ID may be in the inventory: as given, without a serial number in
    brackets, without its domain."""
    base = _SERIAL.sub("", name).strip()
    return list(dict.fromkeys(part for part in (name, base, base.split(".")[0]) if part))


def match_devices(ctx: ServiceContext, neighbors: list[dict[str, Any]], own: DeviceFacts) -> None:
    """Set each neighbour's ``device``: the inventory device named like it (case aside,
    domain stripped), else the one device at its management address. Never ``own``."""
    names = [c for n in neighbors for c in name_candidates(n["neighbor"])]
    hosts = [n["management_address"] for n in neighbors if n["management_address"]]
    found = ctx.find_devices(names=names, hosts=hosts)
    by_name = {d.name.lower(): d for d in found}
    by_host: dict[str, list[DeviceFacts]] = {}
    for device in found:
        by_host.setdefault(device.host, []).append(device)
    for neighbor in neighbors:
        match = next(
            (
                by_name[c.lower()]
                for c in name_candidates(neighbor["neighbor"])
                if c.lower() in by_name
            ),
            None,
        )
        at_address = by_host.get(neighbor["management_address"], [])
        if match is None and len(at_address) == 1:
            match = at_address[0]
        if match is not None and match.id != own.id:
            neighbor["device"] = match.name


def merge(neighbors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per (local interface, neighbour, its interface), the protocols that saw
    it listed."""
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for neighbor in neighbors:
        key = (
            interface_key(neighbor["local_interface"]),
            name_candidates(neighbor["neighbor"])[-1].lower() if neighbor["neighbor"] else "",
            interface_key(neighbor["neighbor_interface"]),
        )
        if key in merged:
            kept = merged[key]
            kept["protocols"] += [p for p in neighbor["protocols"] if p not in kept["protocols"]]
            for name, value in neighbor.items():
                kept[name] = kept[name] or value
        else:
            merged[key] = dict(neighbor)
    return list(merged.values())


class TopologyDiscovery(Service[TopologyInputs]):
    title = "Topology discovery"
    description = (
        "Read a device's CDP/LLDP neighbours, match them to inventory devices and record "
        "the links between them."
    )
    Inputs = TopologyInputs

    def run(self, ctx: ServiceContext, inputs: TopologyInputs) -> ServiceOutcome:
        device = ctx.device
        assert device is not None  # per_device
        source = SOURCES.get(device.platform)
        wanted = ["cdp", "lldp"] if inputs.protocols == "both" else [inputs.protocols]
        commands = {p: getattr(source, p) for p in wanted if source and getattr(source, p)}
        skipped = {
            p: f"{device.platform} has no {p.upper()} neighbour table known to NetWeave"
            for p in wanted
            if p not in commands
        }
        if source is None or not commands:
            asked = " or ".join(p.upper() for p in wanted)
            error = f"no {asked} neighbour command known for platform {device.platform!r}"
            return ServiceOutcome(False, {"error": error, "skipped": skipped})
        login: dict[str, Any] = {}
        if source.shell is not None:  # read in a Linux shell: its own credential, if named
            login["credential"] = inputs.shell_credential
            if source.shell != device.platform:  # not the device's own login: Netmiko's
                login |= {"driver": "netmiko", "device_type": source.shell}
        try:
            outputs = ctx.commands(
                list(commands.values()), options={"read_timeout": inputs.read_timeout}, **login
            )
        except NotFound as exc:
            if exc.field != "credential" or inputs.shell_credential is None:
                raise
            error = f"shell_credential: {exc.message}"
            return ServiceOutcome(False, {"error": error, "skipped": skipped})
        errors: dict[str, str] = {}
        found: list[dict[str, Any]] = []
        read = 0
        for (protocol, command), output in zip(commands.items(), outputs, strict=True):
            problem = self._problem(output)
            if problem is not None:
                if NOT_RUNNING.search(problem):
                    skipped[protocol] = problem
                else:
                    errors[protocol] = problem
                continue
            parsed = parse_neighbors(source, command, output.stdout)
            if isinstance(parsed, str):
                errors[protocol] = parsed
                continue
            read += 1
            found += [neighbor_of(row, protocol) for row in parsed]
        neighbors = merge([n for n in found if n["neighbor"] and n["local_interface"]])
        match_devices(ctx, neighbors, device)
        result: dict[str, Any] = {
            "neighbors": neighbors,
            "neighbor_devices": sorted({n["device"] for n in neighbors if n["device"]}),
            "unknown_neighbors": [n for n in neighbors if n["device"] is None],
            "links": None,
            "skipped": skipped,
            "errors": errors,
        }
        if inputs.update_inventory:
            links = [
                DiscoveredLink(
                    device.name,
                    n["local_interface"],
                    n["device"],
                    n["neighbor_interface"],
                    n["protocols"][0],
                )
                for n in neighbors
                if n["device"] and n["neighbor_interface"]
            ]
            remove = inputs.remove_stale and not errors and read > 0
            result["links"] = ctx.save_links(links, remove_stale=remove)
        return ServiceOutcome(not errors, result)

    @staticmethod
    def _problem(output: CommandOutput) -> str | None:
        """Why an output holds no neighbour table (an error, the protocol off), or None."""
        text = output.stdout.strip()
        match = NOT_RUNNING.search(text)
        if match:
            return match.group(0)
        if output.exit_status == 0 and not any(marker in text for marker in FAILURES):
            return None
        lines = [line for line in (text or output.stderr).splitlines() if line.strip()]
        failed = [line for line in lines if any(marker in line for marker in FAILURES)]
        return (failed or lines or [f"exit status {output.exit_status}"])[0].strip()[:200]

"""eNMS devices and links as NetWeave inventory rows.

- **Devices**: ``ip_address`` → host; the platform from ``netmiko_driver`` (a Netmiko
  device type, as NetWeave's platforms are), else from ``operating_system``, else from
  ``vendor``, else ``generic`` (reported); ``location`` → site; coordinates (text or
  numbers) → latitude/longitude. What NetWeave has no field for (``description``, ``icon``,
  ``subtype``, ``operating_system``, ``napalm_driver``, ``scrapli_driver`` and any other
  eNMS column) is kept as a custom field of the same name.
- **Credentials**: eNMS stores a username/password (and enable password) on each device;
  every distinct triple becomes one stored credential (``enms-<username>``), scoped to the
  addresses of the devices that carried it (or, past 1,000 addresses, to a pool of them).
- **Links**: ``source_name``/``destination_name`` → source/destination; eNMS's vendor,
  subtype, model and colour have no NetWeave field and are reported as left out.

The rows then go through the inventory import (``core.inventory.transfer``): the same
validation, row report, dry run and all-or-nothing write as any import.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from netweave.core.inventory.transfer import Document, Row
from netweave.core.migration.enms.workbook import Records

# operating_system (lower case, without spaces) → platform
PLATFORM_BY_OS = {
    "ios": "cisco_ios",
    "iosxe": "cisco_xe",
    "ios-xe": "cisco_xe",
    "iosxr": "cisco_xr",
    "ios-xr": "cisco_xr",
    "nxos": "cisco_nxos",
    "nx-os": "cisco_nxos",
    "asa": "cisco_asa",
    "eos": "arista_eos",
    "junos": "juniper_junos",
    "linux": "linux",
}
PLATFORM_BY_VENDOR = {"cisco": "cisco_ios", "arista": "arista_eos", "juniper": "juniper_junos"}
UNKNOWN_PLATFORM = "generic"
PLATFORM = re.compile(r"^[a-z0-9_]{1,64}\Z")
CUSTOM_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}\Z")
DEVICE_FIELDS = {"name": "name", "vendor": "vendor", "model": "model", "os_version": "os_version"}
SECRETS = ("username", "password", "enable_password")
USED = {
    "ip_address",
    "location",
    "latitude",
    "longitude",
    "netmiko_driver",
    "port",
    *DEVICE_FIELDS,
    *SECRETS,
}
LINK_FIELDS = {
    "name": "name",
    "source_name": "source",
    "destination_name": "destination",
    "description": "description",
}
MAX_SCOPE_ENTRIES = 1000  # a credential scope's list limit; past it, a pool scopes it


@dataclass
class Translation:
    document: Document = field(default_factory=Document)
    notes: list[str] = field(default_factory=list)


def translate(records: Records) -> Translation:
    translation = Translation()
    devices = records.get("device", [])
    logins: dict[tuple[str, str, str], list[tuple[str, str]]] = defaultdict(list)
    origins: Counter[str] = Counter()
    unknown: list[str] = []
    dropped: Counter[str] = Counter()
    for number, record in devices:
        row, origin = _device(number, record, dropped)
        origins[origin] += 1
        if origin == "unknown":
            unknown.append(str(record.get("name")))
        login = tuple(str(record.get(k) or "") for k in SECRETS)
        if login[0] and row.data.get("name") and row.data.get("host"):
            logins[login].append((row.data["name"], str(row.data["host"])))  # type: ignore[index]
            row.data["credential"] = login  # replaced by the credential's name below
        translation.document.rows["devices"].append(row)
    _credentials(translation, logins)
    for number, record in records.get("link", []):
        translation.document.rows["links"].append(_link(number, record, dropped))
    notes = translation.notes
    for origin in ("netmiko_driver", "operating_system", "vendor"):
        if origins[origin]:
            notes.append(f"{origins[origin]:,} device(s): platform taken from {origin}")
    if unknown:
        shown = ", ".join(unknown[:5]) + (", ..." if len(unknown) > 5 else "")
        notes.append(
            f"{len(unknown):,} device(s) with no netmiko_driver, operating_system or known "
            f"vendor got platform '{UNKNOWN_PLATFORM}': {shown}"
        )
    for column, count in sorted(dropped.items()):
        notes.append(f"{count:,} value(s) of {column} left out: {_WHY.get(column, 'no field')}")
    return translation


_WHY = {
    "link.vendor": "links have no vendor",
    "link.subtype": "links have no subtype",
    "link.model": "links have no model",
    "link.color": "links are drawn in one colour",
}


def _device(number: int, record: dict[str, Any], dropped: Counter[str]) -> tuple[Row, str]:
    row = Row("devices", number, {})
    for source, target in DEVICE_FIELDS.items():
        if source in record:
            row.data[target] = str(record[source])
    if "ip_address" in record:
        row.data["host"] = str(record["ip_address"])
    if "port" in record:
        row.data["port"] = record["port"]
    if "location" in record:
        row.data["site"] = str(record["location"])
    for axis in ("latitude", "longitude"):
        if axis in record:
            try:
                row.data[axis] = float(record[axis])
            except (TypeError, ValueError):
                row.problems.append((axis, f"not a number: {record[axis]!r}"))
    row.data["platform"], origin = _platform(record)
    custom = {}
    for column, value in record.items():
        if column in USED:
            continue
        if CUSTOM_KEY.match(column) and isinstance(value, str | int | float | bool):
            custom[column] = value
        else:
            dropped[f"device.{column}"] += 1
    if custom:
        row.data["custom_fields"] = custom
    return row, origin


def _platform(record: dict[str, Any]) -> tuple[str, str]:
    driver = str(record.get("netmiko_driver") or "").strip().lower()
    if PLATFORM.match(driver):
        return driver, "netmiko_driver"
    system = str(record.get("operating_system") or "").strip().lower().replace(" ", "")
    if system in PLATFORM_BY_OS:
        return PLATFORM_BY_OS[system], "operating_system"
    vendor = str(record.get("vendor") or "").strip().lower()
    if vendor in PLATFORM_BY_VENDOR:
        return PLATFORM_BY_VENDOR[vendor], "vendor"
    return UNKNOWN_PLATFORM, "unknown"


def _credentials(
    translation: Translation, logins: dict[tuple[str, str, str], list[tuple[str, str]]]
) -> None:
    """One stored credential per distinct (username, password, enable password)."""
    taken: Counter[str] = Counter()
    names: dict[tuple[str, str, str], str] = {}
    document = translation.document
    for number, (login, devices) in enumerate(sorted(logins.items()), start=1):
        username, password, enable = login
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", username).strip("-") or "user"
        taken[slug] += 1
        name = f"enms-{slug}" + (f"-{taken[slug]}" if taken[slug] > 1 else "")
        names[login] = name
        data: dict[str, Any] = {
            "name": name,
            "description": f"from eNMS: the login of {len(devices):,} device(s)",
            "username": username,
            "scope": _scope(name, devices, document),
        }
        if password:
            data["password"] = password
        if enable:
            data["enable_secret"] = enable
        document.rows["credentials"].append(Row("credentials", number, data))
    for row in document.rows["devices"]:
        given = row.data.get("credential")
        if isinstance(given, tuple):
            row.data["credential"] = names[given]
    if names:
        translation.notes.append(
            f"{len(names):,} credential(s) made from the devices' usernames and passwords "
            "(one per distinct login), each scoped to the addresses of its devices"
        )


def _scope(name: str, devices: list[tuple[str, str]], document: Document) -> dict[str, Any]:
    v4: list[ipaddress.IPv4Network] = []
    v6: list[ipaddress.IPv6Network] = []
    hosts: list[str] = []
    for _, host in devices:
        try:
            network = ipaddress.ip_network(host)
        except ValueError:
            hosts.append(host)
            continue
        (v4 if isinstance(network, ipaddress.IPv4Network) else v6).append(network)  # type: ignore[arg-type]
    networks = [str(n) for n in ipaddress.collapse_addresses(v4)]
    networks += [str(n) for n in ipaddress.collapse_addresses(v6)]
    if len(networks) <= MAX_SCOPE_ENTRIES and len(set(hosts)) <= MAX_SCOPE_ENTRIES:
        return {"networks": networks, "hosts": sorted(set(hosts))}
    pool = f"{name}-devices"
    members = sorted({device for device, _ in devices})
    description = f"from eNMS: the devices that use credential {name}"
    document.rows["pools"].append(
        Row(
            "pools",
            len(document.rows["pools"]) + 1,
            {"name": pool, "description": description, "devices": members},
        )
    )
    return {"pools": [pool]}


def _link(number: int, record: dict[str, Any], dropped: Counter[str]) -> Row:
    row = Row("links", number, {})
    for source, target in LINK_FIELDS.items():
        if source in record:
            row.data[target] = str(record[source])
    for column in record:
        if column not in LINK_FIELDS:
            dropped[f"link.{column}"] += 1
    return row
